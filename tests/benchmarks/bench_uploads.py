"""Upload throughput of the provider layer against the local API server (prints numbers, asserts nothing).

.venv/bin/python -m tests.benchmarks.bench_uploads [MEGABYTES]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from dpo_studio.services.connections import ProviderKind, new_profile
from dpo_studio.services.providers import ProviderOptions, open_provider
from tests.apiserver.server import ApiServer


def main(megabytes: int = 64) -> None:
    """Upload one file of about ``megabytes`` through the Files API and through the Uploads API."""
    server = ApiServer(style="openai", validate=False).start()
    try:
        path = Path(tempfile.mkdtemp(prefix="dpo-bench-")) / "big.jsonl"
        record = {
            "input": {"messages": [{"role": "user", "content": "x" * 900}]},
            "preferred_output": [{"role": "assistant", "content": "a"}],
            "non_preferred_output": [{"role": "assistant", "content": "b"}],
        }
        line = json.dumps(record) + "\n"
        with path.open("w", encoding="utf-8") as handle:
            for _ in range(megabytes * 1024 * 1024 // len(line)):
                handle.write(line)
        size = path.stat().st_size
        profile = new_profile("bench", ProviderKind.CUSTOM, server.base_url)
        runs = {
            "Files API": ProviderOptions(poll_interval=0.01),
            "Uploads API, 8 MB parts": ProviderOptions(
                poll_interval=0.01, files_api_limit=1, part_size=8 << 20
            ),
        }
        for label, options in runs.items():
            provider = open_provider(profile, api_key=server.api_key, options=options)
            callbacks = 0

            def progress(done: int, total: int, text: str) -> None:
                nonlocal callbacks
                callbacks += 1

            started = time.perf_counter()
            provider.upload_training_file(path, progress=progress)
            elapsed = time.perf_counter() - started
            print(
                f"{label}: {size / 1e6:.1f} MB in {elapsed:.2f} s = {size / 1e6 / elapsed:.0f} MB/s, "
                f"{callbacks} progress callbacks"
            )
        path.unlink()
    finally:
        server.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 64)
