"""The profile shows the signed-in teacher's own contributions, by the ledger's rule (drafts and deleted content do not count)."""
from __future__ import annotations

import re

from forum.blogs import services as blogs
from tests.factories import make_group, make_school, make_user


def test_profile_counts_my_published_entries_only(app, client, login):
    school = make_school("实验小学")
    me = make_user("zhangsan", school=school, display_name="张三")
    other = make_user("lisi", school=school, display_name="李四")
    group = make_group("语文组", school=school, members=[me, other])
    body = "本节课围绕朗读展开，学生在读中体会作者的情感，效果比预想的好。"
    blogs.create_entry(group.blog, me, title="反思一", body=body, category="reflection")
    kept = blogs.create_entry(group.blog, me, title="反思二", body=body + "另一篇。", category="reflection")
    gone = blogs.create_entry(group.blog, me, title="反思三", body=body + "将被删除。", category="reflection")
    blogs.create_entry(group.blog, me, title="草稿", body=body, category="reflection", status="draft")
    blogs.delete_entry(gone, me)
    blogs.create_entry(group.blog, other, title="别人的", body=body, category="essay")
    assert kept.id
    login(me)
    page = client.get("/auth/profile").get_data(as_text=True)
    panel = page[page.index('id="my-contributions"'):]
    panel = panel[:panel.index("</section>")]
    first_row = re.search(r"<tbody><tr>(.*?)</tr>", panel, re.S).group(1)
    cells = re.findall(r"<td>(\d+)</td>", first_row)
    assert cells[0] == "2" and cells[5] == "2", cells  # entries, total: the draft, the deleted and 李四's do not count
    assert "近六个月" in panel
