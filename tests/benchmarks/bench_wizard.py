"""What the job wizard's background work costs on big datasets (prints numbers; no asserts).

    .venv/bin/python -m tests.benchmarks.bench_wizard            # 10k and 100k pairs
    .venv/bin/python -m tests.benchmarks.bench_wizard 20000      # one size

For each size: the training page's check (read + validate with the model's limits + count tokens + length
bias + content hash, :func:`dpo_studio.ui.wizard.common.load_local_data`), the validation page's grouped
split, making the upload bytes (DPO JSONL of the training part, the validation part and the SFT file), the
review page's cost from the counted totals, and the upload of the training file to the local API server
(Files API below 512 MB). All of it runs off the GUI thread in the app; these are wall times on a shared
machine (best of ``REPEATS``).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPEATS = 2


def best(fn: Callable[[], Any], repeats: int = REPEATS) -> tuple[float, Any]:
    """Best wall time of ``repeats`` runs and the last result."""
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times), result


def run(count: int, folder: Path) -> None:
    """Measure one size."""
    from dpo_studio.core.training_data import dpo_upload, grouped_split, sft_upload
    from dpo_studio.services.connections import ProviderKind, new_profile
    from dpo_studio.services.jobplan import plan_cost_from_totals, validation_profile
    from dpo_studio.services.providers import ProviderOptions, TrainingType, open_provider
    from dpo_studio.ui.wizard.common import load_local_data
    from tests.apiserver.server import ApiServer
    from tests.benchmarks.synthetic import cached_synthetic

    path = cached_synthetic(count, folder)
    size = path.stat().st_size
    profile = validation_profile(ProviderKind.AZURE_OPENAI, "gpt-4.1-mini-2025-04-14")
    check_time, data = best(lambda: load_local_data(profile, path=path))
    split_time, (train, validation) = best(lambda: grouped_split(data.dataset, 0.1, 42))
    upload_time, uploads = best(
        lambda: (
            dpo_upload(data.dataset, train, "train.jsonl"),
            dpo_upload(data.dataset, validation, "validation.jsonl"),
            sft_upload(data.dataset, train, "sft.jsonl"),
        )
    )
    cost_time, cost = best(
        lambda: plan_cost_from_totals(
            data.tokens,
            kind=ProviderKind.AZURE_OPENAI,
            model="gpt-4.1-mini-2025-04-14",
            training_type=TrainingType.STANDARD,
            n_epochs=None,
            sft_first=True,
        )
    )
    training_file = folder / f"train-{count}.jsonl"
    training_file.write_bytes(uploads[0].data)
    with ApiServer(style="azure") as server:
        connection = new_profile("bench", ProviderKind.AZURE_OPENAI, server.base_url)
        provider = open_provider(
            connection, api_key=server.api_key, options=ProviderOptions(poll_interval=0.01)
        )
        send_time, _remote = best(lambda: provider.upload_training_file(training_file), 1)
    megabytes = size / 1024 / 1024
    print(
        f"{count:,} pairs ({megabytes:,.1f} MB, {data.report.example_count:,} examples, "
        f"{data.report.errors} errors)"
    )
    print(f"  training page check (validate + tokens + bias + hash): {check_time:6.2f} s")
    print(f"  grouped split 10% (validation page, in the background): {split_time:6.2f} s")
    print(f"  upload bytes (train, validation, SFT JSONL):           {upload_time:6.2f} s")
    print(
        f"  cost from counted totals:                              {cost_time * 1000:6.2f} ms  "
        f"({cost.lines()[0]})"
    )
    train_mb = len(uploads[0].data) / 1024 / 1024
    print(f"  upload of the training file ({train_mb:,.1f} MB) to the local server: {send_time:6.2f} s")


def main(argv: list[str]) -> None:
    """Run the sizes given (default 10k and 100k)."""
    sizes = [int(a) for a in argv] or [10_000, 100_000]
    with tempfile.TemporaryDirectory(prefix="bench-wizard-") as folder:
        for count in sizes:
            run(count, Path(folder))


if __name__ == "__main__":
    main(sys.argv[1:])
