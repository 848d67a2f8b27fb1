"""The five flows of issue 10, in Chromium against the seeded demo district, with screenshots."""
from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

# A tiny but genuine PDF (the upload check reads the content, not just the name).
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


def test_teacher_writes_reflection_with_attachment_and_finds_it(visit, accounts):
    """(a) sign in, write a 教学反思 in Chinese, attach a PDF, see it on the group page, find it by search."""
    v = visit("teacher", accounts["teacher"])
    page = v.page
    title = "《秋天的雨》教学反思：蒲公英信箱里的朗读课"
    page.goto(f"/blogs/{accounts['blog_id']}/new?category=reflection")
    page.get_by_label("标题", exact=True).fill(title)
    page.locator("select#category").select_option("reflection")
    page.get_by_label("正文").fill(
        "## 教学过程\n\n本课以“蒲公英信箱”导入，引导学生在朗读中感受秋天的色彩与声音。\n\n"
        "## 反思\n\n- 朗读指导还不够细致；\n- 下次让学生先圈画描写颜色的词语。\n")
    v.shot("editor")
    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_load_state()
    upload = page.locator("form.upload-form")
    upload.get_by_label("上传课件、图片或视频").set_input_files(
        {"name": "秋天的雨-板书设计.pdf", "mimeType": "application/pdf", "buffer": PDF})
    upload.get_by_role("button", name="上传", exact=True).click()
    page.wait_for_load_state()
    assert page.locator("#attachments").get_by_text("秋天的雨-板书设计.pdf").is_visible()
    page.locator("#entry-editor").get_by_role("button", name="发表").click()
    page.wait_for_load_state()
    assert re.search(r"/blogs/entries/\d+$", page.url), page.url
    page.get_by_role("heading", name=title).wait_for()
    assert page.get_by_role("link", name=re.compile("秋天的雨-板书设计")).count() >= 1
    v.shot("entry")

    page.goto(f"/groups/{accounts['group_id']}")
    page.get_by_role("link", name=title).first.wait_for()
    v.shot("group")

    box = page.get_by_role("search")
    box.get_by_label("搜索").fill("蒲公英信箱")
    box.get_by_role("button", name="搜索").click()
    page.wait_for_load_state()
    assert "/search" in page.url
    page.locator("main").get_by_role("link", name=re.compile("蒲公英信箱")).first.wait_for()
    v.shot("search")
    # Choosing a school lists its groups in the group filter (static/js/search.js).
    school = page.locator("select#school")
    value = school.locator("option").nth(1).get_attribute("value")
    expected = [g["label"] for g in page.request.get(f"/search/groups?school={value}").json()["groups"]]
    assert expected
    school.select_option(value)
    page.wait_for_function("labels => JSON.stringify([...document.querySelectorAll('select#group option')]"
                           ".slice(1).map(o => o.textContent)) === JSON.stringify(labels)", arg=expected)
    assert not v.console_errors, v.console_errors


def test_lesson_prep_from_draft_to_summary_on_group_blog(visit, accounts):
    """(b) a lead speaker drafts a 集体备课, two members reply, the host adopts and concludes."""
    lead_name, first_name, second_name = accounts["members"][1:4]
    title = "集体备课：三年级上册第七单元《大自然的声音》"
    lead = visit("lead", lead_name)
    page = lead.page
    page.goto(f"/boards/{accounts['board_id']}/new")
    page.get_by_label("类型").select_option("prep")
    page.get_by_label("标题", exact=True).fill(title)
    page.get_by_label("课题/单元").fill("第七单元《大自然的声音》")
    page.locator("form.thread-form").get_by_role("button", name="发布").click()
    page.wait_for_load_state()
    assert re.search(r"/boards/threads/\d+", page.url), page.url
    thread_url = page.url.split("#")[0]
    page.get_by_role("link", name="发布初稿并开始研讨").click()
    page.get_by_label(re.compile("初稿")).fill(
        "## 教学重点\n\n感受课文描写声音的生动语言。\n\n## 教学难点\n\n仿照课文，写一写自己听到的声音。")
    lead.shot("draft")
    page.get_by_role("button", name="发布初稿并开始研讨").click()
    page.wait_for_load_state()
    page.get_by_text("感受课文描写声音的生动语言").wait_for()

    replies = {first_name: "建议增加“听声音猜事物”的游戏导入，激发兴趣。",
               second_name: "第二课时可以让学生录下校园里的声音，再进行仿写。"}
    for name, body in replies.items():
        member = visit(f"member-{name}", name)
        member.page.goto(thread_url)
        member.page.get_by_label("回复内容").fill(body)
        member.page.locator("form.reply-form").get_by_role("button", name="回复").click()
        member.page.wait_for_load_state()
        member.page.locator("article.post", has_text=body).wait_for()

    host = visit("host", accounts["host"])
    page = host.page
    page.goto(thread_url)
    post = page.locator("article.post", has_text=replies[first_name])
    post.get_by_role("button", name="采纳", exact=True).click()
    page.wait_for_load_state()
    page.locator("article.post.adopted", has_text=replies[first_name]).wait_for()
    host.shot("adopted")
    page.get_by_role("link", name="定稿", exact=True).click()
    summary = page.get_by_label(re.compile("集体备课纪要"))
    assert "听声音猜事物" in summary.input_value()  # prefilled from the adopted reply
    summary.fill(summary.input_value() + "\n\n## 共识\n\n以“听声音猜事物”导入，第二课时开展校园声音仿写。")
    page.get_by_role("button", name="定稿并发布").click()
    page.wait_for_load_state()
    page.get_by_text("已定稿，纪要已发布到组博客。").wait_for()
    host.shot("concluded")

    page.goto(f"/blogs/{accounts['blog_id']}")
    link = page.locator("main").get_by_role("link", name=re.compile("大自然的声音")).first
    link.click()
    page.wait_for_load_state()
    page.get_by_text("校园声音仿写").first.wait_for()
    host.shot("summary-entry")
    for v in (lead, host):
        assert not v.console_errors, v.console_errors


