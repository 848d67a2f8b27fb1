"""The shortcuts that keep page CPU down give the answers of the slow paths they replace:
the thread page's per-post action sets (policy.actions_on) agree with can() post by post, cached
visibility statements (policy.statement_for) follow the user's memberships, URL patterns build
the URLs url_for / url_with build, and the templates' memoized gettext translates as Flask-Babel."""
from __future__ import annotations

from flask import render_template_string, url_for

from forum import policy
from forum.boards import services
from forum.boards.models import Post
from forum.core.templating import RowUrls, url_pattern, url_with_pattern
from forum.org.services import add_member
from tests.boards.helpers import prep_group
from tests.factories import make_group, make_thread, make_user

ACTIONS = ("edit", "see_history", "adopt", "delete", "restore")


def test_actions_on_agrees_with_can_for_every_viewer_and_post(app, db):
    group, host, lead, (a, b, c) = prep_group(3)
    admin = make_user(role="admin")
    outsider = make_user()
    thread = make_thread(group.board, a)
    mine = services.reply(thread, a, "一楼")
    theirs = services.reply(thread, b, "二楼")
    nested = services.reply(thread, c, "回复一楼", parent_id=mine.id)
    gone = services.reply(thread, b, "将被删除")
    services.delete_post(gone, host, reason="spam")
    posts = list(db.session.scalars(db.select(Post).where(Post.thread_id == thread.id)))
    for viewer in (None, a, b, host, admin, outsider):
        from flask_login import AnonymousUserMixin

        user = viewer or AnonymousUserMixin()
        got = policy.actions_on(user, posts, ACTIONS)
        want = {p.id: frozenset(x for x in ACTIONS if policy.can(user, x, p)) for p in posts}
        assert got == want
    # What is at stake: the host may delete others' posts and restore the deleted one, a member only edits their own.
    assert "restore" in policy.actions_on(host, posts, ACTIONS)[gone.id]
    assert policy.actions_on(b, posts, ACTIONS)[mine.id] == frozenset()
    assert "edit" in policy.actions_on(a, posts, ACTIONS)[mine.id]
    assert {nested.id, theirs.id} <= set(policy.actions_on(a, posts, ACTIONS))


def test_memo_answers_do_not_outlive_the_pass(app, db):
    group, host, lead, (a,) = prep_group(1)
    teacher = make_user()
    board = group.board
    ask = policy.asker(teacher)  # one pass: its container answers are kept for it only
    assert not ask("moderate", board)
    add_member(group, teacher, host=True)
    db.session.commit()
    policy.forget_memberships(teacher)
    assert policy.can(teacher, "moderate", board)


def test_cached_statements_follow_memberships(app, db):
    teacher = make_user()
    other = make_user()
    closed = make_group(visibility="group", members=[other])
    thread = make_thread(closed.board, other, title="组内讨论")
    assert thread.id not in {t.id for t in services.latest_threads(teacher)}
    assert thread.id not in {t.id for t in services.latest_threads(None)}
    assert thread.id in {t.id for t in services.latest_threads(other)}
    add_member(closed, teacher)
    db.session.commit()
    policy.forget_memberships(teacher)
    assert thread.id in {t.id for t in services.latest_threads(teacher)}
    assert policy.visibility_key(teacher) != policy.visibility_key(other)
    assert policy.visibility_key(None) == ("visitor",)


def test_url_patterns_build_what_url_for_builds(app):
    with app.test_request_context("/boards/threads/7?page=2&reply_to=5&x=%E4%B8%AD"):
        pattern = url_pattern("boards.edit_post", "post_id")
        assert [pattern(i) for i in (1, 42, 10**12)] == [url_for("boards.edit_post", post_id=i) for i in (1, 42, 10**12)]
        from forum.core.templating import url_with

        reply = url_with_pattern("reply_to")
        assert reply(9) == url_with(reply_to=9)
        rows = RowUrls()
        assert rows("blogs.show_blog", "blog_id", 3, category="reflection") == url_for("blogs.show_blog", blog_id=3,
                                                                                     category="reflection")
        assert rows("blogs.show_blog", "blog_id", 4) == url_for("blogs.show_blog", blog_id=4)
    # A query string holding the sentinel: the pattern falls back to building each URL.
    with app.test_request_context("/boards/threads/7?q=918273645546372819"):
        from forum.core.templating import url_with

        assert url_with_pattern("reply_to")(3) == url_with(reply_to=3)


def test_template_gettext_matches_flask_babel(app):
    from flask_babel import gettext, refresh

    source = "{{ _('回复') }}|{{ _('回复 @%(name)s', name='<b>&') }}|{{ _('第 %(p)s / %(n)s 页', p=1, n=2) }}"
    for locale in ("zh_CN", "en"):
        with app.test_request_context("/", headers={"Cookie": f"locale={locale}"}):
            refresh()  # the fixture's app context (and Flask-Babel's locale on g) spans both requests
            got = render_template_string(source)
            want = "|".join([gettext("回复"), gettext("回复 @%(name)s", name="&lt;b&gt;&amp;"),
                             gettext("第 %(p)s / %(n)s 页", p=1, n=2)])
            assert got == want
            assert (got.startswith("Reply")) == (locale == "en")


def test_the_templates_url_for_remembers_what_flask_builds(app, monkeypatch):
    from forum.core.templating import memoized_url_for

    with app.test_request_context("/"):
        home, css = url_for("main.home"), url_for("static", filename="css/site.css")
        page_1 = url_for("boards.show_thread", thread_id=5, page=1)
        page_true = url_for("boards.show_thread", thread_id=5, page=True)
    built = []
    real = app.url_for
    monkeypatch.setattr(app, "url_for", lambda endpoint, **v: built.append(endpoint) or real(endpoint, **v))
    memo = memoized_url_for(app)
    with app.test_request_context("/"):
        for _ in range(3):
            assert memo("main.home") == home
            assert memo("static", filename="css/site.css") == css
        assert built == ["main.home", "static"]  # built once each
        # Equal values of other types build other URLs: each is kept apart.
        assert memo("boards.show_thread", thread_id=5, page=1) == page_1
        assert memo("boards.show_thread", thread_id=5, page=True) == page_true != page_1
        # External URLs depend on the host: built every time.
        memo("main.home", _external=True)
        memo("main.home", _external=True)
        assert built.count("main.home") == 3
    with app.test_request_context("/", base_url="http://localhost/jiaoyan/"):
        assert memo("main.home") == "/jiaoyan/"  # another script root: not the URL kept for "/"


def test_in_debug_the_templates_url_for_is_flasks(app):
    from forum.core.templating import memoized_url_for

    app.debug = True
    try:
        assert memoized_url_for(app) == app.url_for
    finally:
        app.debug = False
