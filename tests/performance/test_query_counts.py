"""Every main page runs the same number of SQL statements whatever the data size, and never writes.

A public group is filled with SMALL of everything (threads, replies, entries, comments, guestbook
messages, unread notifications for the signed-in teacher), each page is fetched and its statements
counted; then the group grows to LARGE of everything and the counts must not change. SMALL is just
past one page of blog entries, so both sizes run the pager's one COUNT. A page whose
count grows with the data has an N+1 (one query per row shown).
"""
from __future__ import annotations

import pytest

from forum.blogs import services as blogs
from forum.boards import services as boards
from forum.core import markup
from forum.extensions import db
from tests.factories import add_member, make_group, make_user
from tests.querycount import count_queries

# A page may run at most this many statements (a signed-in page: session user, memberships,
# the unread badge's notifications and their targets, then the page's own lists).
BOUND = 25
SMALL, LARGE = 16, 50


class World:
    """A public group with a host, a teacher and four colleagues, filled to a given size."""

    def __init__(self):
        self.host = make_user(display_name="赵主任")
        self.teacher = make_user(display_name="吴文博")
        self.others = [make_user(display_name=name) for name in ("王丽华", "李明", "张伟", "陈静")]
        self.group = make_group(members=[self.teacher, *self.others], hosts=[self.host])
        thread = boards.start_thread(self.group.board, self.teacher, "单元整体教学怎么做？", "请大家谈谈。")
        entry = blogs.create_entry(self.group.blog, self.teacher, title="《秋天的雨》教学反思",
                                   body="## 反思\n\n朗读为主。", category="reflection", tags=["朗读"])
        self.ids = {"group": self.group.id, "board": self.group.board.id, "blog": self.group.blog.id,
                    "thread": thread.id, "entry": entry.id, "users": [u.id for u in self.others],
                    "teacher": self.teacher.id}
        self.size = 0
        self.last_post_id = None

    def grow(self, size: int) -> None:
        """Add threads, replies (nested too), entries, comments and guestbook messages up to `size` each."""
        from forum.auth.models import User
        from forum.blogs.models import Blog, Entry
        from forum.boards.models import Board, Thread
        from forum.org.models import Group

        board, blog = db.session.get(Board, self.ids["board"]), db.session.get(Blog, self.ids["blog"])
        thread, entry = db.session.get(Thread, self.ids["thread"]), db.session.get(Entry, self.ids["entry"])
        others = [db.session.get(User, uid) for uid in self.ids["users"]]
        teacher = db.session.get(User, self.ids["teacher"])
        for i in range(self.size, size):
            author = others[i % len(others)]
            # Half the new threads and entries are the teacher's and get an answer: unread
            # notifications about many different threads and entries, as on a real account.
            mine = teacher if i % 2 else author
            new_thread = boards.start_thread(board, mine, f"第{i}个主题：作业设计", f"内容 **{i}**",
                                             tags=[f"标签{i % 3}"])
            # A new colleague answers each new thread: notifications from many different actors.
            newcomer = make_user(display_name=f"新同事{i}")
            add_member(db.session.get(Group, self.ids["group"]), newcomer)
            boards.reply(new_thread, newcomer, f"回复第{i}个主题")
            parent = self.last_post_id if i % 3 == 2 else None
            self.last_post_id = boards.reply(thread, author, f"第{i}楼：同意 @吴文博 的看法", parent_id=parent).id
            new_entry = blogs.create_entry(blog, mine, title=f"第{i}篇教学设计", body=f"正文{i}", category="design",
                                           tags=[f"标签{i % 4}"])
            blogs.add_comment(new_entry if mine is teacher else entry, author, f"第{i}条评论")
            blogs.add_guestbook_message(blog, author, f"第{i}条留言")
        self.size = size
        db.session.remove()  # every page view below starts with an empty session, as in a new request

    def pages(self) -> dict[str, str]:
        ids = self.ids
        return {
            "home": "/",
            "groups": "/groups",
            "group": f"/groups/{ids['group']}",
            "boards": "/boards/",
            "board": f"/boards/{ids['board']}",
            "thread": f"/boards/threads/{ids['thread']}",
            "blogs": "/blogs/",
            "blog": f"/blogs/{ids['blog']}",
            "entry": f"/blogs/entries/{ids['entry']}",
            "tallies": "/tallies/",
            "notifications": "/notifications/",
        }


def _counts(client, world: World) -> dict[str, int]:
    counts = {}
    for name, path in world.pages().items():
        db.session.remove()  # each request starts with an empty session, as on a real worker
        with count_queries() as log:
            resp = client.get(path)
        if resp.status_code != 200:
            continue  # e.g. /tallies/ and /notifications/ redirect a visitor to the login page
        assert not log.writes, f"{path} wrote on a page view: {log.writes}"
        counts[name] = log.n
    return counts


@pytest.mark.parametrize("audience", ["visitor", "teacher", "host"])
def test_statements_per_page_do_not_grow_with_the_data(app, client, login, audience):
    world = World()
    if audience != "visitor":
        login(world.teacher if audience == "teacher" else world.host)
    world.grow(SMALL)
    small = _counts(client, world)
    world.grow(LARGE)
    large = _counts(client, world)
    assert set(small) == set(large)
    expected = {"home", "groups", "group", "boards", "board", "thread", "blogs", "blog", "entry"}
    if audience != "visitor":
        expected |= {"tallies", "notifications"}
    assert expected <= set(small), sorted(small)
    grew = {page: (small[page], large[page]) for page in small if large[page] != small[page]}
    assert not grew, f"statements per page grew with the data ({SMALL} → {LARGE} rows): {grew}"
    too_many = {page: n for page, n in large.items() if n > BOUND}
    assert not too_many, f"pages above {BOUND} statements: {too_many}"


def test_pages_show_stored_html_without_rendering_markdown(app, client, login, monkeypatch):
    world = World()
    login(world.teacher)
    world.grow(5)
    calls = []
    real = markup.render
    monkeypatch.setattr(markup, "render", lambda source, *a, **k: calls.append(source) or real(source, *a, **k))
    for path in world.pages().values():
        assert client.get(path).status_code == 200, path
    assert calls == [], f"Markdown rendered on read {len(calls)} times"