def _first_entry_id(live_server, blog_id: int) -> int:
    """A published entry of the group blog to comment on."""
    import sqlalchemy as sa

    from forum.blogs.models import Entry
    from forum.extensions import db

    with live_server.app.app_context():
        return db.session.scalar(sa.select(Entry.id).where(Entry.blog_id == blog_id, Entry.status == "published",
                                                           Entry.deleted_at.is_(None)).order_by(Entry.id.desc()))


def test_host_deletes_comment_with_reason_and_author_is_notified(visit, accounts, live_server):
    """(c) a host deletes a comment with the reason 违背教师职业道德; its author sees the notification."""
    entry_id = _first_entry_id(live_server, accounts["blog_id"])
    author_name = accounts["members"][4]
    body = "这种做法太死板了，学生根本学不会。"
    author = visit("author", author_name)
    author.page.goto(f"/blogs/entries/{entry_id}")
    author.page.locator("#comment-form").get_by_role("textbox").fill(body)
    author.page.locator("#comment-form").get_by_role("button", name="发表评论").click()
    author.page.wait_for_load_state()
    author.page.locator("li.comment", has_text=body).wait_for()

    host = visit("host", accounts["host"])
    page = host.page
    page.on("dialog", lambda d: d.accept())
    page.goto(f"/blogs/entries/{entry_id}")
    comment = page.locator("li.comment", has_text=body)
    # The host also sees a 举报 form with its own 说明 field: work inside the delete form only.
    delete_form = comment.locator("details", has=page.locator("summary", has_text="删除"))
    delete_form.locator("summary").click()
    delete_form.get_by_label("删除原因").select_option(label="违背教师职业道德")
    note = delete_form.get_by_label("说明")
    if note.count():
        note.fill("请注意对学生的评价用语。")
    host.shot("delete-with-reason")
    delete_form.get_by_role("button", name="确认删除").click()
    page.wait_for_load_state()
    page.locator("li.comment.is-deleted", has_text=body).wait_for()  # moderators still see it, marked
    host.shot("deleted")

    author.page.goto(f"/blogs/entries/{entry_id}")
    assert author.page.locator("li.comment", has_text=body).count() == 0  # hidden from everyone else
    author.page.get_by_role("link", name=re.compile("通知")).click()
    author.page.wait_for_load_state()
    notice = author.page.locator("li.notif", has_text="违背教师职业道德")
    notice.first.wait_for()
    author.shot("notification")


def test_leader_switches_month_downloads_xlsx_and_publishes_bulletin(visit, accounts):
    """(d) a leader opens /tallies/, switches month, downloads the XLSX and publishes the bulletin."""
    leader = visit("leader", accounts["leader"])
    page = leader.page
    page.goto("/tallies/")
    leader.shot("dashboard")
    month_select = page.get_by_label("月份")
    month = month_select.locator("option").nth(2).get_attribute("value")
    month_select.select_option(month)
    page.locator("form.tally-picker", has=month_select).get_by_role("button", name="查看").click()
    page.wait_for_url(re.compile(rf"month={month}"))
    page.locator("h1", has_text=f"{int(month[:4])}年{int(month[5:])}月").wait_for()
    leader.shot("month")
    with page.expect_download() as info:
        page.get_by_role("link", name="Excel (XLSX)").first.click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    assert open(download.path(), "rb").read(2) == b"PK"  # a zip container, as XLSX is
    page.get_by_role("link", name="发布本月通报").click()
    page.wait_for_load_state()
    assert page.get_by_label("月份").input_value() == month
    page.get_by_label("标题", exact=True).fill(f"{month} 教研工作月度通报（端到端测试）")
    page.get_by_label(re.compile("领导寄语")).fill("各教研组集体备课扎实，请继续保持。")
    leader.shot("publish")
    page.locator("main form").get_by_role("button", name="发布").click()
    page.wait_for_load_state()
    assert re.search(r"/tallies/bulletins/\d+$", page.url), page.url
    page.get_by_text("通报已发布。").wait_for()
    leader.shot("bulletin")
    page.emulate_media(media="print")
    leader.shot("bulletin-print")
    assert not leader.console_errors, leader.console_errors


def test_english_switch_changes_the_interface(visit):
    """(e) the English switch turns the interface to English, and back."""
    v = visit("visitor")
    page = v.page
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    nav = page.get_by_role("navigation", name="主导航")
    assert nav.get_by_role("link", name="首页").is_visible()
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    nav = page.get_by_role("navigation", name=re.compile("^Main", re.I))
    assert nav.get_by_role("link", name="Home").is_visible()
    assert page.get_by_role("button", name="Search").is_visible()
    v.shot("english")
    page.get_by_role("button", name="中文").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-CN"
