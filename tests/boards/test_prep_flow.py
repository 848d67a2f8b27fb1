"""The whole collective preparation in a browser: draft, replies (one nested), adopt, conclude."""
from sqlalchemy import select

from forum.blogs.models import Entry
from forum.boards.models import LessonPrep, Post, Thread
from forum.ledger.models import Contribution
from tests.boards.helpers import prep_group


def test_group_runs_whole_collective_preparation(app, db, client, login):
    group, host, lead, members = prep_group(4)
    login(host)
    resp = client.post(f"/boards/{group.board.id}/new", data={
        "kind": "prep", "title": "《秋天的雨》集体备课", "body": "", "lesson": "三年级上册第二单元《秋天的雨》",
        "subject": "语文", "grade": "三年级", "textbook": "部编版", "lead_speaker_id": lead.id, "theme_id": 0,
    })
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    thread = db.session.scalar(select(Thread))
    assert thread.prep.state == "drafting"
    client.post("/auth/logout")

    login(lead)
    resp = client.post(f"/boards/threads/{thread.id}/draft",
                       data={"body": "## 教学重难点\n体会秋天的美。\n\n## 学情\n三年级学生……\n\n## 预设问题与对策\n……"})
    assert resp.status_code == 302
    client.post("/auth/logout")

    login(members[1])
    client.post(f"/boards/threads/{thread.id}/reply", data={"body": "建议加入朗读指导。"})
    client.post("/auth/logout")
    login(members[2])
    first = db.session.scalar(select(Post).order_by(Post.id))
    client.post(f"/boards/threads/{thread.id}/reply", data={"body": "同意，并且可以配图。", "parent_id": first.id})
    client.post(f"/boards/threads/{thread.id}/reply", data={"body": "词语积累环节可以前置。"})
    client.post("/auth/logout")
    posts = db.session.scalars(select(Post).order_by(Post.id)).all()
    assert len(posts) == 3 and posts[1].parent_id == posts[0].id

    login(host)
    assert client.post(f"/boards/posts/{posts[0].id}/adopt").status_code == 302
    page = client.get(f"/boards/threads/{thread.id}").get_data(as_text=True)
    assert "已采纳" in page
    resp = client.post(f"/boards/threads/{thread.id}/conclude", data={"summary": "一、朗读指导贯穿全课。"})
    assert resp.status_code == 302
    again = client.post(f"/boards/threads/{thread.id}/conclude", data={"summary": "重复提交"})
    assert again.status_code == 409

    entries = db.session.scalars(select(Entry)).all()
    assert len(entries) == 1
    entry = entries[0]
    assert entry.category == "prep_summary" and entry.prep_thread_id == thread.id
    assert entry.blog_id == group.blog.id
    assert posts[0].author.display_name in entry.body
    assert f"/boards/threads/{thread.id}" in entry.body
    kinds = sorted(c.kind for c in db.session.scalars(select(Contribution)))
    assert kinds.count("prep_conclusion") == 1 and kinds.count("adoption") == 1 and kinds.count("prep_lead") == 1

    page = client.get(f"/boards/threads/{thread.id}").get_data(as_text=True)
    assert "已定稿" in page
    # members[3] never took part; the host is not expected to post.
    missing_part = page.split("未参与")[1].split("</p>")[0]
    assert members[3].display_name in missing_part
    assert members[1].display_name not in missing_part
    assert db.session.scalar(select(LessonPrep)).summary_entry_id == entry.id
