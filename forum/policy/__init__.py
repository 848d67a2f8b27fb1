"""The policy module: the one place that decides who may do what.

Ask it by name: `can(user, "edit", entry)`. Views, API endpoints, templates (through the
`can` context function) and services all ask here, so a page never shows a button the
server would refuse, and a rule lives once.

Scope: a host moderates only their own group's blog, board and guestbook; a leader moderates
within the school or cluster they are scoped to (everything if unscoped); an admin everywhere.
Visibility: `public` (everyone), `school` (members of the owning school, and the group's
members), `group` (the group's members). Deleted content is visible only to moderators in scope.
"""
from __future__ import annotations

# The pieces, in dependency order; each rule registers itself with the registry on import.
from forum.policy.registry import _RULES, _SITE_RULES, can, rule  # noqa: F401
from forum.policy.identity import (  # noqa: F401
    _membership_map, can_read_group, forget_memberships, is_admin, is_host, is_member, leader_covers_group,
    leader_covers_school, moderates_group, preload_memberships, signed_in)
from forum.policy.containers import (  # noqa: F401
    can_post_in_board, can_read_blog, can_read_board, can_write_blog, moderates_blog, moderates_board)
from forum.policy.org import (  # noqa: F401
    can_manage_org, can_see_group_audit, can_see_group_tallies, can_see_school_tallies, can_see_teacher_tallies,
    can_set_theme, can_suspend)
from forum.policy.content import (  # noqa: F401
    can_delete_content, can_download, can_edit_content, can_flag, can_read_content, can_restore_content,
    can_see_history, content_container, content_group, moderates_content)
from forum.policy.moderation import MEMBERS_ONLY, actions_on, asker, hosts_any_group  # noqa: F401

# The SQL twins of the rules (lists, feeds, search, the API).
from forum.policy.queries import (  # noqa: F401
    readable_blogs_clause, readable_boards_clause, readable_group_ids, statement_for, visibility_key,
    visible_groups_clause,
)

__all__ = ["can", "rule", "actions_on", "asker", "readable_group_ids", "readable_blogs_clause", "readable_boards_clause",
           "visible_groups_clause", "statement_for", "visibility_key", "moderates_group", "can_read_group", "signed_in"]
