"""core.worddiff: word-level spans that cover both texts exactly and pair up equal text."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from dpo_studio.core.worddiff import DiffSpan, WordDiff, tokenize, utf16_offsets, word_diff

# Texts built from a small vocabulary share many words, so the diffs are interesting (not all-changed).
_WORDS = ["the", "cat", "sat", "on", "mat", "dog", "ran", "Zürich", "東京", "データ", "🙂", "e\u0301", "42"]
_SEPARATORS = [" ", "  ", "\n", "\n\n", "\t", ", ", ". ", "! ", "", "—"]
_wordy = st.lists(st.tuples(st.sampled_from(_WORDS), st.sampled_from(_SEPARATORS)), max_size=40).map(
    lambda parts: "".join(word + sep for word, sep in parts)
)
_any_text = st.one_of(_wordy, st.text(max_size=60))


def _check_cover(text: str, spans: tuple[DiffSpan, ...]) -> None:
    position = 0
    for span in spans:
        assert span.start == position, (text, spans)
        assert span.end > span.start, "empty spans are never emitted"
        position = span.end
    assert position == len(text)


def _check(left: str, right: str, diff: WordDiff) -> None:
    _check_cover(left, diff.left)
    _check_cover(right, diff.right)
    assert all(span.kind != "insert" for span in diff.left), "the left side cannot hold inserted text"
    assert all(span.kind != "delete" for span in diff.right), "the right side cannot hold deleted text"
    left_equal = [left[s.start : s.end] for s in diff.left if s.kind == "equal"]
    right_equal = [right[s.start : s.end] for s in diff.right if s.kind == "equal"]
    assert left_equal == right_equal
    assert sum(1 for s in diff.left if s.kind == "replace") >= 1 or not any(
        s.kind == "replace" for s in diff.right
    )


@settings(max_examples=300, deadline=None)
@given(_any_text, _any_text)
def test_spans_cover_both_texts_and_equal_spans_pair_up(left: str, right: str) -> None:
    _check(left, right, word_diff(left, right))


@settings(max_examples=200, deadline=None)
@given(_any_text)
def test_tokens_concatenate_to_the_text(text: str) -> None:
    assert "".join(tokenize(text)) == text


@settings(max_examples=100, deadline=None)
@given(_any_text)
def test_identical_texts_have_no_changes(text: str) -> None:
    diff = word_diff(text, text)
    assert diff.changed_left() == [] and diff.changed_right() == []
    _check(text, text, diff)


@settings(max_examples=200, deadline=None)
@given(_wordy, _wordy)
def test_different_texts_always_show_a_change(left: str, right: str) -> None:
    diff = word_diff(left, right)
    assert (left == right) == (not diff.changed_left() and not diff.changed_right())


def test_changed_words_are_marked_on_each_side() -> None:
    left = "The quick brown fox jumps over the lazy dog."
    right = "The quick red fox jumped over the dog!"
    diff = word_diff(left, right)
    _check(left, right, diff)
    assert [(s.kind, left[s.start : s.end]) for s in diff.changed_left()] == [
        ("replace", "brown "),
        ("replace", "jumps "),
        ("delete", "lazy "),
        ("replace", "."),
    ]
    assert [(s.kind, right[s.start : s.end]) for s in diff.changed_right()] == [
        ("replace", "red "),
        ("replace", "jumped "),
        ("replace", "!"),
    ]


def test_an_inserted_sentence_is_the_only_change() -> None:
    left = "Hobart is the capital.\nIt is in Tasmania."
    right = "Hobart is the capital.\nIt is a small city.\nIt is in Tasmania."
    diff = word_diff(left, right)
    assert diff.changed_left() == []
    assert [(s.kind, right[s.start : s.end]) for s in diff.changed_right()] == [
        ("insert", "a small city.\nIt is ")
    ]


def test_punctuation_after_a_word_does_not_mark_the_word() -> None:
    left = "Tokyo is big and old"
    right = "Tokyo is big, and old"
    diff = word_diff(left, right)
    _check(left, right, diff)
    assert [left[s.start : s.end] for s in diff.changed_left()] == [" "]
    assert [right[s.start : s.end] for s in diff.changed_right()] == [", "]
    diff = word_diff("one two", "one\ntwo")
    assert [(s.kind, "one two"[s.start : s.end]) for s in diff.changed_left()] == [("replace", " ")]


def test_one_changed_cjk_character_is_not_the_whole_sentence() -> None:
    left = "我喜欢吃苹果"
    right = "我喜欢吃香蕉"
    diff = word_diff(left, right)
    assert [left[s.start : s.end] for s in diff.changed_left()] == ["苹果"]
    assert [right[s.start : s.end] for s in diff.changed_right()] == ["香蕉"]


def test_empty_sides() -> None:
    assert word_diff("", "") == WordDiff((), ())
    diff = word_diff("", "new text")
    assert diff.left == () and diff.right == (DiffSpan("insert", 0, 8),)
    diff = word_diff("old text", "")
    assert diff.left == (DiffSpan("delete", 0, 8),) and diff.right == ()


def test_long_edited_answers_align_word_by_word() -> None:
    """An answer of thousands of words with a few words changed: only those words are marked."""
    rng = random.Random(3)
    vocabulary = [f"word{i}" for i in range(3000)]
    weights = [1 / (i + 1) for i in range(3000)]
    words = rng.choices(vocabulary, weights, k=5000)
    edited = list(words)
    changed_positions = sorted(rng.sample(range(5000), 25))
    for position in changed_positions:
        edited[position] = "CHANGED"
    left, right = " ".join(words), " ".join(edited)
    diff = word_diff(left, right)
    _check(left, right, diff)
    marked = [right[s.start : s.end].strip() for s in diff.changed_right()]
    assert " ".join(marked).split() == ["CHANGED"] * 25


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_utf16_offsets_match_utf16_encoding(text: str) -> None:
    offsets = utf16_offsets(text)
    if offsets is None:
        assert len(text.encode("utf-16-le")) // 2 == len(text)
        return
    assert len(offsets) == len(text) + 1
    for index in range(len(text) + 1):
        assert offsets[index] == len(text[:index].encode("utf-16-le", "surrogatepass")) // 2


def test_chance_matches_inside_a_rewrite_are_folded_but_real_anchors_stay() -> None:
    left = "It shipped with DHL and should arrive on Thursday. You'll get the tracking link by email."
    right = "Your order was processed by our team and handed to a carrier who will deliver it in due course."
    diff = word_diff(left, right)
    _check(left, right, diff)
    assert [left[s.start : s.end] for s in diff.left if s.kind == "equal"] == ["."], "no 'and'/'the' confetti"
    left, right = "a brown fox jumps high", "a red fox jumped high"
    diff = word_diff(left, right)
    assert [left[s.start : s.end] for s in diff.left if s.kind == "equal"] == ["a ", "fox ", "high"]
