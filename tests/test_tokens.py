"""Token counting: the right tokenizer per model, the chat-format convention, and no network needed."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dpo_studio.core.records import PreferenceRecord
from dpo_studio.core.tokens import (
    CL100K,
    O200K,
    RecordTokens,
    count_dataset_tokens,
    count_record_tokens,
    encoding_name_for,
    example_token_limit,
    get_encoding,
    prepare_rank_file,
    record_tokens,
    tokenizer_folder,
    upper_bound_tokens,
)
from tests.conftest import REPO


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gpt-4o-2024-08-06", O200K),
        ("gpt-4o-mini-2024-07-18", O200K),
        ("gpt-4.1-2025-04-14", O200K),
        ("gpt-4.1-mini-2025-04-14", O200K),
        ("gpt-4.1-nano-2025-04-14", O200K),
        ("ft:gpt-4o-mini-2024-07-18:org:suffix:abc123", O200K),
        ("gpt-4.1-2025-04-14.ft-0123456789abcdef", O200K),
        ("GPT-4.1-MINI", O200K),
        ("gpt-3.5-turbo-0125", CL100K),
        ("gpt-4-0613", CL100K),
        ("babbage-002", CL100K),
        ("some-future-model", CL100K),
    ],
)
def test_encoding_per_model(model: str, expected: str) -> None:
    assert encoding_name_for(model) == expected


def test_example_limits() -> None:
    assert example_token_limit("gpt-4.1-mini-2025-04-14") == 65_536
    assert example_token_limit("gpt-4o-2024-08-06") == 65_536
    assert example_token_limit("gpt-4.1-nano-2025-04-14") == 32_768
    assert example_token_limit("ft:gpt-4.1-nano-2025-04-14:org::x") == 32_768
    assert example_token_limit("gpt-3.5-turbo-0125") == 16_385


def test_bundled_files_give_the_published_token_ids(tmp_path: Path) -> None:
    # Token ids published for these encodings (tiktoken README / OpenAI tokenizer page).
    assert get_encoding(CL100K).encode_ordinary("hello world") == [15339, 1917]
    assert get_encoding(O200K).encode_ordinary("hello world") == [24912, 2375]
    # The unpacked files sit under tiktoken's cache names and carry the SHA-256 it checks.
    for name, url, sha256 in (
        (
            O200K,
            "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
            "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        ),
        (
            CL100K,
            "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
            "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        ),
    ):
        cached = prepare_rank_file(name, tmp_path)
        assert cached == tmp_path / hashlib.sha1(url.encode()).hexdigest()
        assert hashlib.sha256(cached.read_bytes()).hexdigest() == sha256
    assert tokenizer_folder().is_relative_to(Path(os.environ["DPO_STUDIO_HOME"]))


def test_damaged_cache_file_is_replaced(tmp_path: Path) -> None:
    target = prepare_rank_file(CL100K, tmp_path)
    good = target.read_bytes()
    target.write_bytes(b"garbage")
    again = prepare_rank_file(CL100K, tmp_path)
    assert again == target
    assert target.read_bytes() == good


def _cookbook_count(messages: list[dict[str, str]], encoding_name: str) -> int:
    """OpenAI cookbook's num_tokens_from_messages (tokens_per_message=3, tokens_per_name=1, +3)."""
    encoding = get_encoding(encoding_name)
    total = 0
    for message in messages:
        total += 3
        for key, value in message.items():
            total += len(encoding.encode(value))
            if key == "name":
                total += 1
    return total + 3


def test_chat_format_matches_the_cookbook_convention() -> None:
    context = [
        {"role": "system", "content": "You are a concise support agent for Contoso."},
        {"role": "user", "content": "Where is my parcel? Order #4411, shipped to Zürich.", "name": "anna"},
    ]
    preferred = [{"role": "assistant", "content": "It left our warehouse today; expect it Thursday."}]
    rejected = [{"role": "assistant", "content": "I don't know."}]
    record = PreferenceRecord(context=context, preferred=preferred, rejected=rejected)
    tokens = record_tokens(record, "gpt-4.1-mini-2025-04-14")
    # The prompt is counted like the cookbook counts a conversation (which primes the reply with +3).
    assert tokens.prompt == _cookbook_count(context, O200K)
    # An answer is one more message: 3 framing tokens + role + content.
    assert tokens.preferred == _cookbook_count(context + preferred, O200K) - tokens.prompt
    assert tokens.rejected == _cookbook_count(context + rejected, O200K) - tokens.prompt
    assert count_record_tokens(record, "gpt-4.1-mini-2025-04-14") == tokens.prompt + tokens.preferred
    assert tokens.billed_low == tokens.prompt + tokens.preferred + tokens.rejected
    assert tokens.billed_high == 2 * tokens.prompt + tokens.preferred + tokens.rejected
    # cl100k splits this text differently, so the same record counts differently on gpt-3.5.
    assert record_tokens(record, "gpt-3.5-turbo-0125").prompt == _cookbook_count(context, CL100K)


