"""Reply trees: order, nesting, flattening past the display depth, and constant-cost pagination."""
import time

from sqlalchemy import select

from forum.boards import services
from forum.boards.models import Post
from tests.boards.helpers import build_big_thread, count_queries, prep_group
from tests.factories import make_thread


def _reply(thread, user, body, parent=None):
    return services.reply(thread, user, body, parent_id=parent.id if parent else None)


def test_tree_order_and_nesting(app, db):
    group, host, lead, (a, b, c) = prep_group(3)
    thread = make_thread(group.board, a)
    p1 = _reply(thread, b, "一楼")
    p2 = _reply(thread, c, "二楼")
    p1a = _reply(thread, a, "回复一楼", p1)
    p1a1 = _reply(thread, b, "回复回复", p1a)
    p1b = _reply(thread, c, "一楼的第二个回复", p1)
    p2a = _reply(thread, a, "回复二楼", p2)
    assert [p1.position, p2.position] == [1, 2]
    assert p1a.position is None and p1a.root_id == p1.id and p1a1.depth == 2
    tree = services.thread_page(thread, host, 1)
    flat = [(s.post.id, s.level) for s in services.flatten(tree)]
    assert flat == [(p1.id, 0), (p1a.id, 1), (p1a1.id, 2), (p1b.id, 1), (p2.id, 0), (p2a.id, 1)]
    assert [c.post.id for c in tree[0].children] == [p1a.id, p1b.id]
    db.session.refresh(thread)
    assert thread.reply_count == 6 and thread.top_level_count == 2


def test_deep_replies_flatten_with_reply_to_name(app, db, client):
    group, host, lead, (a, b, c) = prep_group(3)
    thread = make_thread(group.board, a)
    parent = _reply(thread, b, "楼主")
    chain = [parent]
    for i in range(services.DISPLAY_DEPTH + 3):
        chain.append(_reply(thread, [a, b, c][i % 3], f"第{i}层", chain[-1]))
    tree = services.thread_page(thread, host, 1)
    flat = services.flatten(tree)
    assert [s.post.id for s in flat] == [p.id for p in chain]  # order kept
    assert max(s.level for s in flat) == services.DISPLAY_DEPTH
    deep = [s for s in flat if s.post.depth > services.DISPLAY_DEPTH]
    assert deep and all(s.reply_to == s.post.parent.author.display_name for s in deep)
    page = client.get(f"/boards/threads/{thread.id}").get_data(as_text=True)
    assert "回复 @" in page


def test_reply_to_post_of_another_thread_is_422(app, db):
    import pytest

    from forum.core.errors import ApiError

    group, host, lead, (a, b, c) = prep_group(3)
    t1, t2 = make_thread(group.board, a), make_thread(group.board, b, title="另一个帖子")
    other = _reply(t2, c, "别处的回复")
    with pytest.raises(ApiError) as exc:
        _reply(t1, a, "错位回复", other)
    assert exc.value.status == 422 and exc.value.field == "parent_id"


def test_big_thread_page_costs_the_same_queries_on_page_1_and_40(app, db, client, login):
    group, host, lead, members = prep_group(4)
    thread = build_big_thread(group.board, members, 2000)
    assert thread.top_level_count == 1000 and services.page_count(thread) == 50
    login(members[1])
    client.get(f"/boards/threads/{thread.id}")  # warm-up: per-session caches (the user, memberships)
    counts, times = {}, {}
    for page in (1, 40, 50, 1, 40):
        with count_queries() as q:
            t0 = time.perf_counter()
            resp = client.get(f"/boards/threads/{thread.id}?page={page}")
            times[page] = time.perf_counter() - t0
        assert resp.status_code == 200
        counts.setdefault(page, set()).add(q["n"])
    assert counts[1] == counts[40] == counts[50], counts
    assert not any("OFFSET" in s.upper() for s in q["sql"] if "FROM posts" in s)
    html = client.get(f"/boards/threads/{thread.id}?page=40").get_data(as_text=True)
    first_on_40 = db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.position == 781))
    assert f'id="p-{first_on_40.id}"' in html
    assert client.get(f"/boards/threads/{thread.id}?page=51").status_code == 404


def test_reply_service_builds_the_same_shape(app, db):
    group, host, lead, members = prep_group(3)
    thread = build_big_thread(group.board, members, 60, fast=False)
    posts = db.session.scalars(select(Post).where(Post.thread_id == thread.id).order_by(Post.id)).all()
    assert [p.position for p in posts if p.parent_id is None] == list(range(1, 31))
    for p in posts:
        if p.parent_id:
            assert p.path.startswith(p.parent.path + ".") and p.root_id == p.parent.root_id
            assert p.depth == p.parent.depth + 1


def test_service_page_query_count_is_constant(app, db):
    group, host, lead, members = prep_group(3)
    thread = build_big_thread(group.board, members, 2000)
    seen = set()
    services.thread_page(thread, members[0], 2)  # warm-up: the viewer's membership map is cached
    for page in (1, 20, 40):
        db.session.expire_all()
        with count_queries() as q:
            items = services.flatten(services.thread_page(thread, members[0], page))
        seen.add(q["n"])
        assert items[0].post.position == (page - 1) * services.PAGE_SIZE + 1
    assert len(seen) == 1, seen


def test_board_lists_pinned_first_then_last_activity(app, db, client):
    group, host, lead, (a, b, c) = prep_group(3)
    old = make_thread(group.board, a, title="旧帖子")
    pinned = make_thread(group.board, b, title="置顶帖子")
    newer = make_thread(group.board, c, title="新帖子")
    _reply(old, b, "顶上来")  # now the most recently active
    services.toggle(pinned, host, "pinned")
    rows, _cursor = services.board_threads(group.board, a)
    assert [t.id for t in rows] == [pinned.id, old.id, newer.id]
    page = client.get(f"/boards/{group.board.id}").get_data(as_text=True)
    assert page.index("置顶帖子") < page.index("旧帖子") < page.index("新帖子")
    assert b.display_name in page  # last poster of 旧帖子


def test_board_keyset_pagination_walks_every_thread_once(app, db):
    group, host, lead, (a, b, c) = prep_group(3)
    made = [make_thread(group.board, a, title=f"帖子{i}") for i in range(7)]
    services.toggle(made[3], host, "pinned")
    seen, cursor = [], None
    while True:
        rows, cursor = services.board_threads(group.board, a, before=cursor, limit=3)
        seen += [t.id for t in rows]
        if not cursor:
            break
    assert sorted(seen) == sorted(t.id for t in made) and len(seen) == len(set(seen))
    assert seen[0] == made[3].id
