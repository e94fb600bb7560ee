"""Every file of the real-world corpus (``shared/corpus``) is read as it is.

Per file: the detected dialect and how sure detection is, the record count, the structural issues the
dialect reports, a byte-identical round trip, and a conversion to OpenAI DPO that reads back to the
same examples. The ``invalid/`` files must give the right issues and explanations, and never crash.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import orjson
import pytest

from dpo_studio.core.dataset import Dataset, EntryKind
from dpo_studio.core.detect import FileKind, detect_dialect, detect_values
from dpo_studio.core.dialects import codes, get_dialect
from dpo_studio.core.textfile import Container

from .conftest import CORPUS


@dataclass(frozen=True)
class Expected:
    """What a corpus file must read as."""

    dialect: str
    records: int
    issues: dict[str, int] = field(default_factory=dict)
    kind: FileKind = FileKind.PREFERENCE
    entries: int | None = None  # when blank lines make it differ from ``records``
    #: Whether re-serialising every record in its own dialect reproduces the file exactly.
    reserialises: bool = False


EXPECTED: dict[str, Expected] = {
    "openai_dpo/msfoundry-dpo-chat-preferenceft.jsonl": Expected("openai_dpo", 12, reserialises=True),
    "openai_dpo/msfoundry-orca-dpo-validation.jsonl": Expected("openai_dpo", 284, reserialises=True),
    "hh_rlhf/anthropic-hh-harmless-base-test.jsonl": Expected("hh_rlhf", 2000),
    "trl_string/mxandre-zh-constraint-dpo-blanklines.jsonl": Expected(
        "trl_string", 242, entries=244, reserialises=True
    ),
    "trl_conversational/minimind-tiny-dpo-implicit.jsonl": Expected("trl_messages", 2, reserialises=True),
    "trl_conversational/nanollm-prompt-list-chosen-dict.jsonl": Expected(
        "trl_messages", 1050, {codes.SINGLE_MESSAGE_ANSWER: 1050}, reserialises=True
    ),
    "trl_conversational/llamafactory-dpo-en-demo-sharegpt.jsonl": Expected("sharegpt", 300),
    "trl_conversational/llamafactory-dpo-en-demo-sharegpt.original.json": Expected("sharegpt", 300),
    "trl_conversational/llamafactory-v1-dpo-demo-contentparts.jsonl": Expected("sharegpt", 10),
    "invalid/minimind-divergent-multiturn.jsonl": Expected(
        "trl_messages", 2, {codes.NO_SHARED_PROMPT: 2}, reserialises=True
    ),
    "invalid/openpipe-client-bare-message-array.jsonl": Expected(
        "openai_dpo", 1, {codes.NOT_OBJECT: 1}, FileKind.CONVERSATION
    ),
    "invalid/msfoundry-stock-toolcall-sft.jsonl": Expected(
        "openpipe", 86, {codes.ANSWER_MISSING: 86}, FileKind.SFT
    ),
    "invalid/llamafactory-kto-en-demo-unpaired.jsonl": Expected(
        "openpipe", 300, {codes.ANSWER_MISSING: 300}, FileKind.KTO
    ),
    "invalid/minillm-preferred-other-keys.jsonl": Expected(
        "openai_dpo",
        2,
        {codes.OPENAI_NO_INPUT: 2, codes.MESSAGES_MISSING: 2, codes.ANSWER_MISSING: 4},
        FileKind.UNKNOWN,
    ),
}

NAMES = sorted(EXPECTED)


def test_every_corpus_file_is_covered() -> None:
    on_disk = {str(path.relative_to(CORPUS)) for path in CORPUS.rglob("*.json*")}
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("name", NAMES)
def test_detection(name: str) -> None:
    expected = EXPECTED[name]
    data = (CORPUS / name).read_bytes()
    detection = detect_dialect(data)
    assert detection.dialect.name == expected.dialect
    assert detection.kind is expected.kind
    assert detection.explanation
    if expected.kind is FileKind.PREFERENCE:
        assert detection.certain, detection.explanation
        assert detection.confidence >= 0.9
    else:
        assert not detection.certain
        assert detection.confidence <= 0.25
    assert detect_dialect(data) == detection  # stable


@pytest.mark.parametrize("name", [n for n in NAMES if EXPECTED[n].kind is FileKind.PREFERENCE])
def test_detection_is_stable_record_by_record(name: str) -> None:
    """Each valid record on its own is detected as the file's dialect, so any sample gives the same answer."""
    dataset = Dataset.open(CORPUS / name)
    verdicts: Counter[tuple[str, bool]] = Counter()
    for index in dataset.record_indices():
        raw = dataset.entries[index].raw
        assert raw is not None
        detection = detect_values([orjson.loads(raw)])
        verdicts[(detection.dialect.name, detection.certain)] += 1
    assert set(verdicts) == {(EXPECTED[name].dialect, True)}


def test_explanations_name_what_is_wrong() -> None:
    def explain(name: str) -> str:
        return detect_dialect((CORPUS / name).read_bytes()).explanation

    assert "KTO" in explain("invalid/llamafactory-kto-en-demo-unpaired.jsonl")
    assert "SFT" in explain("invalid/msfoundry-stock-toolcall-sft.jsonl")
    assert "lists of chat messages" in explain("invalid/openpipe-client-bare-message-array.jsonl")
    bare = Dataset.open(CORPUS / "invalid/openpipe-client-bare-message-array.jsonl")
    _record, issues = bare.parse_entry(0)
    assert "bare list of chat messages" in issues[0].message
    unknown = explain("invalid/minillm-preferred-other-keys.jsonl")
    assert "preferred" in unknown and "other" in unknown


