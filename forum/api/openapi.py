"""GET /api/v1/openapi.json: the OpenAPI 3.1 description of every /api/v1 endpoint.

The paths are written here by hand, next to the schemas they return; tests/reliability/test_openapi.py
compares them with the app's URL map in both directions (so an endpoint cannot be added or removed
without this file) and runs schemathesis against a live server (so the schemas cannot lie).
"""
from __future__ import annotations

from flask import jsonify

from forum.api import bp
from forum.core.ids import MAX_ID

STR = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
NSTR = {"type": ["string", "null"]}
NINT = {"type": ["integer", "null"]}
DATETIME = {"type": "string", "format": "date-time"}
NDATETIME = {"type": ["string", "null"], "format": "date-time"}
CATEGORIES = ["design", "reflection", "case", "essay", "courseware", "video", "prep_summary", "research"]
THREAD_KINDS = ["discussion", "prep", "research", "question"]


def obj(required: list[str] | None = None, **props) -> dict:
    """A JSON object schema (extra properties allowed: clients must ignore what they don't know)."""
    schema = {"type": "object", "properties": props}
    if required:
        schema["required"] = required
    return schema


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def array(item: dict) -> dict:
    return {"type": "array", "items": item}


AUTHOR = obj(["id", "display_name"], id=INT, display_name=STR)

