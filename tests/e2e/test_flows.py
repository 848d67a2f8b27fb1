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