@pytest.mark.parametrize("name", NAMES)
def test_records_and_issues(name: str) -> None:
    expected = EXPECTED[name]
    dataset = Dataset.open(CORPUS / name)
    assert dataset.dialect.name == expected.dialect
    indices = dataset.record_indices()
    assert len(indices) == expected.records
    assert len(dataset.entries) == (expected.entries or expected.records)
    assert dataset.read_findings() == []
    found: Counter[str] = Counter()
    for index in indices:
        record, issues = dataset.parse_entry(index)
        assert record is not None
        found.update(issue.code for issue in issues)
        if not expected.issues:
            assert record.preferred and record.rejected and record.context
    assert dict(found) == expected.issues


@pytest.mark.parametrize("name", NAMES)
def test_untouched_round_trip_is_byte_identical(name: str) -> None:
    path = CORPUS / name
    assert Dataset.open(path).to_bytes() == path.read_bytes()


@pytest.mark.parametrize("name", [n for n in NAMES if EXPECTED[n].reserialises])
def test_reserialising_every_record_reproduces_native_files(name: str) -> None:
    path = CORPUS / name
    dataset = Dataset.open(path)
    for index in dataset.record_indices():
        dataset.set_record(index, dataset.record(index).clone())
    assert dataset.to_bytes() == path.read_bytes()


@pytest.mark.parametrize("name", NAMES)
def test_conversion_to_openai_reads_back_the_same_examples(name: str) -> None:
    dataset = Dataset.open(CORPUS / name)
    target = get_dialect("openai_dpo")
    assert dataset.conversion_losses(target) == {}
    converted = Dataset.from_bytes(dataset.to_bytes(target), target)
    assert converted.read_findings() == []
    assert len(converted.record_indices()) == len(dataset.record_indices())
    for (_i, source), (_j, again) in zip(dataset.iter_records(), converted.iter_records(), strict=True):
        assert again.context == source.context
        assert again.preferred == source.preferred
        assert again.rejected == source.rejected
        assert again.tools == source.tools
        assert again.metadata == source.metadata
        assert again.extra == source.extra


def test_sharegpt_array_original_reads_like_its_jsonl_copy() -> None:
    array = Dataset.open(CORPUS / "trl_conversational/llamafactory-dpo-en-demo-sharegpt.original.json")
    lines = Dataset.open(CORPUS / "trl_conversational/llamafactory-dpo-en-demo-sharegpt.jsonl")
    assert array.layout.container is Container.JSON_ARRAY
    assert [r for _i, r in array.iter_records()] == [r for _i, r in lines.iter_records()]
    assert array.entries[1].line > array.entries[0].line > 1  # lines point into the pretty-printed file


def test_corpus_specifics() -> None:
    orca = Dataset.open(CORPUS / "openai_dpo/msfoundry-orca-dpo-validation.jsonl")
    assert not orca.layout.final_newline
    assert all(record.system_prompt for _i, record in orca.iter_records())

    blank = Dataset.open(CORPUS / "trl_string/mxandre-zh-constraint-dpo-blanklines.jsonl")
    assert [e.line for e in blank.entries if e.kind is EntryKind.BLANK] == [82, 163]
    assert blank.layout.compact

    hh = Dataset.open(CORPUS / "hh_rlhf/anthropic-hh-harmless-base-test.jsonl")
    first = hh.record(0)
    assert [m["role"] for m in first.context][:2] == ["user", "assistant"]
    assert first.context[-1]["role"] == "user"
    assert all(m["role"] == "assistant" for _i, r in hh.iter_records() for m in r.preferred + r.rejected)

    sharegpt = Dataset.open(CORPUS / "trl_conversational/llamafactory-dpo-en-demo-sharegpt.jsonl")
    roles = Counter(m["role"] for _i, r in sharegpt.iter_records() for m in r.context)
    assert roles["system"] == 80 and set(roles) == {"system", "user", "assistant"}

    v1 = Dataset.open(CORPUS / "trl_conversational/llamafactory-v1-dpo-demo-contentparts.jsonl")
    for _i, record in v1.iter_records():
        assert [m["role"] for m in record.context] == ["system", "user"]
        assert all(isinstance(m["content"], str) for m in record.context + record.preferred + record.rejected)
        assert all("loss_weight" not in m for m in record.context)

    nano = Dataset.open(CORPUS / "trl_conversational/nanollm-prompt-list-chosen-dict.jsonl")
    assert nano.dialect.answer_objects  # type: ignore[attr-defined]  # new records follow the file

    implicit = Dataset.open(CORPUS / "trl_conversational/minimind-tiny-dpo-implicit.jsonl")
    assert implicit.dialect.implicit_prompt  # type: ignore[attr-defined]
    record = implicit.record(0)
    assert [m["role"] for m in record.context] == ["user"]

    tools = Dataset.open(CORPUS / "invalid/msfoundry-stock-toolcall-sft.jsonl")
    assert all(record.tools for _i, record in tools.iter_records())