SCHEMAS = {
    "Error": obj(["error"], error=obj(
        ["code", "message"],
        code={"type": "string", "description": "machine code, e.g. not_found, invalid, rate_limited"},
        message={"type": "string", "description": "a human sentence in the user's language"},
        field={"type": "string", "description": "the offending field or parameter, when there is one"},
    )),
    "TokenRequest": obj(["username", "password"], username={"type": "string", "maxLength": 200},
                        password={"type": "string", "maxLength": 1024},
                        name={"type": "string", "maxLength": 80}),
    "Token": obj(["token", "expires_at", "id"], token=STR, expires_at=DATETIME, id=INT),
    "Me": obj(["id", "username", "display_name", "role", "school", "groups"],
              id=INT, username=STR, display_name=STR, role={"enum": ["teacher", "leader", "admin"]},
              school=NSTR, groups=array(obj(["id", "is_host"], id=INT, is_host=BOOL))),
    "Group": obj(["id", "name", "school", "subject", "grade", "visibility", "blog_id", "board_id", "url"],
                 id=INT, name=STR, school=NSTR, subject=NSTR, grade=NSTR,
                 visibility={"enum": ["public", "school", "group"]}, blog_id=NINT, board_id=NINT, url=STR),
    "Prep": obj(["state", "lead_speaker_id", "summary_entry_id"],
                state={"enum": ["drafting", "discussing", "concluded"]}, lesson=NSTR, subject=NSTR, grade=NSTR,
                textbook=NSTR, scheduled_on={"type": ["string", "null"], "format": "date"},
                lead_speaker_id=NINT, deadline_at=NDATETIME, is_overdue=BOOL, summary_entry_id=NINT,
                expected_participant_ids=array(INT)),
    "Thread": obj(["id", "board_id", "title", "kind", "author", "is_pinned", "is_locked", "is_deleted",
                   "reply_count", "url"],
                  id=INT, board_id=INT, title=STR, kind={"enum": THREAD_KINDS}, author=AUTHOR,
                  tags=array(STR), theme_id=NINT, is_pinned=BOOL, is_locked=BOOL, is_featured=BOOL,
                  is_deleted=BOOL, reply_count=INT, created_at=NDATETIME, last_post_at=NDATETIME, url=STR,
                  prep=ref("Prep"), body=STR, body_html=STR),
    "Post": obj(["id", "thread_id", "parent_id", "author", "body", "is_deleted", "url"],
                id=INT, thread_id=INT, parent_id=NINT, depth=INT, position=NINT,
                author={"oneOf": [AUTHOR, {"type": "null"}]}, body=STR, body_html=STR, is_deleted=BOOL,
                is_adopted=BOOL, created_at=NDATETIME, url=STR),
    "ThreadWithPosts": {"allOf": [ref("Thread"), obj(["pages", "posts"], pages=INT, posts=array(ref("Post")))]},
    "ThreadCreate": obj(
        ["title"], title={"type": "string", "minLength": 1, "maxLength": 200},
        body={"type": "string", "maxLength": 100_000, "description": "required unless kind is prep"},
        kind={"enum": THREAD_KINDS, "default": "discussion"},
        tags={"oneOf": [STR, array(STR)]}, theme_id=INT,
        lesson=STR, subject=STR, grade=STR, textbook=STR, scheduled_on={"type": "string", "format": "date"},
        lead_speaker_id=INT, participant_ids=array(INT), deadline_at={"type": "string", "format": "date-time"}),
    "PostCreate": obj(["body"], body={"type": "string", "minLength": 1, "maxLength": 100_000},
                      parent_id={"type": "integer", "description": "the post replied to, in the same thread"}),
    "DraftCreate": obj(["body"], body={"type": "string", "minLength": 1, "maxLength": 100_000}),
    "Conclude": obj(["summary"], summary={"type": "string", "minLength": 1, "maxLength": 100_000}),
    "SummaryEntry": obj(["id", "title", "category", "blog_id", "url"], id=INT, title=STR, category=STR,
                        blog_id=INT, prep_thread_id=NINT, body=STR, url=STR),
    "Entry": obj(["id", "blog_id", "title", "category", "status", "url"],
                 id=INT, blog_id=INT, title=STR, category={"enum": CATEGORIES}, category_name=STR,
                 tags=array(STR), status={"enum": ["draft", "published"]},
                 author={"oneOf": [AUTHOR, {"type": "null"}]}, published_at=NDATETIME, updated_at=NDATETIME,
                 comment_count=INT, version=INT, url=STR, stage=NSTR, subject=NSTR, grade=NSTR, textbook=NSTR,
                 unit=NSTR, body=STR, html=STR, snippet=STR),
    "EntryList": obj(["blog_id", "total", "page", "per_page", "entries"], blog_id=INT, title=STR, total=INT,
                     page=INT, per_page=INT, entries=array(ref("Entry"))),
    "EntryCreate": obj(
        ["title", "body", "category"], title={"type": "string", "minLength": 1, "maxLength": 200},
        body={"type": "string", "minLength": 1, "maxLength": 100_000}, category={"enum": CATEGORIES},
        tags={"oneOf": [STR, array(STR)]}, status={"enum": ["draft", "published"], "default": "published"},
        stage=STR, subject=STR, grade=STR, textbook=STR, unit=STR),
    "Comment": obj(["id", "entry_id", "parent_id", "author", "body", "url"], id=INT, entry_id=INT,
                   parent_id=NINT, author={"oneOf": [AUTHOR, {"type": "null"}]}, body=STR, html=STR,
                   created_at=DATETIME, url=STR),
    "CommentCreate": obj(["body"], body={"type": "string", "minLength": 1, "maxLength": 10_000},
                         parent_id={"type": "integer"}),
    "Deletion": obj(reason={"type": "string", "description": "a reason code; required from moderators"},
                    note={"type": "string", "maxLength": 500}),
    "Deleted": obj(["id", "deleted"], id=INT, deleted={"const": True}, reason=NSTR),
    "SearchResults": obj(["total", "results"], total=INT, page=INT, results=array(obj(
        ["type", "id", "title", "snippet", "url"], type=STR, id=INT, title=STR, snippet=STR, url=STR,
        author=NSTR, created_at=NDATETIME))),
    "Tallies": obj(["month", "by", "rows"], month={"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
                   by={"enum": ["teacher", "group", "school"]}, rows=array(obj(
                       ["id", "name", "entries", "threads", "replies", "comments", "preps", "total",
                        "substantive"],
                       id=NINT, name=NSTR, entries=INT, threads=INT, replies=INT, comments=INT, preps=INT,
                       total=INT, substantive=INT))),
}

ERROR_TEXT = {
    400: "Malformed request (bad JSON, bad encoding)",
    401: "Missing, invalid, expired or revoked token",
    403: "Signed in but not allowed",
    404: "No such object, or not visible to the caller",
    409: "Conflicts with the current state (locked thread, already concluded...)",
    413: "Request body larger than MAX_UPLOAD_MB",
    415: "Body is not application/json",
    422: "A field or parameter is invalid; `field` names it",
    429: "Rate limited; see Retry-After",
    503: "Temporarily unavailable (database busy, search index rebuilding); see Retry-After",
}
READ_ERRORS = (400, 401, 404, 429, 503)
WRITE_ERRORS = (400, 401, 403, 404, 409, 413, 415, 422, 429, 503)


def _id(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}


def _query(name: str, schema: dict, description: str = "") -> dict:
    param = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        param["description"] = description
    return param


def op(summary: str, ok: int, schema: dict | None, errors=READ_ERRORS, *, params=(), body: str | None = None,
       body_required: bool = True, public: bool = False, tag: str = "") -> dict:
    """One operation: its success response, its error responses and its request body."""
    responses = {str(ok): {"description": "Success"}}
    if schema is not None:
        responses[str(ok)]["content"] = {"application/json": {"schema": schema}}
    for code in sorted(set(errors) | {400}):
        responses[str(code)] = {"$ref": f"#/components/responses/E{code}"}
    operation = {"summary": summary, "responses": responses, "parameters": list(params)}
    if tag:
        operation["tags"] = [tag]
    if body:
        operation["requestBody"] = {"required": body_required,
                                    "content": {"application/json": {"schema": ref(body)}}}
    if public:
        operation["security"] = [{"bearer": []}, {}]
    return operation


IDEMPOTENCY_KEY = {"name": "Idempotency-Key", "in": "header", "required": False,
                   "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.:\\-]{8,64}$"},
                   "description": "Send the same key again (a retry) and you get the object the first call created "
                                  "(200, `duplicate: true`) instead of a second one"}