def test_tools_and_tool_calls_are_counted() -> None:
    plain = PreferenceRecord(
        context=[{"role": "user", "content": "Status of order 42?"}],
        preferred=[{"role": "assistant", "content": "Let me check."}],
        rejected=[{"role": "assistant", "content": "No idea."}],
    )
    with_tools = plain.clone()
    with_tools.tools = [{"type": "function", "function": {"name": "lookup_order", "parameters": {}}}]
    with_tools.preferred = [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "lookup_order", "arguments": '{"id":42}'},
                }
            ],
        }
    ]
    base = record_tokens(plain, "gpt-4o-2024-08-06")
    tooled = record_tokens(with_tools, "gpt-4o-2024-08-06")
    assert tooled.prompt > base.prompt
    assert tooled.preferred > 3 + 1  # framing + role at least, plus the call
    assert tooled.rejected == base.rejected


def test_special_token_text_is_counted_as_text() -> None:
    record = PreferenceRecord(
        context=[{"role": "user", "content": "What does <|endoftext|> mean?"}],
        preferred=[{"role": "assistant", "content": "It marks the end of a document."}],
        rejected=[{"role": "assistant", "content": "<|endoftext|>"}],
    )
    assert count_record_tokens(record, "gpt-4.1-2025-04-14") > 10


def test_dataset_totals_and_limit() -> None:
    short = PreferenceRecord(
        context=[{"role": "user", "content": "hi"}],
        preferred=[{"role": "assistant", "content": "hello"}],
        rejected=[{"role": "assistant", "content": "yo"}],
    )
    # "a " is one token per repetition in o200k: about 40k tokens, over the nano limit of 32,768.
    long_text = "a " * 40_000
    long = PreferenceRecord(
        context=[{"role": "user", "content": long_text}],
        preferred=[{"role": "assistant", "content": "ok"}],
        rejected=[{"role": "assistant", "content": "no"}],
    )
    per_entry, totals = count_dataset_tokens([(0, short), (3, long)], "gpt-4.1-nano-2025-04-14")
    assert set(per_entry) == {0, 3}
    assert totals.examples == 2
    assert list(totals.over_limit) == [3]
    assert totals.longest == per_entry[3].longest > 32_768
    # Billing caps each trained sequence at the limit.
    assert totals.billed_high == per_entry[0].billed_high + 2 * 32_768
    assert totals.billed_low == per_entry[0].billed_low + 32_768
    _uncapped, raw = count_dataset_tokens(
        [(0, short), (3, long)], "gpt-4.1-nano-2025-04-14", cap_at_limit=False
    )
    assert raw.billed_high == per_entry[0].billed_high + per_entry[3].billed_high


_texts = st.text(alphabet=st.characters(codec="utf-8"), max_size=200)


@settings(max_examples=60, deadline=None)
@given(prompt=_texts, good=_texts, bad=_texts, system=st.one_of(st.none(), _texts))
def test_upper_bound_never_undercounts(prompt: str, good: str, bad: str, system: str | None) -> None:
    context = [{"role": "system", "content": system}] if system is not None else []
    context.append({"role": "user", "content": prompt})
    record = PreferenceRecord(
        context=context,
        preferred=[{"role": "assistant", "content": good}],
        rejected=[{"role": "assistant", "content": bad}],
    )
    for model in ("gpt-4.1-mini-2025-04-14", "gpt-3.5-turbo"):
        assert upper_bound_tokens(record) >= count_record_tokens(record, model)


def test_record_tokens_is_a_value() -> None:
    assert RecordTokens(5, 2, 7).longest == 12


