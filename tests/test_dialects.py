"""Each dialect's reading, writing and conversion losses on small hand-written files.

Also the byte-level robustness of the reader: BOM, CRLF, blank lines, no final newline, JSON arrays,
invalid UTF-8 on one line, very long lines.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dpo_studio.core.dataset import Dataset, EntryKind
from dpo_studio.core.detect import FileKind, detect_dialect
from dpo_studio.core.dialects import DIALECTS, codes, get_dialect, writable_dialects
from dpo_studio.core.records import TRAIN, VALIDATION, PreferenceRecord
from dpo_studio.core.textfile import Container


def _jsonl(*objects: object, compact: bool = False) -> bytes:
    separators = (",", ":") if compact else (", ", ": ")
    return b"".join(
        json.dumps(o, ensure_ascii=False, separators=separators).encode() + b"\n" for o in objects
    )


def _open(tmp_path: Path, data: bytes, dialect: str | None = None, name: str = "data.jsonl") -> Dataset:
    path = tmp_path / name
    path.write_bytes(data)
    return Dataset.open(path, dialect)


def _codes(dataset: Dataset, index: int) -> list[str]:
    return [issue.code for issue in dataset.parse_entry(index)[1]]


OPENAI = {
    "input": {
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}],
        "parallel_tool_calls": False,
    },
    "preferred_output": [{"role": "assistant", "content": "Hello!"}],
    "non_preferred_output": [{"role": "assistant", "content": "Go away."}],
    "metadata": {"source": "hand"},
    "custom": {"kept": True},
}


# -- registry -----------------------------------------------------------------------------------


def test_registry_names_and_writability() -> None:
    names = [dialect.name for dialect in DIALECTS]
    assert names == ["openai_dpo", "openpipe", "trl_messages", "trl_string", "hh_rlhf", "sharegpt", "h2o"]
    assert [d.name for d in writable_dialects()] == ["openai_dpo", "openpipe", "trl_messages", "trl_string"]
    with pytest.raises(KeyError, match="known dialects"):
        get_dialect("alpaca")


def test_dialect_codes_are_unique_and_in_range() -> None:
    values = [value for name, value in vars(codes).items() if name.isupper()]
    assert len(values) == len(set(values))
    for value in values:
        number = int(value.removeprefix("DPO"))
        assert number == 2 or 10 <= number <= 49


# -- OpenAI DPO ---------------------------------------------------------------------------------


def test_openai_reads_every_part_and_keeps_unknown_fields(tmp_path: Path) -> None:
    dataset = _open(tmp_path, _jsonl(OPENAI))
    assert dataset.dialect.name == "openai_dpo"
    record = dataset.record(0)
    assert record.system_prompt == "Be brief."
    assert record.tools == OPENAI["input"]["tools"]  # type: ignore[index]
    assert record.parallel_tool_calls is False
    assert record.preferred_text == "Hello!"
    assert record.rejected_text == "Go away."
    assert record.metadata == {"source": "hand"}
    assert record.extra == {"custom": {"kept": True}}
    # An edit re-serialises the record; the unknown field survives it.
    edited = record.clone()
    edited.preferred[0]["content"] = "Hello there!"
    dataset.set_record(0, edited)
    written = json.loads(dataset.to_bytes())
    assert written["custom"] == {"kept": True}
    assert written["preferred_output"][0]["content"] == "Hello there!"
    assert written["input"]["parallel_tool_calls"] is False


def test_openai_structural_issues(tmp_path: Path) -> None:
    lines = _jsonl(
        {"input": {"messages": "hi"}, "preferred_output": {"role": "assistant", "content": "x"}},
        {"preferred_output": [], "non_preferred_output": [], "metadata": "m"},
        [1, 2],
    )
    dataset = _open(tmp_path, lines, "openai_dpo")
    assert set(_codes(dataset, 0)) == {codes.NOT_MESSAGE_LIST, codes.ANSWER_SHAPE, codes.ANSWER_MISSING}
    assert set(_codes(dataset, 1)) == {
        codes.OPENAI_NO_INPUT,
        codes.MESSAGES_MISSING,
        codes.METADATA_NOT_OBJECT,
    }
    assert _codes(dataset, 2) == [codes.NOT_OBJECT]
    # Malformed values are kept, so writing back in the same dialect after an edit loses nothing.
    record = dataset.record(0)
    assert record.extra["input"] == {"messages": "hi"}


def test_openai_unknown_input_field_survives_edit(tmp_path: Path) -> None:
    source = {**OPENAI, "input": {**OPENAI["input"], "seed": 7}}  # type: ignore[dict-item]
    dataset = _open(tmp_path, _jsonl(source))
    dataset.set_record(0, dataset.record(0).clone())
    assert json.loads(dataset.to_bytes())["input"]["seed"] == 7


# -- OpenPipe -----------------------------------------------------------------------------------

OPENPIPE = {
    "messages": [
        {"role": "system", "content": "Answer in French."},
        {"role": "user", "content": "Hello"},
        {"role": "assistant", "content": "Bonjour"},
    ],
    "rejected_message": {"role": "assistant", "content": "Hello"},
    "split": "TEST",
    "metadata": {"prompt_id": "p1"},
}


def test_openpipe_read_write_and_split(tmp_path: Path) -> None:
    train = {**OPENPIPE, "split": "TRAIN"}
    data = _jsonl(OPENPIPE, train)
    dataset = _open(tmp_path, data)
    assert dataset.dialect.name == "openpipe"
    first, second = dataset.record(0), dataset.record(1)
    assert first.split == VALIDATION and second.split == TRAIN
    assert [m["content"] for m in first.context] == ["Answer in French.", "Hello"]
    assert first.preferred_text == "Bonjour" and first.rejected_text == "Hello"
    dataset.set_record(0, first.clone())
    dataset.set_record(1, second.clone())
    assert dataset.to_bytes() == data  # re-serialised in the same key order and style


def test_openpipe_issues_and_losses(tmp_path: Path) -> None:
    data = _jsonl(
        {"messages": [{"role": "user", "content": "Hi"}], "rejected_message": "no", "split": "dev"},
        {
            "messages": OPENPIPE["messages"],
            "rejected_message": OPENPIPE["rejected_message"],
            "split": "train",
        },
    )
    dataset = _open(tmp_path, data, "openpipe")
    assert set(_codes(dataset, 0)) == {codes.OPENPIPE_NO_PREFERRED, codes.ANSWER_SHAPE, codes.UNKNOWN_SPLIT}
    assert _codes(dataset, 1) == [codes.UNKNOWN_SPLIT]  # lower-case 'train' is read, with a note
    record = PreferenceRecord(
        context=[{"role": "user", "content": "Q"}],
        preferred=[{"role": "assistant", "content": "a"}, {"role": "assistant", "content": "b"}],
        rejected=[{"role": "assistant", "content": "c"}],
        notes="check",
    )
    losses = get_dialect("openpipe").losses(record)
    assert "notes" in losses
    assert any("preferred answers of several messages" in loss for loss in losses)


# -- TRL ----------------------------------------------------------------------------------------


def test_trl_string_explicit_round_trip_and_losses(tmp_path: Path) -> None:
    data = _jsonl({"prompt": "Q?", "chosen": "Good", "rejected": "Bad", "score": 3}, compact=True)
    dataset = _open(tmp_path, data)
    assert dataset.dialect.name == "trl_string"
    record = dataset.record(0)
    assert record.context == [{"role": "user", "content": "Q?"}]
    assert record.extra == {"score": 3}
    dataset.set_record(0, record.clone())
    assert dataset.to_bytes() == data  # compact style followed
    rich = PreferenceRecord(
        context=[{"role": "system", "content": "S"}, {"role": "user", "content": "Q"}],
        preferred=[{"role": "assistant", "content": "A"}],
        rejected=[{"role": "assistant", "content": None, "tool_calls": []}],
        tools=[{"type": "function", "function": {"name": "f"}}],
        split=TRAIN,
    )
    losses = get_dialect("trl_string").losses(rich)
    for expected in ("system prompt", "tool definitions", "split", "tool calls"):
        assert any(expected in loss for loss in losses), expected


def test_trl_string_implicit_prompt(tmp_path: Path) -> None:
    data = _jsonl({"chosen": "Question: 2+2? Answer: 4", "rejected": "Question: 2+2? Answer: 5"})
    dataset = _open(tmp_path, data)
    assert dataset.dialect.name == "trl_string"
    record = dataset.record(0)
    assert record.context == [{"role": "user", "content": "Question: 2+2? Answer:"}]
    assert record.preferred_text == " 4" and record.rejected_text == " 5"
    dataset.set_record(0, record.clone())
    assert dataset.to_bytes() == data  # the implicit style is kept when writing


def test_trl_messages_explicit_implicit_and_single_objects(tmp_path: Path) -> None:
    user = {"role": "user", "content": "Hi"}
    good, bad = {"role": "assistant", "content": "Hello"}, {"role": "assistant", "content": "Meh"}
    implicit = _jsonl({"chosen": [user, good], "rejected": [user, bad]})
    dataset = _open(tmp_path, implicit)
    assert dataset.dialect.name == "trl_messages"
    record = dataset.record(0)
    assert record.context == [user] and record.preferred == [good] and record.rejected == [bad]
    dataset.set_record(0, record.clone())
    assert dataset.to_bytes() == implicit
    objects = _jsonl({"prompt": [user], "chosen": good, "rejected": bad})
    dataset = _open(tmp_path, objects, name="objects.jsonl")
    assert _codes(dataset, 0) == [codes.SINGLE_MESSAGE_ANSWER]
    dataset.set_record(0, dataset.record(0).clone())
    assert dataset.to_bytes() == objects  # single-object answers stay objects


def test_trl_messages_divergent_transcripts_report_no_shared_prompt(tmp_path: Path) -> None:
    turn = {"role": "user", "content": "Hi"}
    chosen = [turn, {"role": "assistant", "content": "A"}, {"role": "user", "content": "X"}]
    rejected = [turn, {"role": "assistant", "content": "B"}, {"role": "user", "content": "Y"}]
    dataset = _open(tmp_path, _jsonl({"chosen": chosen, "rejected": rejected}), "trl_messages")
    assert codes.NO_SHARED_PROMPT in _codes(dataset, 0)


# -- HH-RLHF ------------------------------------------------------------------------------------


def test_hh_rlhf_transcripts_become_context_and_answers(tmp_path: Path) -> None:
    chosen = "\n\nHuman: Hi\n\nAssistant: Hello\n\nHuman: Joke?\n\nAssistant: Why did the chicken..."
    rejected = "\n\nHuman: Hi\n\nAssistant: Hello\n\nHuman: Joke?\n\nAssistant: No."
    pair = {"chosen": chosen, "rejected": rejected}
    data = _jsonl(pair, {"chosen": "no markers", "rejected": "x"}, pair, pair, pair)
    dataset = _open(tmp_path, data)
    assert dataset.dialect.name == "hh_rlhf"
    record = dataset.record(0)
    assert [(m["role"], m["content"]) for m in record.context] == [
        ("user", "Hi"),
        ("assistant", "Hello"),
        ("user", "Joke?"),
    ]
    assert record.preferred == [{"role": "assistant", "content": "Why did the chicken..."}]
    assert record.rejected == [{"role": "assistant", "content": "No."}]
    assert codes.TRANSCRIPT_MARKERS in _codes(dataset, 1)
    assert not get_dialect("hh_rlhf").writable
    assert dataset.to_bytes() == data  # untouched: a plain copy is allowed
    dataset.set_record(0, record.clone())
    with pytest.raises(ValueError, match="read but not written"):
        dataset.to_bytes()
    converted = Dataset.from_bytes(dataset.to_bytes(get_dialect("openai_dpo")), get_dialect("openai_dpo"))
    assert converted.record(0).context == record.context


# -- ShareGPT / LLaMA-Factory -------------------------------------------------------------------


def test_sharegpt_ranking_with_tools_and_function_calls(tmp_path: Path) -> None:
    tools = json.dumps([{"name": "weather", "description": "w", "parameters": {"type": "object"}}])
    value = {
        "conversations": [
            {"from": "human", "value": "Weather in Oslo?"},
            {"from": "function_call", "value": '{"name": "weather", "arguments": {"city": "Oslo"}}'},
            {"from": "observation", "value": "-3C"},
        ],
        "chosen": {"from": "gpt", "value": "It is -3C."},
        "rejected": [{"from": "gpt", "value": "Sunny!"}],
        "system": "You are helpful.",
        "tools": tools,
        "id": 17,
    }
    dataset = _open(tmp_path, _jsonl(value))
    assert dataset.dialect.name == "sharegpt"
    record, issues = dataset.parse_entry(0)
    assert record is not None and issues == []
    roles = [m["role"] for m in record.context]
    assert roles == ["system", "user", "assistant", "tool"]
    call = record.context[2]["tool_calls"][0]
    assert call["function"] == {"name": "weather", "arguments": '{"city": "Oslo"}'}
    assert record.context[3]["tool_call_id"] == call["id"]
    assert record.tools == [
        {
            "type": "function",
            "function": {"name": "weather", "description": "w", "parameters": {"type": "object"}},
        }
    ]
    assert record.preferred_text == "It is -3C." and record.rejected_text == "Sunny!"
    assert record.extra == {"id": 17}


def test_sharegpt_issues(tmp_path: Path) -> None:
    value = {
        "conversations": [
            {"from": "robot", "value": "?"},
            "text",
            {"from": "function_call", "value": "call"},
        ],
        "chosen": {"from": "gpt", "value": "a"},
        "rejected": 5,
        "tools": "not json",
    }
    dataset = _open(tmp_path, _jsonl(value), "sharegpt")
    assert set(_codes(dataset, 0)) == {
        codes.UNKNOWN_SPEAKER,
        codes.MESSAGE_NOT_OBJECT,
        codes.FUNCTION_CALL_TEXT,
        codes.ANSWER_SHAPE,
        codes.TOOLS_TEXT,
    }
    record = dataset.record(0)
    assert record.extra["tools"] == "not json" and record.extra["rejected"] == 5


def test_sharegpt_json_array_file(tmp_path: Path) -> None:
    records = [
        {
            "conversations": [{"from": "human", "value": f"Q{i}"}],
            "chosen": {"from": "gpt", "value": "a"},
            "rejected": {"from": "gpt", "value": "b"},
        }
        for i in range(3)
    ]
    data = json.dumps(records, indent=2).encode()
    dataset = _open(tmp_path, data, name="data.json")
    assert dataset.layout.container is Container.JSON_ARRAY
    assert dataset.dialect.name == "sharegpt"
    assert [dataset.record(i).last_user_text for i in dataset.record_indices()] == ["Q0", "Q1", "Q2"]
    assert [entry.line for entry in dataset.entries] == [2, 18, 34]
    assert dataset.to_bytes() == data


def test_llamafactory_v1_content_parts_and_loss_weight(tmp_path: Path) -> None:
    def message(role: str, text: str, weight: float) -> dict[str, object]:
        return {"role": role, "content": [{"type": "text", "value": text}], "loss_weight": weight}

    value = {
        "chosen_messages": [
            message("system", "S", 0.0),
            message("user", "Q", 0.0),
            message("assistant", "A", 1.0),
        ],
        "rejected_messages": [
            message("system", "S", 0.0),
            message("user", "Q", 0.0),
            message("assistant", "B", 0.5),
        ],
    }
    dataset = _open(tmp_path, _jsonl(value))
    assert dataset.dialect.name == "sharegpt"
    record, issues = dataset.parse_entry(0)
    assert record is not None
    assert record.context == [{"role": "system", "content": "S"}, {"role": "user", "content": "Q"}]
    assert record.preferred == [{"role": "assistant", "content": "A"}]
    assert record.rejected == [{"role": "assistant", "content": "B"}]
    assert [issue.code for issue in issues] == [codes.LOSS_WEIGHT_DROPPED]


# -- H2O ----------------------------------------------------------------------------------------


def test_h2o_columns(tmp_path: Path) -> None:
    data = _jsonl(
        {"prompt": "Q", "chosen_response": "A", "rejected_response": "B", "system": "S", "id": "1"},
        {"prompt": "Q", "chosen_response": "A"},
    )
    dataset = _open(tmp_path, data)
    assert dataset.dialect.name == "h2o"
    record = dataset.record(0)
    assert record.context == [{"role": "system", "content": "S"}, {"role": "user", "content": "Q"}]
    assert record.preferred_text == "A" and record.rejected_text == "B"
    assert record.extra == {"id": "1"}
    assert _codes(dataset, 1) == [codes.ANSWER_MISSING]


# -- byte-level robustness ----------------------------------------------------------------------

GOOD = json.dumps({"prompt": "Q", "chosen": "A", "rejected": "B"}, ensure_ascii=False).encode()


@pytest.mark.parametrize(
    "data",
    [
        b"\xef\xbb\xbf" + GOOD + b"\n" + GOOD + b"\n",  # BOM
        GOOD + b"\r\n" + GOOD + b"\r\n",  # CRLF
        GOOD + b"\n\n   \n" + GOOD,  # blank lines, no final newline
        GOOD + b"\r\n" + GOOD + b"\r",  # a stray final carriage return
        b"\n\n" + GOOD + b"\n\n" + GOOD + b"\n\n",  # blank lines around
    ],
    ids=["bom", "crlf", "blank-no-final-newline", "stray-cr", "blank-around"],
)
def test_layouts_load_and_round_trip(tmp_path: Path, data: bytes) -> None:
    dataset = _open(tmp_path, data)
    assert dataset.dialect.name == "trl_string"
    assert len(dataset.record_indices()) == 2
    assert dataset.read_findings() == []
    assert dataset.to_bytes() == data
    # After an edit the untouched lines and the layout stay exactly as they were.
    first = dataset.record_indices()[0]
    dataset.set_record(first, dataset.record(first).clone())
    assert dataset.to_bytes() == data


def test_crlf_edit_keeps_crlf_and_new_records_follow_the_layout(tmp_path: Path) -> None:
    dataset = _open(tmp_path, b"\xef\xbb\xbf" + GOOD + b"\r\n" + GOOD)
    dataset.append_record(
        PreferenceRecord(
            [{"role": "user", "content": "N"}],
            [{"role": "assistant", "content": "y"}],
            [{"role": "assistant", "content": "n"}],
        )
    )
    out = dataset.to_bytes()
    assert out.startswith(b"\xef\xbb\xbf" + GOOD + b"\r\n" + GOOD + b"\r\n")
    assert out.endswith(b'"N", "chosen": "y", "rejected": "n"}')  # the file had no final newline
    assert dataset.to_bytes(bom=False)[:1] == b"{"


def test_invalid_utf8_and_broken_json_lines_are_kept_with_positions(tmp_path: Path) -> None:
    bad_utf8 = b'{"prompt": "caf\xe9", "chosen": "A", "rejected": "B"}'
    broken = b'{"prompt": "Q", "chosen": "A", "rejected": }'
    data = GOOD + b"\n" + bad_utf8 + b"\n" + broken + b"\n" + GOOD + b"\n"
    dataset = _open(tmp_path, data)
    assert [entry.kind for entry in dataset.entries] == [
        EntryKind.RECORD,
        EntryKind.UNREADABLE,
        EntryKind.UNREADABLE,
        EntryKind.RECORD,
    ]
    findings = dataset.read_findings()
    assert [(f.line, f.entry, f.code) for f in findings] == [(2, 1, "DPO001"), (3, 2, "DPO001")]
    assert "UTF-8" in findings[0].message and findings[0].column == 16
    assert findings[1].column > 1
    assert dataset.to_bytes() == data
    # Converting keeps unreadable lines as they are (and says so through read findings).
    converted = dataset.to_bytes(get_dialect("openai_dpo"))
    assert bad_utf8 in converted and broken in converted


def test_very_long_lines(tmp_path: Path) -> None:
    long_text = "word " * 6_000  # 30 KB
    data = _jsonl(
        {"prompt": "Q", "chosen": long_text, "rejected": "B"},
        {"prompt": "Q2", "chosen": "A", "rejected": "B"},
    )
    assert len(data.split(b"\n")[0]) > 30_000
    dataset = _open(tmp_path, data)
    assert dataset.record(0).preferred_text == long_text
    assert dataset.to_bytes() == data


def test_json_array_with_bom_invalid_utf8_and_broken_tail(tmp_path: Path) -> None:
    element = GOOD.decode()
    data = (
        b"\xef\xbb\xbf[\n  "
        + element.encode()
        + b",\n  "
        + b'{"prompt": "caf\xe9", "chosen": "A", "rejected": "B"},\n  '
        + element.encode()
        + b',\n  {"prompt": NaN},\n  {broken, \n  '
        + element.encode()
        + b"\n]\n"
    )
    dataset = _open(tmp_path, data, name="data.json")
    assert dataset.layout.container is Container.JSON_ARRAY and dataset.layout.bom
    kinds = [entry.kind for entry in dataset.entries]
    assert kinds == [
        EntryKind.RECORD,
        EntryKind.UNREADABLE,  # invalid UTF-8
        EntryKind.RECORD,
        EntryKind.UNREADABLE,  # NaN: Python's json reads it, JSON (and orjson) does not
        EntryKind.UNREADABLE,  # the broken rest
    ]
    findings = dataset.read_findings()
    assert [(f.line, f.column, f.code) for f in findings] == [
        (3, 3, "DPO001"),
        (5, 3, "DPO001"),
        (6, 4, "DPO001"),
    ]
    assert "UTF-8" in findings[0].message
    assert dataset.to_bytes() == data  # nothing dropped, not even the unreadable tail


def test_one_line_json_array_is_an_array_of_records(tmp_path: Path) -> None:
    data = json.dumps([OPENAI, OPENAI]).encode()
    dataset = _open(tmp_path, data, name="data.json")
    assert dataset.layout.container is Container.JSON_ARRAY
    assert dataset.dialect.name == "openai_dpo" and len(dataset.record_indices()) == 2
    assert dataset.to_bytes() == data


def test_json_array_edits_keep_the_pretty_layout(tmp_path: Path) -> None:
    data = (json.dumps([OPENAI, OPENAI, OPENAI], indent=2) + "\n").encode()
    dataset = _open(tmp_path, data, name="data.json")
    edited = dataset.record(1).clone()
    edited.preferred[0]["content"] = "Changed"
    dataset.set_record(1, edited)
    expected = json.loads(data)
    expected[1]["preferred_output"][0]["content"] = "Changed"
    assert dataset.to_bytes() == (json.dumps(expected, indent=2) + "\n").encode()
    dataset.remove(2)
    dataset.append_record(edited)
    dataset.remove(0)
    out = dataset.to_bytes()
    assert json.loads(out) == [expected[1], expected[1]]
    # Converting an array file writes JSON Lines, which is what the platforms take.
    lines = dataset.to_bytes(get_dialect("trl_messages")).splitlines()
    assert len(lines) == 2 and all(json.loads(line)["chosen"] for line in lines)


def test_empty_files_and_arrays(tmp_path: Path) -> None:
    for data in (b"", b"\n", b"[]", b"[\n]\n", b"\xef\xbb\xbf"):
        dataset = _open(tmp_path, data)
        assert dataset.record_indices() == []
        assert dataset.to_bytes() == data
    assert detect_dialect(b"").kind is FileKind.EMPTY


def test_non_ascii_escaped_files_stay_escaped_after_edits(tmp_path: Path) -> None:
    data = json.dumps({"prompt": "Café?", "chosen": "Oui", "rejected": "Non"}).encode() + b"\n"
    assert b"\\u00e9" in data
    dataset = _open(tmp_path, data)
    dataset.set_record(0, dataset.record(0).clone())
    assert dataset.to_bytes() == data


# -- conversions --------------------------------------------------------------------------------


def test_conversion_losses_are_counted_per_kind(tmp_path: Path) -> None:
    with_tools = OPENAI
    plain = {
        "input": {"messages": [{"role": "user", "content": "Hi"}]},
        "preferred_output": [{"role": "assistant", "content": "A"}],
        "non_preferred_output": [{"role": "assistant", "content": "B"}],
    }
    dataset = _open(tmp_path, _jsonl(with_tools, plain, plain))
    assert dataset.conversion_losses(get_dialect("trl_messages")) == {}
    losses = dataset.conversion_losses(get_dialect("trl_string"))
    assert losses["tool definitions"] == 1
    assert losses["system prompt (folded into the prompt text)"] == 1
    # What is carried, is carried: metadata and unknown fields reach the TRL file.
    written = json.loads(dataset.to_bytes(get_dialect("trl_messages")).splitlines()[0])
    assert written["metadata"] == {"source": "hand"} and written["custom"] == {"kept": True}
    assert written["tools"] == OPENAI["input"]["tools"]  # type: ignore[index]


def test_conversion_round_trip_through_every_writable_dialect(tmp_path: Path) -> None:
    dataset = _open(tmp_path, _jsonl(OPENPIPE))
    source = dataset.record(0)
    for target in writable_dialects():
        if dataset.conversion_losses(target):
            continue
        written = dataset.to_bytes(target)
        again = Dataset.from_bytes(written, target)
        record = again.record(0)
        assert (record.context, record.preferred, record.rejected) == (
            source.context,
            source.preferred,
            source.rejected,
        ), target.name


def test_text_prompt_beside_whole_conversations_is_read_like_trl(tmp_path: Path) -> None:
    """UltraFeedback-binarized shape: a text 'prompt' column next to chosen/rejected conversations."""
    user = {"role": "user", "content": "Name a colour."}
    value = {
        "prompt": "Name a colour.",
        "prompt_id": "abc",
        "chosen": [user, {"role": "assistant", "content": "Blue."}],
        "rejected": [user, {"role": "assistant", "content": "Seven."}],
        "messages": [user, {"role": "assistant", "content": "Blue."}],
        "score_chosen": 8.0,
        "score_rejected": 2.0,
    }
    data = _jsonl(value, value)
    detection = detect_dialect(data)
    assert detection.dialect.name == "trl_messages" and detection.certain
    dataset = _open(tmp_path, data)
    record, issues = dataset.parse_entry(0)
    assert record is not None and issues == []
    assert record.context == [user]
    assert record.preferred_text == "Blue." and record.rejected_text == "Seven."
    assert record.extra["prompt"] == "Name a colour." and record.extra["score_chosen"] == 8.0
    dataset.set_record(0, record.clone())
    assert json.loads(dataset.to_bytes().splitlines()[0]) == value  # written back as conversations


def test_hh_transcripts_with_a_prompt_column_are_hh(tmp_path: Path) -> None:
    value = {
        "prompt": "\n\nHuman: Hi",
        "chosen": "\n\nHuman: Hi\n\nAssistant: Hello",
        "rejected": "\n\nHuman: Hi\n\nAssistant: Go away",
    }
    detection = detect_dialect(_jsonl(value))
    assert detection.dialect.name == "hh_rlhf" and detection.certain


def test_utf16_and_compressed_files_are_named(tmp_path: Path) -> None:
    import gzip

    utf16 = "\ufeff".encode("utf-16-le") + GOOD.decode().encode("utf-16-le") + "\n".encode("utf-16-le")
    for data, word in ((utf16, "UTF-16"), (gzip.compress(GOOD + b"\n"), "gzip")):
        assert word in detect_dialect(data).explanation
        dataset = _open(tmp_path, data)
        assert any(word in finding.message for finding in dataset.read_findings())
        assert dataset.to_bytes() == data  # still kept byte for byte


def test_edited_record_keeps_the_source_key_order(tmp_path: Path) -> None:
    source = {
        "metadata": {"b": "1", "a": "2"},
        "non_preferred_output": [{"content": "No", "role": "assistant"}],
        "preferred_output": [{"content": "Yes", "role": "assistant"}],
        "input": {"messages": [{"content": "Q", "role": "user"}]},
    }
    dataset = _open(tmp_path, _jsonl(source, source))
    record = dataset.record(0).clone()
    record.preferred[0]["content"] = "Yes!"
    record.metadata["c"] = "3"
    dataset.set_record(0, record)
    first, second = dataset.to_bytes().splitlines()
    expected = json.loads(json.dumps(source))
    expected["preferred_output"][0]["content"] = "Yes!"
    expected["metadata"]["c"] = "3"
    assert first == json.dumps(expected, ensure_ascii=False).encode()
    assert second == _jsonl(source).rstrip(b"\n")


def test_llamafactory_alpaca_ranking_records(tmp_path: Path) -> None:
    value = {
        "instruction": "Translate to French",
        "input": "Good morning",
        "history": [["Hi", "Hello!"]],
        "system": "You translate.",
        "chosen": "Bonjour",
        "rejected": "Buenos días",
    }
    data = _jsonl(value, {"instruction": "Say hi", "input": "", "chosen": "Hi", "rejected": "Go"})
    detection = detect_dialect(data)
    assert detection.dialect.name == "sharegpt" and detection.certain
    dataset = _open(tmp_path, data)
    record, issues = dataset.parse_entry(0)
    assert record is not None and issues == []
    assert [(m["role"], m["content"]) for m in record.context] == [
        ("system", "You translate."),
        ("user", "Hi"),
        ("assistant", "Hello!"),
        ("user", "Translate to French\nGood morning"),
    ]
    assert record.preferred_text == "Bonjour" and record.rejected_text == "Buenos días"
    second = dataset.record(1)
    assert second.context == [{"role": "user", "content": "Say hi"}] and second.extra == {}


def test_missing_file_and_folder_give_one_plain_sentence(tmp_path: Path) -> None:
    from dpo_studio.core.dataset import DatasetReadError

    with pytest.raises(DatasetReadError, match="No file at"):
        Dataset.open(tmp_path / "nope.jsonl")
    with pytest.raises(DatasetReadError, match="is a folder"):
        Dataset.open(tmp_path)


def test_pretty_printed_objects_are_explained(tmp_path: Path) -> None:
    data = (json.dumps(OPENAI, indent=2) + "\n" + json.dumps(OPENAI, indent=2) + "\n").encode()
    detection = detect_dialect(data)
    assert detection.kind is FileKind.EMPTY and "one example per line" in detection.explanation
    dataset = _open(tmp_path, data)
    assert dataset.record_indices() == [] and dataset.read_findings()
    assert dataset.to_bytes() == data
