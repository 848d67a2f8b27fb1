"""The analyzer and query parser, without an app."""
from __future__ import annotations

import pytest

from forum.search.analyzer import fold, matches_text, parse_query, tokens


def test_fold_keeps_length_and_simplifies():
    text = "備課組 ＱＱ群 PPT課件 Teaching"
    assert fold(text) == "备课组 qq群 ppt课件 teaching"
    assert len(fold(text)) == len(text)


def test_cjk_runs_give_unigrams_and_bigrams_two_positions_apart():
    toks = {(t, p) for t, p, _s, _e in tokens("备课组")}
    assert toks == {("备", 0), ("课", 2), ("组", 4), ("备课", 1), ("课组", 3)}


def test_latin_words_are_lowercased_and_stemmed_digits_kept():
    terms = [t for t, _p, _s, _e in tokens("Teachers taught 2010年")]
    assert terms[:3] == ["teacher", "taught", "2010"]


@pytest.mark.parametrize("q, text, hit", [
    ("备课组", "今天备课组开会", True),
    ("備課組", "今天备课组开会", True),
    ("备课组", "今天備課組開會", True),
    ("备课组", "备课 组", False),
    ("备课组", "课组备课", False),
    ("课", "备课", True),
    ("QQ群", "加入QQ群讨论", True),
    ("qq群", "ＱＱ群", True),
    ("QQ群", "QQ 群", False),
    ("PPT课件", "上传PPT课件", True),
    ("PPT课件", "PPT和课件", False),
    ('"集体 备课"', "集体，备课", True),
    ("集体 备课", "备课是集体的事", True),
    ("teaching", "Teachers teach", True),
    ("2010年", "2010年度", True),
])
def test_query_matches_like_a_substring(q, text, hit):
    assert matches_text(parse_query(q), text) is hit


@pytest.mark.parametrize("q", ["", "   ", '"', '""', "*", "title:备课", "a OR b AND NOT c", "（）！", "\x00",
                                "备" * 1000, "\\", "'", "<script>", "🙂"])
def test_no_query_is_an_error(q):
    parsed = parse_query(q)
    assert isinstance(parsed.phrases, list)


def test_field_syntax_is_just_text():
    parsed = parse_query("container:g1")
    words = {t for p in parsed.phrases for t, _ in p.terms}
    assert words == {"contain", "g1"}
