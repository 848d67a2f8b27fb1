"""An empty reply is a clear 422, never a crash."""
from tests.factories import make_group, make_thread, make_user


def test_empty_reply_is_422_with_message(client, login, db):
    from forum.boards.models import Post

    teacher = make_user()
    group = make_group(members=[teacher])
    thread = make_thread(group.board, teacher)
    login(teacher)
    resp = client.post(f"/boards/threads/{thread.id}/reply", data={"body": "   "})
    assert resp.status_code == 422
    assert "请填写回复内容" in resp.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Post)) == 0
