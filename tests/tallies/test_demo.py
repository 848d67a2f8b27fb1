"""The demo seeder: targets saved and last month's bulletin published by the leader."""
from __future__ import annotations

from types import SimpleNamespace

from forum.demo import tallies as demo
from forum.tallies.models import Bulletin, Target


def test_demo_seed_accepts_leader_or_context(district, db):
    demo.seed(SimpleNamespace(leader=district.leader))
    assert db.session.query(Target).count() == 4
    bulletin = db.session.query(Bulletin).one()
    assert bulletin.published_by_id == district.leader.id and "区教研室" in bulletin.body
    demo.seed(district.leader)  # idempotent
    assert db.session.query(Bulletin).count() == 1
