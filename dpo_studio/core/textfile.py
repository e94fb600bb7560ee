"""Splitting a preference file into entries without losing a byte.

Handles a UTF-8 BOM, LF and CRLF line ends, blank lines, a missing final newline, invalid UTF-8 on a
single line, very long lines, and files that hold one JSON array instead of JSON Lines. Each physical
line (or array element) keeps its exact bytes so an untouched file can be written back identically.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

import orjson

BOM = b"\xef\xbb\xbf"

#: How much of a file the byte-style checks (compact JSON, escaped non-ASCII) look at.
_STYLE_SAMPLE = 64 * 1024


class Container(StrEnum):
    """How records are laid out in the file."""

    JSONL = "jsonl"
    JSON_ARRAY = "json_array"


@dataclass(slots=True)
class FileLayout:
    """The byte-level conventions of a file, reused when writing it back."""

    bom: bool = False
    newline: bytes = b"\n"
    final_newline: bool = True
    container: Container = Container.JSONL
    #: ``True`` when the file writes JSON without spaces after ``,`` and ``:``.
    compact: bool = False
    #: ``True`` when the file escapes non-ASCII text as ``\\uXXXX`` (Python's ``ensure_ascii``).
    ascii_only: bool = False
    #: JSON arrays: the bytes before the first element (``[`` and whitespace) ...
    array_head: bytes = b"["
    #: ... the bytes after the last element (whitespace and ``]``) ...
    array_tail: bytes = b"]\n"
    #: ... and the separator used between new elements (the file's most common one).
    array_separator: bytes = b",\n"
    #: JSON arrays: the indentation of elements and of one nesting level (``None``: one line each).
    array_indent: tuple[str, int] | None = None


@dataclass(slots=True)
class RawLine:
    """One physical line of a JSONL file as found in the file."""

    line: int
    raw: bytes
    terminator: bytes


def unsupported_encoding(data: bytes) -> str | None:
    """A sentence naming why a whole file cannot be text JSON (UTF-16, compressed), or ``None``."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "The file is saved as UTF-16, not UTF-8. Save it as UTF-8 and open it again."
    if data[:2] == b"\x1f\x8b":
        return "The file is gzip-compressed. Decompress it (e.g. gunzip) and open the .jsonl inside."
    if data[:4] == b"PK\x03\x04":
        return "The file is a ZIP archive. Extract it and open the .jsonl inside."
    if data[:4] == b"PAR1":
        return "The file is Parquet, not JSON. Export it as JSON Lines (e.g. with pandas or datasets)."
    return None


def strip_bom(data: bytes) -> bytes:
    """The bytes without a leading UTF-8 byte-order mark."""
    return data[len(BOM) :] if data.startswith(BOM) else data


def detect_layout(data: bytes) -> FileLayout:
    """Look at the bytes of a file and work out BOM, newline style, container and JSON style."""
    layout = FileLayout()
    body = data
    if body.startswith(BOM):
        layout.bom = True
        body = body[len(BOM) :]
    first_nl = body.find(b"\n")
    if first_nl > 0 and body[first_nl - 1 : first_nl] == b"\r":
        layout.newline = b"\r\n"
    stripped = body.rstrip(b" \t")
    layout.final_newline = stripped.endswith(b"\n") or not stripped
    if body.lstrip()[:1] == b"[" and is_array_file(body):
        layout.container = Container.JSON_ARRAY
    sample = body[:_STYLE_SAMPLE]
    # The first '":' ends the first key of the first record; what follows it shows the file's style.
    colon = sample.find(b'":')
    layout.compact = colon >= 0 and sample[colon + 2 : colon + 3] not in (b" ", b"")
    layout.ascii_only = b"\\u" in sample and sample.isascii()
    return layout


def is_array_file(body: bytes) -> bool:
    """Whether a file starting with ``[`` is one JSON array of records rather than JSON Lines.

    A pretty-printed array has an incomplete first line. A one-line file holding a complete array is
    an array of records too (``json.dump`` without indent), unless its items are chat messages: then
    the line is a bare conversation, which is reported as a line that is not an example.
    """
    text = body.lstrip()
    first_line, _newline, rest = text.partition(b"\n")
    try:
        value = orjson.loads(first_line)
    except orjson.JSONDecodeError:
        return True
    if rest.strip() or not isinstance(value, list):
        return False
    return not any(isinstance(item, dict) and "role" in item for item in value)


