"""Validation rules: each rule fires on real JSON lines, fixes repair, profiles differ, corpus files."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dpo_studio.core.dataset import Dataset
from dpo_studio.core.dialects import get_dialect
from dpo_studio.core.findings import Finding, Issue, Severity
from dpo_studio.core.records import PreferenceRecord
from dpo_studio.core.validation import (
    ANSWER_COUNT,
    ANSWER_ROLE,
    ANSWER_WHITESPACE,
    BAD_TOOL_DEFINITION,
    CONTENT_TYPE,
    DUPLICATE,
    EMPTY_ANSWER,
    EMPTY_PROMPT,
    FILE_TOO_LARGE,
    IDENTICAL_ANSWERS,
    LAST_NOT_USER,
    MEDIA_CONTENT,
    MISSING_CONTENT,
    MODEL_WITHOUT_DPO,
    PARALLEL_TOOL_CALLS,
    RULES,
    TOO_FEW_EXAMPLES,
    TOO_MANY_TOKENS,
    TOOL_ARGUMENTS,
    TOOL_CALL_ID,
    TRAIN_VALIDATION_OVERLAP,
    UNDECLARED_TOOL,
    UNKNOWN_MESSAGE_KEY,
    UNKNOWN_ROLE,
    UNKNOWN_TOOL_CALL_ID,
    _is_plain_pair,
    open_and_validate,
    profile_for,
    validate_dataset,
    validate_record,
)
from tests.conftest import CORPUS

AZURE = profile_for("azure")
OPENAI = profile_for("openai")

TOOL = {
    "type": "function",
    "function": {
        "name": "lookup_order",
        "description": "Look up an order",
        "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}},
    },
}


def pair(**overrides: Any) -> dict[str, Any]:
    """A valid OpenAI DPO example as JSON; keyword arguments replace parts of it."""
    value: dict[str, Any] = {
        "input": {
            "messages": [
                {"role": "system", "content": "You are a concise support agent."},
                {"role": "user", "content": "Where is my order 1234?"},
            ]
        },
        "preferred_output": [
            {"role": "assistant", "content": "It ships tomorrow; tracking follows by email."}
        ],
        "non_preferred_output": [{"role": "assistant", "content": "I cannot help with that."}],
    }
    for key, item in overrides.items():
        if key in ("messages", "tools", "parallel_tool_calls"):
            value["input"][key] = item
        else:
            value[key] = item
    return value


def check(value: Any, profile: Any = AZURE) -> list[Finding]:
    """Validate one JSON example the way the app does: through the dialect, with its issues."""
    record, issues = get_dialect("openai_dpo").parse(value)
    return validate_record(record, profile, entry=0, line=1, issues=issues)


def codes_of(findings: list[Finding]) -> list[str]:
    return [finding.code for finding in findings]


def record_of(value: dict[str, Any]) -> PreferenceRecord:
    return get_dialect("openai_dpo").parse(value)[0]


def test_a_clean_example_has_no_findings() -> None:
    from dpo_studio.core.validation import _plain_openai_key

    assert check(pair()) == []
    assert check(pair(), OPENAI) == []
    # ... and it takes the fast path, which the property test below proves equivalent.
    assert _plain_openai_key(pair(), 100, OPENAI.token_limit) is not None
    assert (
        _plain_openai_key(pair(tools=[TOOL], parallel_tool_calls=False), 100, OPENAI.token_limit) is not None
    )
    assert _plain_openai_key(pair(), 70_000, OPENAI.token_limit) is None  # big: the token limit needs a count


def test_every_rule_has_a_stable_code_and_description() -> None:
    assert all(code.startswith("DPO1") and len(code) == 6 for code in RULES)
    assert len(set(RULES)) == len(RULES)


@pytest.mark.parametrize(
    ("value", "code", "field"),
    [
        (pair(messages=[]), EMPTY_PROMPT, "input.messages"),
        (
            pair(messages=[{"role": "developer", "content": "Be brief."}, {"role": "user", "content": "Hi"}]),
            UNKNOWN_ROLE,
            "input.messages[0].role",
        ),
        (
            pair(messages=[{"role": "critic", "content": "x"}, {"role": "user", "content": "Hi"}]),
            UNKNOWN_ROLE,
            "",
        ),
        (pair(messages=[{"role": "user"}]), MISSING_CONTENT, "input.messages[0].content"),
        (pair(messages=[{"role": "user", "content": None}]), MISSING_CONTENT, ""),
        (pair(messages=[{"role": "user", "content": 42}]), CONTENT_TYPE, "input.messages[0].content"),
        (
            pair(
                messages=[
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": "What is in this photo?"},
                            {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
                        ],
                    }
                ]
            ),
            MEDIA_CONTENT,
            "input.messages[0].content[1]",
        ),
        (
            pair(
                messages=[
                    {"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": "AAA"}}]}
                ]
            ),
            MEDIA_CONTENT,
            "",
        ),
        (
            pair(messages=[{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]),
            LAST_NOT_USER,
            "input.messages[1]",
        ),
        (pair(messages=[{"role": "system", "content": "Rules only"}]), LAST_NOT_USER, ""),
        (pair(preferred_output=[]), ANSWER_COUNT, "preferred_output"),
        (pair(non_preferred_output=[{"role": "user", "content": "Nope"}]), ANSWER_ROLE, ""),
        (pair(preferred_output=[{"role": "assistant", "content": "   "}]), EMPTY_ANSWER, ""),
        (pair(preferred_output=[{"role": "assistant", "content": ""}]), EMPTY_ANSWER, ""),
        (pair(non_preferred_output=[{"role": "assistant", "content": None}]), EMPTY_ANSWER, ""),
        (
            pair(
                non_preferred_output=[
                    {"role": "assistant", "content": "It ships tomorrow; tracking follows by email."}
                ]
            ),
            IDENTICAL_ANSWERS,
            "non_preferred_output",
        ),
        (
            pair(
                tools=[TOOL],
                preferred_output=[
                    {
                        "role": "assistant",
                        "tool_calls": [
                            {
                                "id": "c1",
                                "type": "function",
                                "function": {"name": "cancel_order", "arguments": "{}"},
                            }
                        ],
                    }
                ],
            ),
            UNDECLARED_TOOL,
            "preferred_output[0].tool_calls[0].function.name",
        ),
        (
            pair(
                preferred_output=[
                    {
                        "role": "assistant",
                        "tool_calls": [
                            {
                                "id": "c1",
                                "type": "function",
                                "function": {"name": "lookup_order", "arguments": "{}"},
                            }
                        ],
                    }
                ]
            ),
            UNDECLARED_TOOL,
            "",
        ),
        (pair(tools=[{"type": "function", "function": {"description": "no name"}}]), BAD_TOOL_DEFINITION, ""),
        (pair(tools=[TOOL], parallel_tool_calls="yes"), PARALLEL_TOOL_CALLS, "input.parallel_tool_calls"),
        (
            pair(
                tools=[TOOL],
                preferred_output=[
                    {
                        "role": "assistant",
                        "tool_calls": [
                            {
                                "id": "c1",
                                "type": "function",
                                "function": {"name": "lookup_order", "arguments": "{id:"},
                            }
                        ],
                    }
                ],
            ),
            TOOL_ARGUMENTS,
            "",
        ),
        (
            pair(messages=[{"role": "user", "content": "Hi", "timestamp": "2024-01-01"}]),
            UNKNOWN_MESSAGE_KEY,
            "input.messages[0]",
        ),
        (
            pair(preferred_output=[{"role": "assistant", "content": " Sure, it ships tomorrow.\n"}]),
            ANSWER_WHITESPACE,
            "preferred_output[0].content",
        ),
        (
            pair(messages=[{"role": "user", "content": "Hi"}, {"role": "tool", "content": "{}"}]),
            TOOL_CALL_ID,
            "",
        ),
        (
            pair(
                messages=[
                    {"role": "user", "content": "Hi"},
                    {"role": "tool", "tool_call_id": "call_9", "content": "{}"},
                ]
            ),
            UNKNOWN_TOOL_CALL_ID,
            "",
        ),
    ],
)
def test_rule_fires(value: dict[str, Any], code: str, field: str) -> None:
    findings = check(value)
    matching = [finding for finding in findings if finding.code == code]
    assert matching, findings
    assert matching[0].line == 1 and matching[0].entry == 0
    assert matching[0].message
    if field:
        assert matching[0].field == field


def test_reader_issues_are_reported_once() -> None:
    findings = check({"prompt": "hi", "chosen": "a", "rejected": "b"})
    codes = codes_of(findings)
    assert "DPO010" in codes and "DPO014" in codes  # no input; answers missing (from the dialect)
    assert EMPTY_PROMPT not in codes and ANSWER_COUNT not in codes
    assert codes_of(check([1, 2])) == ["DPO002"]


def test_answer_rules_differ_between_openai_and_azure() -> None:
    two_messages = pair(
        tools=[TOOL],
        preferred_output=[
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "lookup_order", "arguments": '{"order_id": "1234"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": '{"status": "shipped"}'},
            {"role": "assistant", "content": "It has shipped."},
        ],
    )
    openai = check(two_messages, OPENAI)
    azure = check(two_messages, AZURE)
    assert {(f.code, f.severity) for f in openai} >= {
        (ANSWER_COUNT, Severity.ERROR),
        (ANSWER_ROLE, Severity.ERROR),
    }
    assert [(f.code, f.severity) for f in azure] == [(ANSWER_COUNT, Severity.INFO)]
    only_tool = pair(non_preferred_output=[{"role": "tool", "tool_call_id": "x", "content": "{}"}])
    azure_tool = check(only_tool, AZURE)
    assert ANSWER_ROLE in codes_of(azure_tool)  # no assistant message at all
    assert "holds no assistant" in next(f.message for f in azure_tool if f.code == ANSWER_ROLE)


def test_profiles() -> None:
    assert profile_for("foundry").name == "Microsoft Foundry"
    assert profile_for("azure", "gpt-4.1-nano-2025-04-14").token_limit == 32_768
    assert OPENAI.single_message_answers and not AZURE.single_message_answers
    assert profile_for("azure", "gpt-4.1-2025-04-14.ft-abc").supports_dpo()
    assert not profile_for("openai", "gpt-3.5-turbo-0125").supports_dpo()
    with pytest.raises(ValueError, match="unknown provider"):
        profile_for("anthropic")


def _apply_fix(value: dict[str, Any], code: str) -> PreferenceRecord:
    record = record_of(value)
    finding = next(f for f in validate_record(record, AZURE) if f.code == code)
    assert finding.fix is not None, finding
    original = record.clone()
    fixed = finding.fix.apply(record.clone())
    assert record == original  # the fix works on the copy it is given
    assert code not in codes_of(validate_record(fixed, AZURE))
    return fixed


def test_fix_developer_role_becomes_system() -> None:
    value = pair(messages=[{"role": "developer", "content": "Be brief."}, {"role": "user", "content": "Hi"}])
    fixed = _apply_fix(value, UNKNOWN_ROLE)
    assert fixed.context[0] == {"role": "system", "content": "Be brief."}
    assert validate_record(fixed, AZURE) == []


def test_fix_human_and_gpt_aliases() -> None:
    value = pair(messages=[{"role": "human", "content": "Hi"}])
    assert _apply_fix(value, UNKNOWN_ROLE).context[0]["role"] == "user"
    value = pair(preferred_output=[{"role": "gpt", "content": "Hello there."}])
    assert _apply_fix(value, ANSWER_ROLE).preferred[0]["role"] == "assistant"


def test_fix_trailing_copy_of_the_answer() -> None:
    answer = {"role": "assistant", "content": "It ships tomorrow; tracking follows by email."}
    value = pair(messages=[{"role": "user", "content": "Where is order 1234?"}, dict(answer)])
    fixed = _apply_fix(value, LAST_NOT_USER)
    assert fixed.context == [{"role": "user", "content": "Where is order 1234?"}]
    # A trailing assistant turn that is NOT the answer is real context: no mechanical fix.
    other = pair(
        messages=[{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Something else"}]
    )
    finding = next(f for f in check(other) if f.code == LAST_NOT_USER)
    assert finding.fix is None


def test_fix_whitespace_keys_and_flag() -> None:
    fixed = _apply_fix(
        pair(preferred_output=[{"role": "assistant", "content": "  Sure.\n"}]), ANSWER_WHITESPACE
    )
    assert fixed.preferred[0]["content"] == "Sure."
    fixed = _apply_fix(pair(messages=[{"role": "user", "content": "Hi", "ts": 1}]), UNKNOWN_MESSAGE_KEY)
    assert fixed.context[0] == {"role": "user", "content": "Hi"}
    fixed = _apply_fix(pair(tools=[TOOL], parallel_tool_calls="false"), PARALLEL_TOOL_CALLS)
    assert fixed.parallel_tool_calls is False
    empty_system = pair(messages=[{"role": "system", "content": ""}, {"role": "user", "content": "Hi"}])
    fixed = _apply_fix(empty_system, MISSING_CONTENT)
    assert fixed.context == [{"role": "user", "content": "Hi"}]


def test_valid_tool_use_passes() -> None:
    value = pair(
        messages=[
            {"role": "system", "content": "Use tools when needed."},
            {"role": "user", "content": "Status of 1234?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "lookup_order", "arguments": '{"order_id":"1234"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": '{"status":"shipped"}'},
        ],
        tools=[TOOL],
        parallel_tool_calls=False,
    )
    assert check(value, OPENAI) == []


def test_token_limit_uses_the_models_limit() -> None:
    long_text = "word " * 40_000  # about 40k tokens: over gpt-4.1-nano's 32,768, under 65,536
    value = pair(messages=[{"role": "user", "content": long_text}])
    nano = profile_for("azure", "gpt-4.1-nano-2025-04-14")
    findings = check(value, nano)
    assert codes_of(findings) == [TOO_MANY_TOKENS]
    assert "32,768" in findings[0].message
    assert check(value, profile_for("azure", "gpt-4.1-mini-2025-04-14")) == []


# -- whole datasets ------------------------------------------------------------------------------------


def write_jsonl(path: Path, values: list[Any]) -> Path:
    path.write_text("".join(json.dumps(v, ensure_ascii=False) + "\n" for v in values), encoding="utf-8")
    return path


def distinct_pairs(count: int) -> list[dict[str, Any]]:
    return [pair(messages=[{"role": "user", "content": f"Question number {i}?"}]) for i in range(count)]


def test_dataset_clean(tmp_path: Path) -> None:
    dataset = Dataset.open(write_jsonl(tmp_path / "ok.jsonl", distinct_pairs(12)))
    report = validate_dataset(dataset, AZURE)
    assert report.findings == []
    assert report.example_count == 12
    assert report.errors == 0


def test_dataset_too_few_and_duplicates(tmp_path: Path) -> None:
    values = distinct_pairs(3)
    values.append(dict(values[1], metadata={"source": "copy"}))  # same training content, other metadata
    dataset = Dataset.open(write_jsonl(tmp_path / "few.jsonl", values))
    report = validate_dataset(dataset, AZURE)
    assert codes_of(report.findings) == [DUPLICATE, TOO_FEW_EXAMPLES]
    duplicate = report.findings[0]
    assert duplicate.line == 4 and "line 2" in duplicate.message
    assert report.by_entry() == {3: [duplicate]}
    assert report.findings[1].entry is None and "4 example(s)" in report.findings[1].message


def test_dataset_unreadable_lines_are_findings_and_not_examples(tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl"
    lines = [json.dumps(v) for v in distinct_pairs(10)]
    lines.insert(4, '{"input": {"messages": [}')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = validate_dataset(Dataset.open(path), AZURE)
    assert report.example_count == 10
    assert [(f.code, f.line) for f in report.findings] == [("DPO001", 5)]
    assert report.findings[0].column > 0


def test_dataset_overlap_with_validation(tmp_path: Path) -> None:
    train = Dataset.open(write_jsonl(tmp_path / "train.jsonl", distinct_pairs(12)))
    held_out = distinct_pairs(12)[5:7]
    validation = Dataset.open(write_jsonl(tmp_path / "valid.jsonl", held_out))
    report = validate_dataset(train, AZURE, validation=validation)
    overlap = [f for f in report.findings if f.code == TRAIN_VALIDATION_OVERLAP]
    assert [(f.entry, f.line) for f in overlap] == [(5, 6), (6, 7)]
    assert "line 1" in overlap[0].message


def test_dataset_file_size_and_model(tmp_path: Path) -> None:
    dataset = Dataset.open(write_jsonl(tmp_path / "ok.jsonl", distinct_pairs(12)))
    small_limit = dataclasses.replace(AZURE, max_file_bytes=1000)
    report = validate_dataset(dataset, small_limit)
    size = [f for f in report.findings if f.code == FILE_TOO_LARGE]
    assert len(size) == 1 and size[0].severity is Severity.WARNING and "Uploads API" in size[0].message
    assert "over the 1,000 bytes limit" in size[0].message and "up to 9 GB" in size[0].message
    too_big = dataclasses.replace(AZURE, max_file_bytes=100, max_upload_bytes=1000)
    size = [f for f in validate_dataset(dataset, too_big).findings if f.code == FILE_TOO_LARGE]
    assert len(size) == 1 and size[0].severity is Severity.ERROR and "Split it" in size[0].message
    assert OPENAI.max_upload_bytes == 8 * 1024**3 and AZURE.max_upload_bytes == 9 * 1024**3
    report = validate_dataset(dataset, profile_for("azure", "gpt-35-turbo-0125"))
    assert codes_of(report.findings) == [MODEL_WITHOUT_DPO]


def test_dataset_edited_records_are_checked(tmp_path: Path) -> None:
    dataset = Dataset.open(write_jsonl(tmp_path / "ok.jsonl", distinct_pairs(12)))
    record = dataset.record(2)
    record.rejected = [{"role": "assistant", "content": ""}]
    dataset.set_record(2, record)
    report = validate_dataset(dataset, AZURE)
    assert [(f.code, f.entry) for f in report.findings] == [(EMPTY_ANSWER, 2)]


def test_dataset_token_counts_and_progress(tmp_path: Path) -> None:
    dataset = Dataset.open(write_jsonl(tmp_path / "ok.jsonl", distinct_pairs(12)))
    calls: list[tuple[int, int]] = []
    report = validate_dataset(dataset, AZURE, count_tokens=True, progress=lambda d, t: calls.append((d, t)))
    assert set(report.tokens) == set(range(12))
    assert all(20 < tokens < 100 for tokens in report.tokens.values())
    assert calls[-1] == (12, 12)


# -- the fast path is sound ------------------------------------------------------------------------------

_text = st.text(alphabet=st.sampled_from(list("ab \n\tÜ東")), max_size=6)
_roles = st.sampled_from(["system", "user", "assistant", "tool", "developer"])
_message = st.fixed_dictionaries({"role": _roles, "content": st.one_of(_text, st.none())})


@settings(max_examples=300, deadline=None)
@given(
    context=st.lists(_message, max_size=4),
    preferred=st.lists(_message, max_size=2),
    rejected=st.lists(_message, max_size=2),
)
def test_fast_path_never_hides_a_finding(
    context: list[dict[str, Any]], preferred: list[dict[str, Any]], rejected: list[dict[str, Any]]
) -> None:
    record = PreferenceRecord(context=context, preferred=preferred, rejected=rejected)
    # A dummy issue forces the full rule set; the fast path may only skip records it would pass.
    dummy = Issue("DPO099", Severity.INFO, "force the full checks")
    full = [summary(f) for f in validate_record(record, OPENAI, issues=[dummy]) if f.code != "DPO099"]
    if _is_plain_pair(record):
        assert full == []
    assert [summary(f) for f in validate_record(record, OPENAI)] == full


def summary(finding: Finding) -> tuple[str, str, str, str, bool]:
    return finding.code, finding.severity.value, finding.message, finding.field, finding.fix is None


# -- the shared corpus ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["openai_dpo/msfoundry-dpo-chat-preferenceft.jsonl", "openai_dpo/msfoundry-orca-dpo-validation.jsonl"],
)
def test_valid_platform_files_have_no_errors(name: str) -> None:
    report = validate_dataset(Dataset.open(CORPUS / name), AZURE)
    assert report.errors == 0, [f.describe() for f in report.findings][:5]
    assert report.example_count in (12, 284)


def _invalid(name: str, provider: str = "openai") -> tuple[Dataset, list[Finding]]:
    dataset = Dataset.open(CORPUS / "invalid" / name)
    return dataset, validate_dataset(dataset, profile_for(provider)).findings


def test_invalid_bare_message_array() -> None:
    _dataset, findings = _invalid("openpipe-client-bare-message-array.jsonl")
    assert [(f.code, f.line) for f in findings if f.severity is Severity.ERROR] == [
        ("DPO002", 1),
        (TOO_FEW_EXAMPLES, 0),
    ]


def test_invalid_other_keys_file() -> None:
    _dataset, findings = _invalid("minillm-preferred-other-keys.jsonl")
    per_line = {line: {f.code for f in findings if f.line == line} for line in (1, 2)}
    for codes in per_line.values():
        # No DPO prompt and no preferred/rejected answers the platform would recognise.
        assert codes & {"DPO010", "DPO011", "DPO019"}
        assert codes & {"DPO014", "DPO015", ANSWER_COUNT, EMPTY_ANSWER}
    assert TOO_FEW_EXAMPLES in codes_of(findings)


def test_invalid_divergent_multiturn() -> None:
    _dataset, findings = _invalid("minimind-divergent-multiturn.jsonl")
    codes = codes_of(findings)
    assert codes.count("DPO022") == 2  # no shared prompt
    assert codes.count(ANSWER_COUNT) == 4  # three-message answers on both sides of both lines
    assert codes.count(ANSWER_ROLE) == 4  # a user turn inside each answer
    assert all(f.line in (0, 1, 2) for f in findings)


@pytest.mark.parametrize(
    ("name", "examples"),
    [("msfoundry-stock-toolcall-sft.jsonl", 86), ("llamafactory-kto-en-demo-unpaired.jsonl", 300)],
)
def test_invalid_single_answer_files(name: str, examples: int) -> None:
    dataset, findings = _invalid(name)
    errors = [f for f in findings if f.severity is Severity.ERROR]
    # Every example lacks a second (rejected) answer: one error per line at least, none lost.
    lines_with_errors = {f.line for f in errors if f.entry is not None}
    assert len(lines_with_errors) == examples == len(dataset.record_indices())
    assert all(
        {"DPO014", "DPO015", ANSWER_COUNT} & {f.code for f in errors if f.line == line}
        for line in lines_with_errors
    )


# -- reading and checking in one pass gives the same report ------------------------------------------------


def _summaries(findings: list[Finding]) -> list[tuple[str, str, str, int | None, int, int, str]]:
    return [(f.code, f.severity.value, f.message, f.entry, f.line, f.column, f.field) for f in findings]


@pytest.mark.parametrize(
    "path",
    [
        *sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix in (".jsonl", ".json")),
        Path(__file__).resolve().parents[1] / "resources" / "sample" / "sample_dpo.jsonl",
    ],
    ids=lambda p: p.name,
)
def test_open_and_validate_matches_two_passes(path: Path) -> None:
    dataset, report = open_and_validate(path, OPENAI)
    separate = validate_dataset(Dataset.open(path), OPENAI)
    assert _summaries(report.findings) == _summaries(separate.findings)
    assert report.example_count == separate.example_count
    assert dataset.to_bytes() == path.read_bytes()


def test_open_and_validate_edge_lines(tmp_path: Path) -> None:
    path = tmp_path / "edges.jsonl"
    lines = [json.dumps(v).encode() for v in distinct_pairs(10)]
    body = b"\xef\xbb\xbf" + b"\r\n".join([lines[0], b"", b"{broken", *lines[1:], lines[3]]) + b"\r"
    path.write_bytes(body)
    calls: list[tuple[int, int]] = []
    dataset, report = open_and_validate(path, AZURE, progress=lambda d, t: calls.append((d, t)))
    separate = validate_dataset(Dataset.open(path), AZURE)
    assert _summaries(report.findings) == _summaries(separate.findings)
    assert report.example_count == separate.example_count
    assert calls[-1][0] == calls[-1][1] == len(dataset.entries)


_role = st.sampled_from(["system", "user", "assistant", "tool", "developer", 7])
_content = st.one_of(
    st.text(alphabet=st.sampled_from(list("ab \n東")), max_size=4), st.none(), st.just(["x"])
)
_json_message = st.one_of(
    st.fixed_dictionaries({"role": _role, "content": _content}),
    st.fixed_dictionaries({"role": _role, "content": _content, "name": st.just("n")}),
    st.just("not a message"),
)
_tools = st.one_of(st.none(), st.just([TOOL]), st.just([{"type": "function"}]), st.just("tools"))
_answer = st.one_of(
    st.lists(_json_message, max_size=2), st.just({"role": "assistant", "content": "x"}), st.none()
)


@settings(max_examples=400, deadline=None)
@given(
    messages=st.one_of(st.lists(_json_message, max_size=4), st.just("text")),
    tools=_tools,
    parallel=st.sampled_from([None, True, "true"]),
    preferred=_answer,
    rejected=_answer,
    metadata=st.sampled_from([None, {"k": 1}, "meta"]),
)
def test_openai_fast_path_agrees_with_the_full_rules(
    messages: Any, tools: Any, parallel: Any, preferred: Any, rejected: Any, metadata: Any
) -> None:
    from dpo_studio.core.validation import _example_key, _plain_openai_key

    source: dict[str, Any] = {"messages": messages}
    if tools is not None:
        source["tools"] = tools
    if parallel is not None:
        source["parallel_tool_calls"] = parallel
    value: dict[str, Any] = {"input": source}
    if preferred is not None:
        value["preferred_output"] = preferred
    if rejected is not None:
        value["non_preferred_output"] = rejected
    if metadata is not None:
        value["metadata"] = metadata
    key = _plain_openai_key(value, 100, OPENAI.token_limit)
    record, issues = get_dialect("openai_dpo").parse(value)
    full = validate_record(record, OPENAI, issues=issues, source_size=100)
    if key is not None:
        assert full == []
        assert key == _example_key(record)
    # And a clean full check of a plain-shaped object means the fast path took it.
    if not full and _is_plain_pair(record) and not issues:
        assert key is not None
