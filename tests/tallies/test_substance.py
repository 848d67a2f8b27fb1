"""The substantive rule on a table of Chinese and English examples, and the near-duplicate window."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from forum.ledger.substance import fingerprint, is_bump, is_substantive, meaningful_text, near_duplicate, similarity

LONG_ZH = "本节课的教学重难点在于引导学生理解分数的意义，建议增加直观操作环节。"
LONG_EN = "The lesson objectives should focus on reading strategies for finding main ideas."

EXAMPLES = [
    # (text, substantive?, why)
    ("顶", False, "bump"),
    ("顶顶顶顶顶顶顶顶顶顶顶顶", False, "repeated bump"),
    ("学习了", False, "bump"),
    ("学习了学习了学习了学习了", False, "repeated bump over 10 CJK"),
    ("学习了，谢谢分享！支持支持！赞赞赞", False, "only bump phrases, 14 CJK"),
    ("支持！👍👍👍", False, "bump with emoji"),
    ("mark", False, "Latin bump"),
    ("Thanks, thanks, thanks, thanks, thanks!", False, "repeated English bump"),
    ("路过", False, "bump"),
    ("哈哈哈哈哈哈哈哈哈哈哈哈", False, "one character repeated"),
    ("66666666666666666666666", False, "digit repeated"),
    ("很好的设计，值得学习", False, "9 CJK: under 10"),
    ("这节课的设计很好值得学习", True, "12 CJK"),
    ("这节课的导入很精彩学生兴趣很高", True, "15 CJK"),
    ("> 本节课的教学重难点在于引导学生理解分数的意义\n同意", False, "quote removed, 2 CJK left"),
    ("@王老师 @李老师 @张组长 好的", False, "mentions removed"),
    ("https://example.com/lesson/very/long/path/to/a/resource 看看", False, "URL removed"),
    ("。。。！！！？？？……——～～～", False, "punctuation only"),
    ("😀😀😀😀😀😀😀😀😀😀😀😀", False, "emoji only"),
    (LONG_ZH, True, "a real comment"),
    ("本節課的教學重難點在於引導學生理解分數的意義", True, "traditional characters"),
    ("建议：1. 先复习旧知；2. 再出示情境图；3. 小组讨论。", True, "a list, 19 CJK"),
    ("Good idea", False, "9 Latin"),
    ("Great lesson, thanks for sharing it", True, "29 Latin letters"),
    (LONG_EN, True, "a real English comment"),
    ("I agree!!! 👍 https://example.com/very-long-url-with-many-letters", False, "URL removed, 7 Latin left"),
    ("Unit 3 reading: use a KWL chart", True, "21 letters/digits"),
    ("同意楼上的观点。", False, "6 CJK"),
    ("[quote]本节课的教学重难点在于引导学生理解分数的意义[/quote]赞", False, "BBCode quote removed"),
    ("教学反思：学生在计算小数乘法时容易忽略小数点位置。", True, "reflection"),
]


@pytest.mark.parametrize("text,expected,why", EXAMPLES, ids=[e[2] for e in EXAMPLES])
def test_substantive_rule_table(text, expected, why):
    assert is_substantive(text) is expected, why


def test_table_has_at_least_25_examples_in_both_languages():
    assert len(EXAMPLES) >= 25
    assert any(t.isascii() for t, _e, _w in EXAMPLES)


def test_meaningful_text_strips_quotes_mentions_urls_emoji_and_punctuation():
    text = "> 引用内容\n@王老师 看 https://a.cn/x 👍，好！ Yes."
    assert meaningful_text(text) == "看好Yes"


@pytest.mark.parametrize("core", ["顶", "学习了", "MARK", "学习了谢谢分享", "顶顶顶"])
def test_bump_phrases(core):
    assert is_bump(core)


def test_thresholds_are_settings(app):
    app.config["SUBSTANTIVE_MIN_CJK"] = 20
    assert not is_substantive("这节课的导入很精彩学生兴趣很高")
    app.config["BUMP_PHRASES"] = ["这节课的导入很精彩学生兴趣很高"]
    app.config["SUBSTANTIVE_MIN_CJK"] = 5
    assert not is_substantive("这节课的导入很精彩，学生兴趣很高！")


@pytest.mark.parametrize("a,b,dup", [
    (LONG_ZH, LONG_ZH + "！！", True),  # punctuation only
    (LONG_ZH, LONG_ZH.replace("，", " "), True),
    (LONG_ZH, LONG_ZH + "我同意。", True),  # very high similarity
    ("本節課的教學重難點在於引導學生理解分數的意義", "本节课的教学重难点在于引导学生理解分数的意义", True),
    (LONG_EN, LONG_EN.upper(), True),
    (LONG_EN, LONG_EN.replace("finding", "the"), True),
    (LONG_ZH, "我觉得课堂导入部分可以再简洁一些，把时间留给小组合作探究。", False),
    ("这节课的导入很精彩，学生兴趣很高", "这节课的结尾很精彩，学生兴趣很高", False),  # similar but different
    (LONG_EN, "Group work took too long; next time set a timer and assign roles first.", False),
])
def test_near_duplicate_means_same_text_or_very_high_similarity(a, b, dup):
    assert near_duplicate(fingerprint(a), fingerprint(b)) is dup


def test_similarity_is_exact_for_short_texts():
    assert similarity(fingerprint("abcdef"), fingerprint("abcdef")) == 1.0
    assert similarity(fingerprint(""), fingerprint("abc")) == 0.0


def test_same_author_near_duplicate_within_seven_days_is_not_substantive(district, contribute):
    d = district
    t0 = datetime(2026, 10, 1, 2, 0, tzinfo=timezone.utc)
    first = contribute(d.t1, d.ga, "reply", when=t0, text=LONG_ZH)
    again = contribute(d.t1, d.ga, "reply", when=t0 + timedelta(days=2), text=LONG_ZH + "！")
    other_author = contribute(d.t2, d.ga, "reply", when=t0 + timedelta(days=2), text=LONG_ZH)
    later = contribute(d.t1, d.ga, "reply", when=t0 + timedelta(days=20), text=LONG_ZH)
    assert first.is_substantive and not again.is_substantive
    assert other_author.is_substantive
    assert later.is_substantive  # outside the 7-day window of the last substantive copy


def test_deleted_original_does_not_make_a_copy_a_duplicate(district, contribute, db):
    from forum.core.writepath import flip_contributions

    d = district
    t0 = datetime(2026, 10, 1, 2, 0, tzinfo=timezone.utc)
    first = contribute(d.t1, d.ga, "reply", when=t0, text=LONG_ZH)
    flip_contributions(first.source_type, first.source_id, True)
    db.session.commit()
    copy = contribute(d.t1, d.ga, "reply", when=t0 + timedelta(hours=1), text=LONG_ZH)
    assert copy.is_substantive
