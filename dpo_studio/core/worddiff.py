"""Word-level differences between two texts, as character spans on each side.

The pair editor highlights what differs between the preferred and the rejected answer while the user
types, so this must stay fast on answers of several thousand words. Texts are cut into tokens (a run of
word characters, a single CJK character or a single punctuation mark, each with the whitespace after
it), the token lists are aligned (see :func:`_matches`), and the result is mapped back to character
offsets.

Each side gets a list of :class:`DiffSpan` that covers its text exactly, in order, without gaps:

* ``equal``: the same text is on both sides (the n-th equal span on the left has the same text as the
  n-th equal span on the right);
* ``delete``: text only on the left side (nothing stands in its place on the right);
* ``insert``: text only on the right side;
* ``replace``: text on this side stands where different text stands on the other side.

Offsets are Python string indices (code points). Qt counts UTF-16 units; the UI converts with
:func:`utf16_offsets` when a text holds characters outside the Basic Multilingual Plane.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import accumulate
from typing import Literal

SpanKind = Literal["equal", "insert", "delete", "replace"]
#: (kind, i1, i2, j1, j2): tokens [i1, i2) on the left relate to tokens [j1, j2) on the right.
Opcode = tuple[SpanKind, int, int, int, int]

# Scripts written without spaces between words: one character per token, so that a one-character change
# in a Chinese or Japanese sentence is not shown as the whole sentence changing.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\U00020000-\U0002fa1f"
_TOKEN = re.compile(rf"(?:[{_CJK}]|[^\W{_CJK}]+|[^\w\s])\s*|\s+")


@dataclass(frozen=True, slots=True)
class DiffSpan:
    """A run of characters ``text[start:end]`` on one side of a diff, and how it relates to the other side."""

    kind: SpanKind
    start: int
    end: int

    @property
    def changed(self) -> bool:
        """Whether this span differs from the other side (everything but ``equal``)."""
        return self.kind != "equal"


@dataclass(frozen=True, slots=True)
class WordDiff:
    """Spans for both texts; ``left`` covers the first text, ``right`` the second."""

    left: tuple[DiffSpan, ...]
    right: tuple[DiffSpan, ...]

    def changed_left(self) -> list[DiffSpan]:
        """The spans of the first text that differ from the second."""
        return [span for span in self.left if span.changed]

    def changed_right(self) -> list[DiffSpan]:
        """The spans of the second text that differ from the first."""
        return [span for span in self.right if span.changed]


def tokenize(text: str) -> list[str]:
    """Cut ``text`` into tokens whose concatenation is ``text``.

    A token is a word, a single CJK character or a single punctuation mark together with the whitespace
    that follows it; whitespace at the very start of the text is a token of its own. Keeping whitespace
    inside tokens matters: as separate tokens, spaces would make up half of all tokens and the matcher
    would align words at the wrong places.
    """
    return _TOKEN.findall(text)


def word_diff(left: str, right: str) -> WordDiff:
    """Word-level differences between ``left`` and ``right`` as character spans on each side.

    Tokens are aligned by their words alone (``"big "`` and ``"big,"`` align on ``big``), so a changed
    space or line break after a word marks only that whitespace, not the word.
    """
    if left == right:
        whole = (DiffSpan("equal", 0, len(left)),) if left else ()
        return WordDiff(whole, whole)
    a = tokenize(left)
    b = tokenize(right)
    spans = _SpanBuilder(a, b)
    a_keys = [token.rstrip() or token for token in a]  # _word_of, inlined: this runs on every token
    b_keys = [token.rstrip() or token for token in b]
    opcodes = _absorb_small_equalities(_opcodes(a_keys, b_keys), spans.a_starts, spans.b_starts)
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            spans.equal_tokens(i1, i2, j1, j2)
        elif tag == "replace":
            # The matcher skips very common tokens when looking for anchors, so a replaced block can
            # begin or end with the same words on both sides; those are shown as equal.
            head = 0
            while i1 + head < i2 and j1 + head < j2 and a_keys[i1 + head] == b_keys[j1 + head]:
                head += 1
            tail = 0
            while (
                i2 - tail > i1 + head
                and j2 - tail > j1 + head
                and a_keys[i2 - 1 - tail] == b_keys[j2 - 1 - tail]
            ):
                tail += 1
            spans.equal_tokens(i1, i1 + head, j1, j1 + head)
            spans.changed_tokens(i1 + head, i2 - tail, j1 + head, j2 - tail)
            spans.equal_tokens(i2 - tail, i2, j2 - tail, j2)
        else:
            spans.changed_tokens(i1, i2, j1, j2)
    return WordDiff(tuple(spans.left), tuple(spans.right))


class _SpanBuilder:
    """Collects the spans of both sides from token ranges, keeping equal spans paired."""

    def __init__(self, a: list[str], b: list[str]) -> None:
        self.a = a
        self.b = b
        self.a_starts = _starts(a)
        self.b_starts = _starts(b)
        self.left: list[DiffSpan] = []
        self.right: list[DiffSpan] = []

    def equal_tokens(self, i1: int, i2: int, j1: int, j2: int) -> None:
        """Tokens whose words match; where the whitespace after a word differs, only it is changed."""
        if i2 <= i1:
            return
        a, b = self.a, self.b
        if a[i1:i2] == b[j1:j2]:
            self._equal(self.a_starts[i1], self.a_starts[i2], self.b_starts[j1], self.b_starts[j2])
            return
        # Walk the pairs, emitting runs of identical tokens at once and splitting only the few tokens
        # whose trailing whitespace differs.
        run_i, run_j = i1, j1
        for offset, (a_token, b_token) in enumerate(zip(a[i1:i2], b[j1:j2], strict=True)):
            if a_token == b_token:
                continue
            i, j = i1 + offset, j1 + offset
            a_start, b_start = self.a_starts[i], self.b_starts[j]
            word = len(_word_of(a_token))
            self._equal(self.a_starts[run_i], a_start + word, self.b_starts[run_j], b_start + word)
            self._changed(a_start + word, self.a_starts[i + 1], b_start + word, self.b_starts[j + 1])
            run_i, run_j = i + 1, j + 1
        self._equal(self.a_starts[run_i], self.a_starts[i2], self.b_starts[run_j], self.b_starts[j2])

    def changed_tokens(self, i1: int, i2: int, j1: int, j2: int) -> None:
        """Tokens that differ: ``replace`` on both sides, or ``delete``/``insert`` on one."""
        self._changed(self.a_starts[i1], self.a_starts[i2], self.b_starts[j1], self.b_starts[j2])

    def _equal(self, l1: int, l2: int, r1: int, r2: int) -> None:
        if l2 <= l1:
            return
        left, right = self.left, self.right
        if left and right and left[-1].kind == right[-1].kind == "equal":
            left[-1] = DiffSpan("equal", left[-1].start, l2)
            right[-1] = DiffSpan("equal", right[-1].start, r2)
        else:
            left.append(DiffSpan("equal", l1, l2))
            right.append(DiffSpan("equal", r1, r2))

    def _changed(self, l1: int, l2: int, r1: int, r2: int) -> None:
        if l2 > l1 and r2 > r1:
            _append_changed(self.left, "replace", l1, l2)
            _append_changed(self.right, "replace", r1, r2)
        elif l2 > l1:
            _append_changed(self.left, "delete", l1, l2)
        elif r2 > r1:
            _append_changed(self.right, "insert", r1, r2)


def _word_of(token: str) -> str:
    """A token without its trailing whitespace (a whitespace-only token stays as it is)."""
    word = token.rstrip()
    return word or token


def utf16_offsets(text: str) -> list[int] | None:
    """Map code-point offsets of ``text`` to UTF-16 offsets (``None`` when they are the same).

    ``result[i]`` is the UTF-16 offset of code point ``i``; the list has ``len(text) + 1`` items.
    """
    if text.isascii() or all(ord(ch) < 0x10000 for ch in text):
        return None
    offsets = [0] * (len(text) + 1)
    position = 0
    for index, ch in enumerate(text):
        offsets[index] = position
        position += 2 if ord(ch) >= 0x10000 else 1
    offsets[len(text)] = position
    return offsets


# -- internals -----------------------------------------------------------------------------------


def _starts(tokens: list[str]) -> list[int]:
    """Character offset of each token, plus the total length at the end."""
    return [0, *accumulate(map(len, tokens))]


def _opcodes(a: list[str], b: list[str]) -> list[Opcode]:
    """difflib-style opcodes for two token lists, from the matches of :func:`_matches`."""
    opcodes: list[Opcode] = []
    i = j = 0
    for ai, bj, size in [*_matches(a, b), (len(a), len(b), 0)]:
        if i < ai and j < bj:
            opcodes.append(("replace", i, ai, j, bj))
        elif i < ai:
            opcodes.append(("delete", i, ai, j, j))
        elif j < bj:
            opcodes.append(("insert", i, i, j, bj))
        if size:
            opcodes.append(("equal", ai, ai + size, bj, bj + size))
        i, j = ai + size, bj + size
    return opcodes


def _absorb_small_equalities(opcodes: list[Opcode], a_starts: list[int], b_starts: list[int]) -> list[Opcode]:
    """Fold a short equal run that sits between two much larger changes into one replaced block.

    Two rewritten sentences share words like "and" or "the" by chance; marking those as equal breaks a
    rewrite into confetti. An equality is folded when its length is at most half of the change on each
    side of it (the larger side of each change counts), so a real anchor between two one-word edits
    ("brown fox jumps" / "red fox jumped") stays visible.
    """

    def size(op: Opcode) -> int:
        _tag, i1, i2, j1, j2 = op
        return max(a_starts[i2] - a_starts[i1], b_starts[j2] - b_starts[j1])

    out: list[Opcode] = []
    for op in opcodes:
        if op[0] != "equal":
            while (
                len(out) >= 2
                and out[-1][0] == "equal"
                and out[-2][0] != "equal"
                and 2 * size(out[-1]) <= min(size(out[-2]), size(op))
            ):
                out.pop()
                first = out.pop()
                op = ("replace", first[1], op[2], first[3], op[4])
            if out and out[-1][0] != "equal":
                # Two changes meet (after folding): one replaced block.
                first = out.pop()
                op = ("replace", first[1], op[2], first[3], op[4])
        out.append(op)
    return [
        ("replace", i1, i2, j1, j2) if tag != "equal" and i2 > i1 and j2 > j1 else (tag, i1, i2, j1, j2)
        for tag, i1, i2, j1, j2 in out
    ]


def _matches(a: list[str], b: list[str]) -> list[tuple[int, int, int]]:
    """Matching blocks ``(i, j, size)`` in increasing order, adjacent blocks merged.

    Patience-style: common beginnings and ends are cut off, tokens that occur exactly once on each side
    anchor the alignment (longest increasing run of such pairs), and the gaps between anchors are
    worked on the same way. Only gaps without any anchor go to :class:`difflib.SequenceMatcher`, which
    is slow on long inputs because every search scans all occurrences of a token. Anchoring keeps edited
    texts of thousands of words fast and aligns them the way a reader would.
    """
    found: list[tuple[int, int, int]] = []
    work = [(0, len(a), 0, len(b))]
    while work:
        alo, ahi, blo, bhi = work.pop()
        head = 0
        while alo + head < ahi and blo + head < bhi and a[alo + head] == b[blo + head]:
            head += 1
        if head:
            found.append((alo, blo, head))
            alo, blo = alo + head, blo + head
        tail = 0
        while ahi - tail > alo and bhi - tail > blo and a[ahi - 1 - tail] == b[bhi - 1 - tail]:
            tail += 1
        if tail:
            found.append((ahi - tail, bhi - tail, tail))
            ahi, bhi = ahi - tail, bhi - tail
        if alo >= ahi or blo >= bhi:
            continue
        anchors = _unique_anchors(a, alo, ahi, b, blo, bhi)
        if anchors:
            previous_i, previous_j = alo, blo
            for i, j in anchors:
                work.append((previous_i, i, previous_j, j))
                found.append((i, j, 1))
                previous_i, previous_j = i + 1, j + 1
            work.append((previous_i, ahi, previous_j, bhi))
            continue
        matcher = SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=True)
        for i, j, size in matcher.get_matching_blocks():
            if size:
                found.append((alo + i, blo + j, size))
    found.sort()
    merged: list[tuple[int, int, int]] = []
    for i, j, size in found:
        if merged and merged[-1][0] + merged[-1][2] == i and merged[-1][1] + merged[-1][2] == j:
            merged[-1] = (merged[-1][0], merged[-1][1], merged[-1][2] + size)
        else:
            merged.append((i, j, size))
    return merged


def _unique_anchors(
    a: list[str], alo: int, ahi: int, b: list[str], blo: int, bhi: int
) -> list[tuple[int, int]]:
    """Pairs (i, j) of tokens occurring exactly once in each range, longest run increasing in both."""
    a_seen: dict[str, int] = {}
    for i in range(alo, ahi):
        token = a[i]
        a_seen[token] = -1 if token in a_seen else i
    b_seen: dict[str, int] = {}
    for j in range(blo, bhi):
        token = b[j]
        if token in a_seen:
            b_seen[token] = -1 if token in b_seen else j
    pairs = [(i, b_seen[token]) for token, i in a_seen.items() if i >= 0 and b_seen.get(token, -1) >= 0]
    if not pairs:
        return []
    pairs.sort()
    return _longest_increasing(pairs)


def _longest_increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest subsequence of ``pairs`` (sorted by i) whose j values increase (patience sorting)."""
    tails: list[int] = []  # tails[k]: j of the smallest tail of an increasing run of length k + 1
    tail_index: list[int] = []  # index in pairs of that tail
    back: list[int] = [-1] * len(pairs)
    for index, (_i, j) in enumerate(pairs):
        position = bisect_left(tails, j)
        if position == len(tails):
            tails.append(j)
            tail_index.append(index)
        else:
            tails[position] = j
            tail_index[position] = index
        back[index] = tail_index[position - 1] if position else -1
    run: list[tuple[int, int]] = []
    index = tail_index[-1]
    while index >= 0:
        run.append(pairs[index])
        index = back[index]
    run.reverse()
    return run


def _append_changed(spans: list[DiffSpan], kind: SpanKind, start: int, end: int) -> None:
    """Add a changed span, merging it into the previous one when both have the same kind."""
    if spans and spans[-1].kind == kind:
        spans[-1] = DiffSpan(kind, spans[-1].start, end)
    else:
        spans.append(DiffSpan(kind, start, end))