_OFFLINE_SITECUSTOMIZE = """
import socket

def _refuse(*args, **kwargs):
    raise OSError("network disabled for this test")

socket.socket.connect = _refuse
socket.socket.connect_ex = _refuse
socket.create_connection = _refuse
socket.getaddrinfo = _refuse
"""

_OFFLINE_SCRIPT = """
import json, os, sys
from dpo_studio.core.records import PreferenceRecord
from dpo_studio.core.tokens import count_record_tokens, tokenizer_folder
record = PreferenceRecord(
    context=[{"role": "user", "content": "Wie kalt ist es heute in Zürich?"}],
    preferred=[{"role": "assistant", "content": "Etwa 3 °C am Morgen, mittags 8 °C."}],
    rejected=[{"role": "assistant", "content": "Kalt."}],
)
print(json.dumps({
    "o200k": count_record_tokens(record, "gpt-4.1-mini-2025-04-14"),
    "cl100k": count_record_tokens(record, "gpt-3.5-turbo-0125"),
    "folder": str(tokenizer_folder()),
    "tiktoken_env": os.environ.get("TIKTOKEN_CACHE_DIR"),
}))
"""


def _run_offline(tmp_path: Path, use_unshare: bool) -> dict[str, object]:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(_OFFLINE_SITECUSTOMIZE)
    home = tmp_path / "home"
    empty_tiktoken = tmp_path / "tiktoken-empty"
    empty_tiktoken.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join([str(site), str(REPO)]),
        "DPO_STUDIO_HOME": str(home),
        # An empty cache tiktoken would normally try to fill from the internet.
        "TIKTOKEN_CACHE_DIR": str(empty_tiktoken),
        "HOME": str(tmp_path),
    }
    command = [sys.executable, "-c", textwrap.dedent(_OFFLINE_SCRIPT)]
    if use_unshare:
        command = ["unshare", "-rn", *command]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    assert Path(str(data["folder"])).is_relative_to(home)
    assert data["tiktoken_env"] == str(empty_tiktoken)  # restored after loading
    assert not any(empty_tiktoken.iterdir())
    return data


def test_counting_works_with_networking_disabled(tmp_path: Path) -> None:
    data = _run_offline(tmp_path, use_unshare=False)
    assert isinstance(data["o200k"], int) and data["o200k"] > 10
    assert isinstance(data["cl100k"], int) and data["cl100k"] > 10


def _unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True, check=False)
    return probe.returncode == 0


@pytest.mark.skipif(not _unshare_works(), reason="user namespaces (unshare -rn) are not available here")
def test_counting_works_in_a_network_namespace_without_interfaces(tmp_path: Path) -> None:
    data = _run_offline(tmp_path, use_unshare=True)
    in_process = count_record_tokens(
        PreferenceRecord(
            context=[{"role": "user", "content": "Wie kalt ist es heute in Zürich?"}],
            preferred=[{"role": "assistant", "content": "Etwa 3 °C am Morgen, mittags 8 °C."}],
            rejected=[{"role": "assistant", "content": "Kalt."}],
        ),
        "gpt-4.1-mini-2025-04-14",
    )
    assert data["o200k"] == in_process


def test_upper_bound_with_lone_surrogates_and_emoji() -> None:
    record = PreferenceRecord(
        context=[{"role": "user", "content": "\ud800" * 20 + "🙂" * 30 + "東京データ" * 10}],
        preferred=[{"role": "assistant", "content": "\udfff x \ud83d"}],
        rejected=[{"role": "assistant", "content": "🙂"}],
    )
    for model in ("gpt-4o-2024-08-06", "gpt-3.5-turbo"):
        assert 0 < count_record_tokens(record, model) <= upper_bound_tokens(record)


def test_the_tokenizer_keeps_no_python_copy_of_its_rank_table() -> None:
    """tiktoken keeps the 200k-entry rank table as Python objects (~30 MB) besides its Rust copy."""
    import gc
    import tracemalloc

    from dpo_studio.core import tokens

    tokens._encodings.pop(tokens.O200K, None)
    gc.collect()
    tracemalloc.start()
    try:
        encoding = tokens.get_encoding(tokens.O200K)
        gc.collect()
        held, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held < 5_000_000, held
    assert encoding.encode_ordinary("Hello world") == [13225, 2375]
    assert tokens.get_encoding(tokens.O200K) is encoding
