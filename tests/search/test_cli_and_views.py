"""`flask search …` commands, the page and the API with bad input (never a 500)."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from forum.search import index
from tests.factories import make_entry, make_group, make_thread
from tests.search.helpers import anonymous, keys, make_post


@pytest.fixture
def some_content(app, world):
    entries = [make_entry(world["public"].blog, world["member"], title=f"书法课{i}", body=f"书法练习第{i}课")
               for i in range(5)]
    t = make_thread(world["public"].board, world["member"], title="书法社团", body="书法社团招新")
    make_post(t, world["host"], "报名书法社团")
    return entries


def test_rebuild_recreates_the_index(app, runner, some_content):
    index.backend(app).clear()
    assert keys(anonymous(), "书法") == set()
    result = runner.invoke(args=["search", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "indexed 7 documents" in result.output
    assert len(keys(anonymous(), "书法")) == 7


def test_rebuild_resumes_after_an_interruption(app, runner, some_content, monkeypatch):
    from forum.search import documents

    real = documents.iter_docs
    calls = {"n": 0}

    def flaky(session, doc_type, after_id=0, batch=500):
        if doc_type == "thread":
            raise KeyboardInterrupt
        calls["n"] += 1
        return real(session, doc_type, after_id=after_id, batch=batch)

    monkeypatch.setattr(documents, "iter_docs", flaky)
    result = runner.invoke(args=["search", "rebuild"])
    assert result.exit_code != 0
    monkeypatch.setattr(documents, "iter_docs", real)
    result = runner.invoke(args=["search", "rebuild"])
    assert result.exit_code == 0, result.output
    if index.backend(app).name == "whoosh":
        assert "indexed 2 documents" in result.output  # the 5 entries were already done
    assert len(keys(anonymous(), "书法")) == 7


def test_rebuild_finishes_when_someone_writes_while_it_reads(app, runner, some_content, monkeypatch):
    """A live site writes during a rebuild (a reply, a view-count flush): the outbox clean-up at the
    end must not fail on SQLite for reading from a snapshot older than that write."""
    from sqlalchemy import text

    from forum.extensions import db
    from forum.search import documents
    from forum.search.models import SearchOutbox

    from forum.core.db import utcnow

    db.session.query(SearchOutbox).update({SearchOutbox.created_at: utcnow() - timedelta(hours=1)})
    db.session.commit()
    real = documents.iter_docs

    def with_a_write(session, doc_type, after_id=0, batch=500):
        for chunk in real(session, doc_type, after_id=after_id, batch=batch):
            yield chunk
            with db.engine.begin() as conn:  # another connection commits while the build reads
                conn.execute(text("UPDATE threads SET view_count = view_count + 1"))

    monkeypatch.setattr(documents, "iter_docs", with_a_write)
    result = runner.invoke(args=["search", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "indexed 7 documents" in result.output
    assert db.session.query(SearchOutbox).count() == 0  # the rows the build covered are drained
    assert len(keys(anonymous(), "书法")) == 7


def test_verify_lists_and_fixes_differences(app, runner, some_content):
    backend = index.backend(app)
    entry = some_content[0]
    backend.apply([], [f"entry:{entry.id}"])  # missing
    from forum.search.backends.base import SearchDoc
    from forum.core.db import utcnow

    backend.apply([SearchDoc("entry", 99999, "幽灵", "书法幽灵", 1, "x", None, None, "", [], utcnow(), "g1")], [])
    result = runner.invoke(args=["search", "verify"])
    assert result.exit_code == 1
    assert f"entry:{entry.id}" in result.output and "entry:99999" in result.output
    result = runner.invoke(args=["search", "verify", "--fix"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["search", "verify"])
    assert result.exit_code == 0 and "ok" in result.output, result.output


def test_verify_finds_stale_documents(app, some_content):
    from forum.extensions import db

    entry = some_content[1]
    app.config["SEARCH_INDEXER"] = "off"
    entry.title = "改过的标题"
    db.session.commit()
    session = index.session_for(app)
    try:
        result = index.verify(app, session)
    finally:
        session.close()
    assert result.stale == [f"entry:{entry.id}"]


def test_status_and_query_commands(app, runner, some_content):
    result = runner.invoke(args=["search", "status"])
    assert result.exit_code == 0
    assert "documents: 7" in result.output and "outbox pending: 0" in result.output
    result = runner.invoke(args=["search", "query", "书法社团", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total"] == 2 and {r["type"] for r in data["results"]} == {"thread", "post"}


@pytest.mark.parametrize("qs", [
    "q=", "q=%22", "q=*", "q=title:x", "q=a%20OR%20b", "q=" + "备" * 500, "q=%00", "q=书法&page=abc",
    "q=书法&page=-1", "q=书法&page=999999999999999999999", "q=书法&type=nope", "q=书法&group=x",
    "q=书法&from=2024-13-01", "q=书法&sort=random", "q=书法&author=%27", "q=书法&category=zzz",
    "q=书法&school=99999", "q=书法&page=2",
])
def test_page_never_fails_on_bad_input(client, some_content, qs):
    resp = client.get("/search?" + qs)
    assert resp.status_code in (200, 400, 422)  # 400: the site refuses NUL bytes before we see them


@pytest.mark.parametrize("qs, status", [
    ("q=书法", 200), ("q=", 422), ("q=书法&type=nope", 422), ("q=书法&page=abc", 422), ("q=%22%22", 200),
    ("q=书法&group=1", 200), ("q=书法&page=9999", 422),
])
def test_api_errors_are_json(client, some_content, qs, status):
    resp = client.get("/api/v1/search?" + qs)
    assert resp.status_code == status
    data = resp.get_json()
    if status == 422:
        assert data["error"]["code"] and data["error"]["message"]
    else:
        assert set(data) >= {"total", "results"}


def test_snippets_escape_user_text(app, client, world):
    make_entry(world["public"].blog, world["member"], title="<script>alert(1)</script>笛子",
               body="`<img src=x onerror=alert(1)>` 笛子")
    html = client.get("/search?q=笛子").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    data = client.get("/api/v1/search?q=笛子").get_json()
    assert "<b>笛子</b>" in data["results"][0]["snippet"]
    assert "<img" not in data["results"][0]["snippet"]


def test_search_page_filters_render(client, some_content):
    resp = client.get("/search?q=书法&type=entry&sort=newest")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    results = html.split("search-results", 1)[-1]
    assert "<b>书法</b>课4" in results and "社团" not in results


def test_capped_totals_say_so(app, client, world, monkeypatch):
    """Beyond the count cap the page and the API say "more than N", never a made-up exact number."""
    from forum.search.backends import postgres_backend, whoosh_backend

    for i in range(22):
        make_entry(world["public"].blog, world["member"], title=f"古筝{i}", body="古筝合奏")
    exact = client.get("/api/v1/search?q=古筝").get_json()
    assert exact["total"] == 22 and exact["total_exact"] is True
    assert "共找到 22 条结果" in client.get("/search?q=古筝").get_data(as_text=True)
    monkeypatch.setattr(whoosh_backend, "COUNT_CAP", 21)
    monkeypatch.setattr(postgres_backend, "COUNT_CAP", 21)
    # Whoosh counts every match of a selective query exactly; only broad (windowed) ones are capped.
    monkeypatch.setattr(whoosh_backend.WhooshBackend, "_recent_window",  # a window of every month
                        lambda self, s, q, wanted: frozenset(t.decode() for t in s.reader().lexicon("month")))
    capped = client.get("/api/v1/search?q=古筝").get_json()
    assert capped["total"] == 21 and capped["total_exact"] is False and len(capped["results"]) == 20
    assert "找到 21 多条结果" in client.get("/search?q=古筝").get_data(as_text=True)


def _group_options(html: str) -> list[str]:
    select = html.split('<select id="group"', 1)[1].split("</select>", 1)[0]
    return [part.split(">", 1)[1].split("<", 1)[0] for part in select.split("<option")[2:]]  # after "all"


def test_group_filter_offers_own_groups_and_the_chosen_schools(client, login, world):
    """Not every readable group of the district: the reader's own, the chosen school's (readable
    ones only) and the chosen group."""
    a, b = world["school_a"].id, world["school_b"].id
    assert _group_options(client.get("/search?q=书法").get_data(as_text=True)) == []
    visitor_a = _group_options(client.get(f"/search?q=书法&school={a}").get_data(as_text=True))
    assert visitor_a == ["语文组"]  # the school-only and the group-only group stay hidden
    assert _group_options(client.get(f"/search?q=书法&school={b}").get_data(as_text=True)) == []
    chosen = client.get(f"/search?q=书法&group={world['public'].id}").get_data(as_text=True)
    assert f'<option value="{world["public"].id}" selected>' in chosen
    assert _group_options(client.get(f"/search?q=书法&group={world['private'].id}").get_data(as_text=True)) == []

    login(world["member"])
    own = _group_options(client.get("/search?q=书法").get_data(as_text=True))
    assert sorted(own) == sorted(f"实验小学 · {n}" for n in ("语文组", "数学组", "英语组"))
    make_group("美术组", school=world["school_b"], visibility="public")
    # The chosen school's groups first, by name; the reader's own from elsewhere after, named with their school.
    mixed = _group_options(client.get(f"/search?q=书法&school={b}").get_data(as_text=True))
    assert mixed == ["美术组"] + sorted(f"实验小学 · {n}" for n in ("语文组", "数学组", "英语组"))


def test_group_options_endpoint(client, login, world):
    a = world["school_a"].id
    assert client.get(f"/search/groups?school={a}").get_json() == {
        "groups": [{"id": world["public"].id, "label": "语文组"}]}
    login(world["colleague"])  # same school: the school-only group too, not the group-only one
    labels = [g["label"] for g in client.get(f"/search/groups?school={a}").get_json()["groups"]]
    assert sorted(labels) == ["数学组", "语文组"]
    assert client.get("/search/groups").get_json() == {"groups": []}  # no school, no groups of one's own
    for bad in ("x", "-1", "9" * 30):
        resp = client.get(f"/search/groups?school={bad}")
        assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "school"


def test_later_pages_number_their_results_on_from_the_page_before(client, app, world):
    for i in range(22):
        make_entry(world["public"].blog, world["member"], title=f"剪纸课{i}", body=f"剪纸练习第{i}课")
    first = client.get("/search", query_string={"q": "剪纸"}).get_data(as_text=True)
    second = client.get("/search", query_string={"q": "剪纸", "page": 2}).get_data(as_text=True)
    assert '<ol class="search-results" start="1">' in first and first.count('class="search-result ') == 20
    assert '<ol class="search-results" start="21">' in second and second.count('class="search-result ') == 2


def test_a_reply_found_on_a_later_page_of_its_thread_is_linked_to_that_page(app, client, world):
    """A search hit for a reply links to the reply itself, which opens the thread's page that shows
    it, at its anchor: not page 1 of a long thread, where the reply is not."""
    import re

    from forum.boards import services

    t = make_thread(world["public"].board, world["member"], title="作文讲评", body="作文讲评安排")
    for i in range(services.PAGE_SIZE):
        services.reply(t, world["host"], f"第{i + 1}楼的意见")
    late = services.reply(t, world["member"], "芦笙进课堂的尝试")
    html = client.get("/search?q=芦笙").get_data(as_text=True)
    links = re.findall(rf'href="(/boards/(?:posts/{late.id}|threads/{t.id})[^"]*)"', html)
    assert links == [f"/boards/posts/{late.id}"]
    landed = client.get(links[0])
    assert landed.status_code == 302
    assert landed.headers["Location"].endswith(f"/boards/threads/{t.id}?page=2#p-{late.id}")
    page = client.get(landed.headers["Location"].split("#")[0]).get_data(as_text=True)
    assert f'id="p-{late.id}"' in page and "芦笙进课堂的尝试" in page


def test_a_results_page_loads_one_statement_per_kind_of_hit(app, client, world):
    """Entries, threads, replies and comments on one page: a statement per kind, whatever their
    tags (a list shows none) and however many hits; the titles, snippets and places are shown."""
    from forum.blogs import services as blogs
    from forum.boards import services as boards
    from tests.querycount import count_queries
    from tests.search.helpers import make_comment

    def fill(n):
        for i in range(n):
            entry = blogs.create_entry(world["public"].blog, world["member"], title=f"竖笛教学{i}",
                                       body=f"竖笛合奏第{i}课", category="design", tags=[f"器乐{i}", "竖笛"])
            thread = boards.start_thread(world["public"].board, world["member"], f"竖笛社团{i}",
                                         f"竖笛社团招新{i}", tags=[f"社团{i}"])
            make_post(thread, world["host"], f"竖笛报名{i}")
            make_comment(entry, world["host"], f"竖笛练习{i}")

    def statements():
        client.get("/search?q=竖笛")  # warm: the reader's containers are remembered per request
        with count_queries() as log:
            html = client.get("/search?q=竖笛").get_data(as_text=True)
        return log, html

    fill(1)
    small, _html = statements()
    fill(3)  # 16 hits: still one page (a full page makes the PostgreSQL backend count the rest)
    large, html = statements()
    assert large.n == small.n
    assert not any("_tags" in sql for sql in large.sql), large.sql
    for kind in ("entry", "thread", "post", "comment"):
        assert f"search-result-{kind}" in html
    assert "<b>竖笛</b>教学" in html and "语文组" in html and "<b>竖笛</b>报名" in html
