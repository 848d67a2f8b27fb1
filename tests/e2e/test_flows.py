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
    page.get_by_label("标题").fill(title)
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
    assert not v.console_errors, v.console_errors


def test_lesson_prep_from_draft_to_summary_on_group_blog(visit, accounts):
    """(b) a lead speaker drafts a 集体备课, two members reply, the host adopts and concludes."""
    lead_name, first_name, second_name = accounts["members"][1:4]
    title = "集体备课：三年级上册第七单元《大自然的声音》"
    lead = visit("lead", lead_name)
    page = lead.page
    page.goto(f"/boards/{accounts['board_id']}/new")
    page.get_by_label("类型").select_option("prep")
    page.get_by_label("标题").fill(title)
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