def split_lines(data: bytes, layout: FileLayout) -> Iterator[RawLine]:
    """Yield every physical line of a JSONL file, blank ones included, with its own terminator.

    Lazy, so detection can sample the start of a large file cheaply.
    """
    body = data[len(BOM) :] if layout.bom else data
    position = 0
    line_no = 0
    length = len(body)
    while position < length:
        line_no += 1
        nl = body.find(b"\n", position)
        if nl == -1:
            yield RawLine(line_no, body[position:], b"")
            return
        end = nl
        if end > position and body[end - 1] == 0x0D:
            end -= 1
        yield RawLine(line_no, body[position:end], body[end : nl + 1])
        position = nl + 1


@dataclass(slots=True)
class ArrayElement:
    """One element of a JSON-array file: where it starts and ends (character offsets) and its value."""

    line: int
    column: int
    start: int
    end: int
    value: object


@dataclass(slots=True)
class ArrayProblem:
    """Where a JSON array stops being readable."""

    line: int
    column: int
    #: Character offset from which the rest of the text could not be read.
    offset: int
    message: str


class _Positions:
    """Line and column of character offsets, counted incrementally (offsets must not go back)."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._offset = 0
        self._line = 1
        self._line_start = 0

    def at(self, offset: int) -> tuple[int, int]:
        text = self._text
        newlines = text.count("\n", self._offset, offset)
        if newlines:
            self._line += newlines
            self._line_start = text.rfind("\n", self._offset, offset) + 1
        self._offset = offset
        return self._line, offset - self._line_start + 1


def split_array(text: str, *, keep_values: bool = True) -> tuple[list[ArrayElement], ArrayProblem | None]:
    """Decode a JSON array element by element, remembering where each one starts and ends.

    Returns the elements read and, if the array is malformed, the first problem; elements before the
    problem are kept and ``problem.offset`` tells where the unread rest begins. Without ``keep_values``
    the elements' values are ``None`` (a large file's decoded values would take about ten times the
    file's size at once).
    """
    decoder = json.JSONDecoder()
    elements: list[ArrayElement] = []
    positions = _Positions(text)
    index = text.find("[") + 1
    length = len(text)
    expect_value = True
    while True:
        while index < length and text[index] in " \t\r\n":
            index += 1
        if index >= length:
            line, column = positions.at(index)
            return elements, ArrayProblem(line, column, index, "the JSON array is not closed with ']'")
        char = text[index]
        if char == "]":
            return elements, None
        if char == "," and not expect_value:
            expect_value = True
            index += 1
            continue
        if not expect_value:
            line, column = positions.at(index)
            return elements, ArrayProblem(line, column, index, "expected ',' or ']' between elements")
        try:
            value, end = decoder.raw_decode(text, index)
        except json.JSONDecodeError as error:
            line, column = positions.at(error.pos)
            return elements, ArrayProblem(line, column, index, error.msg)
        except RecursionError:
            line, column = positions.at(index)
            return elements, ArrayProblem(line, column, index, "the value is nested too deeply")
        line, column = positions.at(index)
        elements.append(ArrayElement(line, column, index, end, value if keep_values else None))
        del value
        index = end
        expect_value = False


def detect_array_indent(text: str, first: ArrayElement | None) -> tuple[str, int] | None:
    """The indentation of a pretty-printed array: the elements' own and one nesting level's."""
    if first is None:
        return None
    line_start = text.rfind("\n", 0, first.start) + 1
    element_indent = text[line_start : first.start]
    if element_indent.strip():
        return None
    nl = text.find("\n", first.start, first.end)
    if nl == -1:
        return None
    next_line = text[nl + 1 : first.end]
    inner = len(next_line) - len(next_line.lstrip(" "))
    step = inner - len(element_indent)
    return (element_indent, step) if step > 0 else None
