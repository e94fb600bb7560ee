"""Speed and memory of the core on synthetic DPO files of 10k and 100k pairs (prints numbers; no asserts).

    .venv/bin/python -m tests.benchmarks.bench_core            # 10k and 100k pairs
    .venv/bin/python -m tests.benchmarks.bench_core 10000      # one size

For each size, in fresh subprocesses (so one measurement cannot warm or bloat another):

* **open + validate**: ``Dataset.open`` (detection, line split, JSON check) + ``validate_dataset``
  (every rule); its floor is a bare loop of ``orjson.loads`` over the same lines.
* **token count**: ``count_dataset_tokens`` over the already-parsed records (chat format, both answers);
  its floor is bare ``encode_ordinary`` of exactly the texts it tokenizes, in one loop.
* **save**: writing the untouched file back (byte copy of each line) and writing it with every record
  re-serialised (as OpenPipe JSONL), both atomically.
* **peak RSS** of a process that only imports, opens and validates, against the file size.

Times are the best CPU time of ``REPEATS`` runs in the same process (the machine is shared: CPU time
is far less disturbed by other work than wall time), measured the same way for the floors; the
100k "under 10 s" target uses the best wall time. Targets: open + validate ≤ 3× the parse
floor, token counting ≤ 1.5× bare tiktoken, peak memory ≤ 3× the file size, 100k pairs open and
validate in under 10 s.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
REPEATS = 3
SIZES = (10_000, 100_000)


#: Wall-clock times of the last :func:`_best` call (the 100k target is in seconds of waiting).
WALL: dict[str, float] = {}


def _best(function: Callable[[], Any], repeats: int = REPEATS, name: str = "") -> float:
    """Best CPU time of ``repeats`` runs (and the best wall time, kept in :data:`WALL` under ``name``).

    CPU time is what the ratios use: on a machine shared with other work, wall time mostly measures
    the neighbours. The wall time is kept for the absolute "under 10 s" target.
    """
    best = wall = float("inf")
    for _ in range(repeats):
        start, start_wall = time.process_time(), time.perf_counter()
        function()
        best = min(best, time.process_time() - start)
        wall = min(wall, time.perf_counter() - start_wall)
    if name:
        WALL[name] = wall
    return best


def measure_times(path: Path) -> dict[str, float]:
    """Run in a child process: every timing for one file."""
    import orjson

    from dpo_studio.core.atomicfile import atomic_write_bytes
    from dpo_studio.core.dataset import Dataset
    from dpo_studio.core.dialects import get_dialect
    from dpo_studio.core.tokens import count_dataset_tokens, encoding_for_model, messages_texts, prompt_texts
    from dpo_studio.core.validation import open_and_validate, profile_for, validate_dataset

    model = "gpt-4.1-mini-2025-04-14"
    profile = profile_for("azure", model)
    data = path.read_bytes()

    def parse_floor() -> None:
        loads = orjson.loads
        for line in data.split(b"\n"):
            if line:
                loads(line)

    findings: list[int] = []

    def one_pass() -> None:
        _dataset, report = open_and_validate(path, profile)
        findings.append(len(report.findings))

    def two_passes() -> None:
        validate_dataset(Dataset.open(path), profile)

    results = {"parse_floor": _best(parse_floor), "open_validate": _best(one_pass, name="open_validate")}
    results["open_validate_wall"] = WALL["open_validate"]
    results["open_only"] = _best(lambda: Dataset.open(path))
    results["open_then_validate"] = _best(two_passes)
    results["findings"] = findings[-1]

    dataset = Dataset.open(path)
    records = list(dataset.iter_records())
    texts: list[str] = []
    for _index, record in records:
        prompt_texts(record, texts)
        messages_texts(record.preferred, texts)
        messages_texts(record.rejected, texts)
    encode = encoding_for_model(model).encode_ordinary

    def tiktoken_floor() -> None:
        for text in texts:
            encode(text)

    totals: list[int] = []

    def count_tokens() -> None:
        _per_entry, file_tokens = count_dataset_tokens(records, model)
        totals.append(file_tokens.billed_high)

    encode("warm up")
    results["tiktoken_floor"] = _best(tiktoken_floor)
    results["token_count"] = _best(count_tokens)
    results["billed_tokens_high"] = totals[-1]

    with tempfile.TemporaryDirectory(dir=path.parent) as folder:
        target = Path(folder) / "saved.jsonl"
        results["save_native"] = _best(lambda: atomic_write_bytes(target, dataset.to_bytes()))
        assert target.read_bytes() == data, "an untouched file must be written back byte for byte"
        openpipe = get_dialect("openpipe")
        results["save_converted"] = _best(lambda: atomic_write_bytes(target, dataset.to_bytes(openpipe)))
    return results


def measure_memory(path: Path) -> dict[str, float]:
    """Run in a child process: peak RSS of opening and validating one file."""
    import resource

    from dpo_studio.core.validation import open_and_validate, profile_for

    profile = profile_for()
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    _dataset, report = open_and_validate(path, profile)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"baseline_rss": baseline, "peak_rss": peak, "examples": report.example_count}


def _child(mode: str, path: Path) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.setdefault("DPO_STUDIO_HOME", str(REPO / "bench-data" / "home"))
    output = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.bench_core", f"--child-{mode}", str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    result: dict[str, Any] = json.loads(output.stdout.strip().splitlines()[-1])
    return result


def _verdict(ok: bool) -> str:
    return "meets target" if ok else "MISSES target"


def bench(count: int) -> dict[str, Any]:
    """Measure one size and print the results."""
    from tests.benchmarks.synthetic import cached_synthetic

    path = cached_synthetic(count)
    size = path.stat().st_size
    times = _child("times", path)
    memory = _child("memory", path)
    mb = size / 1024 / 1024
    parse_ratio = times["open_validate"] / times["parse_floor"]
    token_ratio = times["token_count"] / times["tiktoken_floor"]
    memory_ratio = memory["peak_rss"] / size
    net_ratio = (memory["peak_rss"] - memory["baseline_rss"]) / size
    print(f"\n{count:,} pairs — {path.name}, {mb:,.1f} MB")
    print(f"  parse floor (orjson loop)      {times['parse_floor']:7.2f} s CPU")
    print(
        f"  open + validate                {times['open_validate']:7.2f} s CPU = {parse_ratio:.2f}× floor "
        f"({times['open_validate_wall']:.2f} s wall) "
        f"[≤ 3×: {_verdict(parse_ratio <= 3)}]"
    )
    print(
        f"    (one pass, open_and_validate; open alone {times['open_only']:.2f} s; Dataset.open then "
        f"validate_dataset {times['open_then_validate']:.2f} s; {times['findings']} findings)"
    )
    if count >= 100_000:
        print(f"  100k open + validate < 10 s    {_verdict(times['open_validate_wall'] < 10)} (wall clock)")
    print(f"  tiktoken floor (encode loop)   {times['tiktoken_floor']:7.2f} s CPU")
    print(
        f"  token count                    {times['token_count']:7.2f} s CPU = {token_ratio:.2f}× floor "
        f"({times['billed_tokens_high']:,} billed tokens, upper bound)  "
        f"[≤ 1.5×: {_verdict(token_ratio <= 1.5)}]"
    )
    print(f"  save, untouched (byte copy)    {times['save_native']:7.2f} s CPU")
    print(f"  save, every record re-written  {times['save_converted']:7.2f} s CPU (as OpenPipe JSONL)")
    print(
        f"  peak RSS open + validate       {memory['peak_rss'] / 1024 / 1024:7.0f} MB = "
        f"{memory_ratio:.2f}× file [≤ 3×: {_verdict(memory_ratio <= 3)}]; without the interpreter and "
        f"imports ({memory['baseline_rss'] / 1024 / 1024:.0f} MB) {net_ratio:.2f}× file"
    )
    return {"pairs": count, "file_bytes": size, **times, **memory}


def main(argv: list[str]) -> int:
    """Benchmark the sizes given (default 10k and 100k), or run one child measurement."""
    if argv and argv[0].startswith("--child-"):
        mode = argv[0].removeprefix("--child-")
        measure = measure_times if mode == "times" else measure_memory
        print(json.dumps(measure(Path(argv[1]))))
        return 0
    sizes = [int(arg) for arg in argv] or list(SIZES)
    cpus = os.cpu_count()
    print(f"DPO Studio core benchmark — Python {sys.version.split()[0]}, {cpus} CPU(s), best of {REPEATS}")
    for count in sizes:
        bench(count)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
