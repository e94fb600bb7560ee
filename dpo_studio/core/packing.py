"""Compact in-memory storage for the lines of a large file: zstd with a dictionary trained on the file.

A 100k-pair file is 100k short JSON texts that share most of their structure (keys, roles, common
words). Compressed one by one they barely shrink, but with a dictionary trained on a sample of the same
file each line compresses 3-4.5x (measured: 3.3x on the Orca DPO corpus file, 4.4x on HH-RLHF, 4.6x on
the synthetic benchmark file), and a line is decompressed in about 2 microseconds. That keeps an open
dataset's source bytes, which must be kept to write untouched records back byte for byte, at a
fraction of the file size.

zstd (de)compressor objects are not safe to share between threads, and entries are read from the GUI
thread and from background checks at once, so each thread gets its own.
"""

from __future__ import annotations

import threading

import zstandard

#: Files smaller than this are kept as they are (the saving would not matter).
PACK_THRESHOLD = 1 << 20
#: Size of the trained dictionary and how many lines it is trained on.
DICTIONARY_BYTES = 64 * 1024
SAMPLE_LINES = 1000
#: zstd level: 3 compresses these lines about 20% smaller than 1 at the same speed (measured).
LEVEL = 3


class LineCodec:
    """Packs and unpacks single lines with one shared dictionary. Safe to use from any thread."""

    def __init__(self, dictionary: zstandard.ZstdCompressionDict) -> None:
        self._dictionary = dictionary
        self._local = threading.local()

    @classmethod
    def for_body(cls, body: bytes, threshold: int | None = None) -> LineCodec | None:
        """A codec trained on lines spread over ``body`` (a JSON Lines file), or ``None``.

        ``None`` when the file is smaller than ``threshold`` (default :data:`PACK_THRESHOLD`) or a
        dictionary cannot be trained (too few lines); the lines are then kept as they are.
        """
        if len(body) < (PACK_THRESHOLD if threshold is None else threshold):
            return None
        samples = sample_lines(body, SAMPLE_LINES)
        try:
            dictionary = zstandard.train_dictionary(DICTIONARY_BYTES, samples, level=LEVEL)
        except zstandard.ZstdError:
            return None
        return cls(dictionary)

    def _tools(self) -> tuple[zstandard.ZstdCompressor, zstandard.ZstdDecompressor]:
        tools: tuple[zstandard.ZstdCompressor, zstandard.ZstdDecompressor] | None = getattr(
            self._local, "tools", None
        )
        if tools is None:
            tools = (
                zstandard.ZstdCompressor(level=LEVEL, dict_data=self._dictionary),
                zstandard.ZstdDecompressor(dict_data=self._dictionary),
            )
            self._local.tools = tools
        return tools

    def pack(self, raw: bytes | memoryview) -> bytes:
        """``raw`` compressed (the frame records its size, so :meth:`unpack` needs nothing else)."""
        packed = self._tools()[0].compress(raw)
        # zstandard returns a bytes object that still occupies the worst-case output size (about the
        # input's size): copy it into one of its real size, or nothing would be saved.
        return bytes(memoryview(packed))

    def unpack(self, packed: bytes) -> bytes:
        """The bytes :meth:`pack` was given."""
        return self._tools()[1].decompress(packed)


def sample_lines(body: bytes, count: int, longest: int = 16 * 1024) -> list[bytes | bytearray | memoryview]:
    """Up to ``count`` non-empty lines taken at even steps through ``body`` (each cut at ``longest``)."""
    samples: list[bytes | bytearray | memoryview] = []
    size = len(body)
    step = max(1, size // count)
    position = 0
    while position < size and len(samples) < count:
        end = body.find(b"\n", position)
        if end < 0:
            end = size
        line = body[position : min(end, position + longest)]
        if line.strip():
            samples.append(line)
        # Jump ahead, then start at the next line boundary.
        next_start = body.find(b"\n", max(end, position + step))
        position = size if next_start < 0 else next_start + 1
    return samples
