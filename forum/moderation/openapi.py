"""The moderation endpoints' part of /api/v1/openapi.json (added to the document by forum/api/openapi.py)."""
from __future__ import annotations

from forum.core.content import DELETE_REASONS

KINDS = ["entry", "comment", "guestbook", "thread", "post"]


def add_paths(paths: dict, schemas: dict) -> None:
    """Describe the moderation endpoints and their schemas in the API document."""
    from forum.api.openapi import (BOOL, INT, NDATETIME, NINT, NSTR, READ_ERRORS, STR, WRITE_ERRORS, _id, _query,
                                   array, obj, op, ref)

    reason = {"enum": list(DELETE_REASONS)}
    note = {"type": "string", "maxLength": 500}
    schemas.update({
        "ModerationReason": obj(reason=reason, note=note),
        "ModeratedContent": obj(["type", "id", "deleted"], type={"enum": KINDS}, id=INT, deleted=BOOL,
                                reason=NSTR, pinned=BOOL, locked=BOOL, featured=BOOL, board_id=INT),
        "ModeratorEdit": obj(["body"], body={"type": "string", "minLength": 1, "maxLength": 100_000},
                             title={"type": "string", "maxLength": 200}),
        "EditedContent": {"allOf": [ref("ModeratedContent"), obj(["body", "version"], body=STR, version=INT)]},
        "Toggle": obj(value=BOOL),
        "Move": obj(["board_id"], board_id=INT, note=note),
        "FlagCreate": obj(["reason"], reason=reason, note=note),
        "Flag": obj(["id", "target_type", "target_id", "reason", "status"], id=INT, target_type={"enum": KINDS},
                    target_id=INT, group_id=NINT, reason=STR, note=STR,
                    status={"enum": ["open", "dismissed", "deleted"]}, created_at=NDATETIME, resolved_at=NDATETIME),
        "FlagList": obj(["flags"], flags=array(ref("Flag"))),
        "FlagResolve": obj(["outcome"], outcome={"enum": ["dismiss", "delete"]}, reason=reason, note=note),
        "AuditEntries": obj(["entries"], entries=array(obj(
            ["id", "action", "target_type", "target_id"], id=INT, actor_id=NINT, action=STR, target_type=STR,
            target_id=INT, group_id=NINT, school_id=NINT, reason_code=NSTR, reason_text=STR,
            before=NSTR, after=NSTR, created_at=NDATETIME))),
        "Suspend": obj(["reason"], days={"type": "integer", "minimum": 1, "maximum": 3650,
                                         "description": "omit to suspend indefinitely"},
                       reason={"type": "string", "minLength": 1, "maxLength": 500}),
        "Suspension": obj(["id", "suspended"], id=INT, suspended=BOOL, until=NDATETIME, indefinitely=BOOL),
    })

    def kind(values):
        return {"name": "kind", "in": "path", "required": True, "schema": {"enum": values}}

    content = [kind(KINDS), _id("obj_id")]
    group = _query("group", {"type": "integer", "minimum": 1})
    listing = (*READ_ERRORS, 403, 422)
    tag = "moderation"
    paths.update({
        "/moderation/{kind}/{obj_id}/delete": {"post": op(
            "Soft-delete content with a reason (moderators) or without (its author)", 200, ref("ModeratedContent"),
            WRITE_ERRORS, params=content, body="ModerationReason", body_required=False, tag=tag)},
        "/moderation/{kind}/{obj_id}/restore": {"post": op(
            "Restore soft-deleted content (moderators in scope)", 200, ref("ModeratedContent"), WRITE_ERRORS,
            params=content, tag=tag)},
        "/moderation/{kind}/{obj_id}": {"delete": op(
            "Remove content for good (admins; logged)", 204, None, WRITE_ERRORS, params=content, tag=tag)},
        **{f"/moderation/{{kind}}/{{obj_id}}/{what}": {"post": op(
            f"{label} a thread or entry (value true/false; absent flips)", 200, ref("ModeratedContent"),
            WRITE_ERRORS, params=[kind(["entry", "thread"]), _id("obj_id")], body="Toggle", body_required=False,
            tag=tag)} for what, label in (("pin", "Pin"), ("lock", "Lock"), ("feature", "Feature"))},
        "/moderation/thread/{obj_id}/move": {"post": op(
            "Move a thread to a board in the caller's scope", 200, ref("ModeratedContent"), WRITE_ERRORS,
            params=[_id("obj_id")], body="Move", tag=tag)},
        "/moderation/{kind}/{obj_id}/edit": {"post": op(
            "Edit a thread or reply (a moderator's edit is kept as a marked revision)", 200, ref("EditedContent"),
            WRITE_ERRORS, params=[kind(["thread", "post"]), _id("obj_id")], body="ModeratorEdit", tag=tag)},
        "/moderation/{kind}/{obj_id}/flag": {"post": op(
            "Report content to the group's host", 201, ref("Flag"), WRITE_ERRORS, params=content,
            body="FlagCreate", tag=tag)},
        "/moderation/flags": {"get": op("Open flags in the groups the caller moderates", 200, ref("FlagList"),
                                        listing, params=[group], tag=tag)},
        "/moderation/flags/{flag_id}/resolve": {"post": op(
            "Dismiss a flag, or delete the content with a reason", 200, ref("Flag"), WRITE_ERRORS,
            params=[_id("flag_id")], body="FlagResolve", tag=tag)},
        "/moderation/audit": {"get": op(
            "Audit log rows the caller may see, newest first", 200, ref("AuditEntries"), listing,
            params=[group, _query("before", {"type": "integer", "minimum": 1})], tag=tag)},
        "/moderation/users/{user_id}/suspend": {"post": op(
            "Suspend a user for some days or indefinitely (admins, leaders in scope)", 200, ref("Suspension"),
            WRITE_ERRORS, params=[_id("user_id")], body="Suspend", tag=tag)},
        "/moderation/users/{user_id}/unsuspend": {"post": op(
            "Lift a suspension", 200, ref("Suspension"), WRITE_ERRORS, params=[_id("user_id")], tag=tag)},
    })
