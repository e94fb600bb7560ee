"""Splitting a preference file into entries without losing a byte.

Handles a UTF-8 BOM, LF and CRLF line ends, blank lines, a missing final newline, invalid UTF-8 on a
single line, very long lines, and files that hold one JSON array instead of JSON Lines. Each physical
line keeps its exact bytes so an untouched file can be written back identically.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

BOM = b"\xef\xbb\xbf"


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


@dataclass(slots=True)
class RawLine:
    """One physical line (JSONL) or one array element (JSON array) as found in the file."""

    line: int
    raw: bytes
    terminator: bytes


def detect_layout(data: bytes) -> FileLayout:
    """Look at the first bytes of a file and work out BOM, newline style and container."""
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
    start = body.lstrip()[:1]
    if start == b"[":
        # A JSONL file never starts with '[' unless its first record is an array; tell them apart by
        # whether the first line alone is complete JSON.
        first_line = body.lstrip().split(b"\n", 1)[0]
        try:
            json.loads(first_line)
        except ValueError:
            layout.container = Container.JSON_ARRAY
        else:
            layout.container = Container.JSONL
    sample = body[:4096]
    layout.compact = b'":' in sample and b'": ' not in sample
    return layout


def split_lines(data: bytes, layout: FileLayout) -> Iterator[RawLine]:
    """Yield every physical line of a JSONL file, blank ones included, with its own terminator."""
    body = data[len(BOM) :] if layout.bom else data
    if not body:
        return
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
    """One element of a JSON-array file with the line it starts on."""

    line: int
    column: int
    value: object


def split_array(text: str) -> tuple[list[ArrayElement], tuple[int, int, str] | None]:
    """Decode a JSON array element by element, remembering where each one starts.

    Returns the elements read and, if the array is malformed, ``(line, column, message)`` for the first
    error; elements before the error are kept.
    """
    decoder = json.JSONDecoder()
    elements: list[ArrayElement] = []
    index = text.index("[") + 1
    length = len(text)

    def position(offset: int) -> tuple[int, int]:
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        return line, column

    while True:
        while index < length and text[index] in " \t\r\n,":
            index += 1
        if index >= length:
            line, column = position(index)
            return elements, (line, column, "The JSON array is not closed with ']'.")
        if text[index] == "]":
            return elements, None
        try:
            value, end = decoder.raw_decode(text, index)
        except json.JSONDecodeError as error:
            line, column = position(error.pos)
            return elements, (line, column, error.msg)
        line, column = position(index)
        elements.append(ArrayElement(line, column, value))
        index = end
