"""Policy rules for bulletins, registered on forum.policy so that `can(user, "read", bulletin)` works."""
from __future__ import annotations

from forum.policy import can, is_admin, rule, signed_in
from forum.tallies.models import Bulletin


@rule("read", Bulletin)
def can_read_bulletin(user, bulletin: Bulletin) -> bool:
    """Leaders whose scope covers the bulletin's scope, and admins.

    A bulletin holds per-teacher figures for its whole scope, so only those who may see every
    table of that scope read it: an unscoped leader or admin reads all, a scoped leader the
    bulletins of their own school or cluster, or of a school inside their cluster.
    """
    if not signed_in(user) or not can(user, "see_all_tallies"):
        return False
    if is_admin(user) or (user.scope_school_id is None and user.scope_cluster_id is None):
        return True
    if bulletin.scope_key == "all":
        return False
    if user.scope_school_id is not None:
        return bulletin.scope_school_id == user.scope_school_id
    if bulletin.scope_cluster_id is not None:
        return bulletin.scope_cluster_id == user.scope_cluster_id
    from forum.extensions import db
    from forum.org.models import School

    school = db.session.get(School, bulletin.scope_school_id) if bulletin.scope_school_id else None
    return school is not None and school.cluster_id == user.scope_cluster_id