def creating(operation: dict) -> dict:
    """A creation endpoint: it takes an Idempotency-Key and answers a repeated key with 200."""
    operation["parameters"].append(IDEMPOTENCY_KEY)
    operation["responses"]["200"] = {"description": "Already created with this Idempotency-Key", "content": {
        "application/json": {"schema": obj(["id", "type", "url", "duplicate"], id=INT, type=STR, url=STR,
                                           duplicate={"const": True})}}}
    return operation


def build_spec() -> dict:
    """The whole OpenAPI 3.1 document."""
    paths = {
        "/tokens": {"post": op("Exchange username and password for a bearer token", 201, ref("Token"),
                               (400, 401, 413, 415, 422, 429, 503), body="TokenRequest", tag="auth")
                    | {"security": []}},
        "/tokens/{token_id}": {"delete": op("Revoke one of the caller's tokens", 204, None,
                                            (401, 404, 429, 503), params=[_id("token_id")], tag="auth")},
        "/me": {"get": op("The caller, with their groups", 200, ref("Me"), tag="auth")},
        "/groups": {"get": op("Groups the caller may see, each with its blog and board", 200,
                              obj(["groups"], groups=array(ref("Group"))), public=True, tag="org")},
        "/boards/{board_id}/threads": {
            "get": op("Threads of a board, pinned first, then by last activity", 200,
                      obj(["threads", "next"], threads=array(ref("Thread")), next=NSTR), (*READ_ERRORS, 422),
                      params=[_id("board_id"), _query("before", STR, "opaque cursor: the `next` of the previous page"),
                              _query("limit", {"type": "integer", "minimum": 1, "maximum": 100})],
                      public=True, tag="boards"),
            "post": creating(op("Start a thread (a lesson preparation when kind is prep)", 201, ref("Thread"),
                                WRITE_ERRORS, params=[_id("board_id")], body="ThreadCreate", tag="boards")),
        },
        "/threads/{thread_id}": {
            "get": op("A thread with its posts in tree order (each with parent_id)", 200, ref("ThreadWithPosts"),
                      params=[_id("thread_id"), _query("page", {"type": "integer", "minimum": 1})],
                      public=True, tag="boards"),
            "delete": op("Soft-delete a thread", 204, None, WRITE_ERRORS, params=[_id("thread_id")],
                         body="Deletion", body_required=False, tag="boards"),
        },
        "/threads/{thread_id}/posts": {"post": creating(op("Reply to a thread, or to a post in it", 201, ref("Post"),
                                                           WRITE_ERRORS, params=[_id("thread_id")],
                                                           body="PostCreate", tag="boards"))},
        "/threads/{thread_id}/draft": {"post": op("The lead speaker posts the preparation draft", 200,
                                                  ref("Thread"), WRITE_ERRORS, params=[_id("thread_id")],
                                                  body="DraftCreate", tag="boards")},
        "/threads/{thread_id}/conclude": {"post": op(
            "Conclude a lesson preparation; publishes the summary entry (a second call is 409)", 201,
            ref("SummaryEntry"), WRITE_ERRORS, params=[_id("thread_id")], body="Conclude", tag="boards")},
        "/posts/{post_id}": {"delete": op("Soft-delete a reply", 204, None, WRITE_ERRORS, params=[_id("post_id")],
                                          body="Deletion", body_required=False, tag="boards")},
        "/posts/{post_id}/adopt": {"post": op("Adopt (采纳) a reply; a second adoption is 409", 200, ref("Post"),
                                              WRITE_ERRORS, params=[_id("post_id")], tag="boards")},
        "/blogs/{blog_id}/entries": {
            "get": op("Published entries of a blog, newest first", 200, ref("EntryList"), (*READ_ERRORS, 422),
                      params=[_id("blog_id"), _query("page", {"type": "integer", "minimum": 1}),
                              _query("category", {"enum": CATEGORIES}), _query("tag", STR)],
                      public=True, tag="blogs"),
            "post": creating(op("Write an entry", 201, ref("Entry"), WRITE_ERRORS, params=[_id("blog_id")],
                                body="EntryCreate", tag="blogs")),
        },
        "/entries/{entry_id}": {
            "get": op("One entry, with its Markdown and sanitized HTML", 200, ref("Entry"),
                      params=[_id("entry_id")], public=True, tag="blogs"),
            "delete": op("Soft-delete an entry", 200, ref("Deleted"), WRITE_ERRORS, params=[_id("entry_id")],
                         body="Deletion", body_required=False, tag="blogs"),
        },
        "/entries/{entry_id}/comments": {"post": creating(op("Comment on an entry", 201, ref("Comment"),
                                                             WRITE_ERRORS, params=[_id("entry_id")],
                                                             body="CommentCreate", tag="blogs"))},
        "/comments/{comment_id}": {"delete": op("Soft-delete a comment", 200, ref("Deleted"), WRITE_ERRORS,
                                                params=[_id("comment_id")], body="Deletion", body_required=False,
                                                tag="blogs")},
        "/search": {"get": op(
            "Full-text search over what the caller may read", 200, ref("SearchResults"), (*READ_ERRORS, 422),
            params=[{**_query("q", {"type": "string", "minLength": 1}), "required": True},
                    _query("type", {"enum": ["entry", "thread", "post", "comment"]}),
                    _query("group", {"type": "integer", "minimum": 1}),
                    _query("page", {"type": "integer", "minimum": 1})],
            public=True, tag="search")},
        "/tallies": {"get": op(
            "A month's contribution table, limited to what the caller may see", 200, ref("Tallies"),
            (*READ_ERRORS, 403, 422),
            params=[_query("month", {"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$"}),
                    _query("by", {"enum": ["teacher", "group", "school"], "default": "teacher"})],
            tag="tallies")},
        "/openapi.json": {"get": op("This document", 200, {"type": "object"}, (429,), public=True, tag="meta")},
    }
    from forum.moderation.openapi import add_paths  # moderation documents its own endpoints

    add_paths(paths, SCHEMAS)
    error_body = {"application/json": {"schema": ref("Error")}}
    responses = {f"E{code}": {"description": text, "content": error_body} for code, text in ERROR_TEXT.items()}
    for code in (429, 503):
        responses[f"E{code}"]["headers"] = {"Retry-After": {"schema": {"type": "string"}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Jiaoyan (教研) API", "version": "1",
                 "description": "JSON API of the teaching-research platform. Sign in with POST /tokens, "
                                "then send `Authorization: Bearer TOKEN`. Errors are "
                                "`{\"error\": {\"code\", \"message\", \"field\"?}}`."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": SCHEMAS,
            "responses": responses,
        },
    }


@bp.get("/openapi.json")
def openapi_spec():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(build_spec())
