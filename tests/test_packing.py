"""Large files keep their lines compressed in memory (core.packing) and still round-trip byte for byte."""

from __future__ import annotations

import random
import threading
from pathlib import Path

import orjson

from dpo_studio.core import packing
from dpo_studio.core.dataset import Dataset, EntryKind
from dpo_studio.core.dialects import get_dialect
from dpo_studio.core.document import Document
from dpo_studio.core.packing import LineCodec

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
WORDS = "refund order café naïve zürich 東京 🙂 invoice delivery polite summary error because table".split()


def _pair(rng: random.Random, number: int) -> dict[str, object]:
    def text(count: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(count)) + f" #{number}"

    return {
        "input": {"messages": [{"role": "user", "content": text(20)}]},
        "preferred_output": [{"role": "assistant", "content": text(60)}],
        "non_preferred_output": [{"role": "assistant", "content": text(60)}],
    }


def _messy_file(lines: int = 3000) -> bytes:
    """A file over the packing threshold with CRLF and LF lines, blanks, broken lines and no final newline."""
    rng = random.Random(7)
    parts: list[bytes] = []
    for number in range(lines):
        line = orjson.dumps(_pair(rng, number))
        if number % 97 == 0:
            line = line[: len(line) // 2]  # cut off: unreadable
        parts.append(line + (b"\r\n" if number % 3 == 0 else b"\n"))
        if number % 250 == 0:
            parts.append(b"   \n")
    parts.append(b'{"input": "unterminated"}\r')
    return b"".join(parts)


def test_a_large_file_is_packed_and_written_back_byte_for_byte() -> None:
    data = _messy_file()
    assert len(data) > packing.PACK_THRESHOLD
    dataset = Dataset.from_bytes(data, get_dialect("openai_dpo"))
    records = [entry for entry in dataset.entries if entry.kind is EntryKind.RECORD]
    assert records and not any(entry.packed for entry in records)
    before = [entry.raw for entry in dataset.entries]
    assert dataset.pack() == len(records)
    assert all(entry.packed and entry.stored_size < entry.raw_size for entry in records[:-1])
    assert [entry.raw for entry in dataset.entries] == before
    assert [entry.raw_size for entry in dataset.entries] == [len(raw or b"") for raw in before]
    assert dataset.pack() == 0  # nothing left to pack
    assert sum(entry.kind is EntryKind.UNREADABLE for entry in dataset.entries) == 31
    assert sum(entry.kind is EntryKind.BLANK for entry in dataset.entries) == 12
    assert dataset.entries[-1].raw == b'{"input": "unterminated"}\r' and dataset.entries[-1].terminator == b""
    assert dataset.to_bytes() == data
    # Lines read back are the lines of the file.
    expected = data.split(b"\n")
    assert [entry.raw for entry in dataset.entries[:4]] == [line.rstrip(b"\r") for line in expected[:4]]


def test_an_edited_packed_entry_is_reserialised_and_undo_restores_the_exact_line(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    data = _messy_file()
    path.write_bytes(data)
    document = Document.open(path)
    document.dataset.pack()
    assert document.entries[2].stored_size < len(document.entries[2].raw or b"")  # packed
    record = document.record(2)
    assert record is not None
    record.preferred = [{"role": "assistant", "content": "Edited."}]
    previous = document.replace(2, record)
    document.save()
    assert b"Edited." in path.read_bytes().split(b"\n")[2]
    document.put_entries({2: previous})
    document.save()
    assert path.read_bytes() == data


def test_real_text_shrinks_to_under_a_third() -> None:
    """The HH-RLHF corpus file (real conversations, 2.8 MB): the records are kept at under a third."""
    path = CORPUS / "hh_rlhf" / "anthropic-hh-harmless-base-test.jsonl"
    dataset = Dataset.open(path)
    dataset.pack()
    records = [entry for entry in dataset.entries if entry.kind is EntryKind.RECORD]
    stored = sum(entry.stored_size for entry in records)
    source = sum(len(entry.raw or b"") for entry in records)
    assert stored < source / 3, (stored, source)
    assert dataset.to_bytes() == path.read_bytes()


def test_a_small_file_is_kept_as_it_is() -> None:
    data = b"".join(orjson.dumps(_pair(random.Random(1), n)) + b"\n" for n in range(20))
    dataset = Dataset.from_bytes(data, get_dialect("openai_dpo"))
    assert dataset.pack() == 0
    assert all(not entry.packed and entry.stored_size == entry.raw_size for entry in dataset.entries)


def test_lines_too_few_to_train_on_are_kept_as_they_are() -> None:
    assert LineCodec.train([b'{"one": "line"}']) is None


def test_entries_are_read_from_many_threads_at_once() -> None:
    """Background checks and the GUI thread unpack at the same time: every thread sees the right bytes."""
    data = _messy_file(1500)
    dataset = Dataset.from_bytes(data, get_dialect("openai_dpo"))
    expected = [entry.raw for entry in dataset.entries]
    wrong: list[int] = []

    def read_all() -> None:
        for _ in range(3):
            for index, entry in enumerate(dataset.entries):
                if entry.raw != expected[index] or entry.raw_size != len(expected[index] or b""):
                    wrong.append(index)

    # Packing runs while the others read, as it does after a large file is opened in the app.
    threads = [threading.Thread(target=dataset.pack)]
    threads += [threading.Thread(target=read_all) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []


def test_an_open_large_file_takes_less_memory_than_the_file() -> None:
    """What stays allocated after reading (entries and their packed bytes), measured by tracemalloc."""
    import gc
    import tracemalloc

    data = _messy_file(6000)
    size = len(data)
    gc.collect()
    tracemalloc.start()
    try:
        dataset = Dataset.from_bytes(data, get_dialect("openai_dpo"))
        dataset.pack()
        del data  # the entries no longer need the file's bytes once packed
        gc.collect()
        held, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(dataset.entries) > 6000
    assert held < size / 2, (held, size)


def test_saving_a_packed_file_never_holds_it_whole(tmp_path: Path) -> None:
    """A save streams blocks to disk: allocations during it stay far below the file's size."""
    import gc
    import tracemalloc

    path = tmp_path / "big.jsonl"
    data = _messy_file(6000)
    path.write_bytes(data)
    document = Document.open(path)
    document.dataset.pack()
    record = document.record(2)
    assert record is not None
    record.notes = ""
    record.preferred = [{"role": "assistant", "content": "Saved while packed."}]
    document.replace(2, record)
    gc.collect()
    tracemalloc.start()
    try:
        document.save()
        _held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < len(data) / 2, (peak, len(data))  # writing it whole took twice the file
    saved = path.read_bytes().split(b"\n")
    assert b"Saved while packed." in saved[2]
    assert saved[3:] == data.split(b"\n")[3:]
    assert document.source_size == len(path.read_bytes())


def test_many_entries_are_read_at_once_packed_or_not() -> None:
    from dpo_studio.core.dataset import sources_of

    dataset = Dataset.from_bytes(_messy_file(), get_dialect("openai_dpo"))
    half = len(dataset.entries) // 2
    expected = [entry.raw for entry in dataset.entries]
    assert [None if s is None else bytes(s) for s in sources_of(dataset.entries)] == expected
    dataset.pack()
    # A mix: packed entries, an edited copy holding plain bytes, a new record without source bytes.
    record = dataset.record(2)
    dataset.entries[2] = dataset.entries[2].with_record(record)
    dataset.append_record(record)
    mixed = sources_of(dataset.entries)
    assert [None if s is None else bytes(s) for s in mixed[:half]] == expected[:half]
    assert mixed[-1] is None and dataset.entries[3].packed


def test_reading_a_json_array_keeps_positions_not_decoded_values() -> None:
    """A large JSON array's decoded values took ten times the file's size while it was read."""
    from dpo_studio.core.textfile import split_array

    text = "[\n" + ",\n".join(orjson.dumps(_pair(random.Random(3), n)).decode() for n in range(50)) + "\n]\n"
    with_values, problem = split_array(text)
    positions_only, same_problem = split_array(text, keep_values=False)
    assert problem is None and same_problem is None
    assert [(e.line, e.column, e.start, e.end) for e in positions_only] == [
        (e.line, e.column, e.start, e.end) for e in with_values
    ]
    assert all(e.value is None for e in positions_only) and with_values[0].value == _pair(random.Random(3), 0)
    dataset = Dataset.from_bytes(text.encode(), get_dialect("openai_dpo"))
    assert len(dataset.entries) == 50 and dataset.to_bytes() == text.encode()
