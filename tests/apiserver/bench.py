"""Print how fast the local API server is (no assertions): python -m tests.apiserver.bench"""

from __future__ import annotations

import io
import time

import openai

from .samples import dpo_jsonl
from .server import ApiServer
from .spec import load_spec


def main() -> None:
    """Spec load, start-up, request rate through the SDK, and a 20,000-step job's events."""
    started = time.perf_counter()
    load_spec()
    print(f"spec parsed and normalised: {time.perf_counter() - started:.2f} s (once per process)")
    started = time.perf_counter()
    server = ApiServer().start()
    print(f"server start (validator built): {time.perf_counter() - started:.2f} s")
    client = openai.OpenAI(base_url=server.base_url, api_key=server.api_key, max_retries=0)
    try:
        count, started = 300, time.perf_counter()
        for _ in range(count):
            client.models.list()
        print(f"GET /models, validated both ways: {count / (time.perf_counter() - started):.0f} requests/s")
        data = dpo_jsonl(20_000)
        training = client.files.create(file=("big.jsonl", io.BytesIO(data)), purpose="fine-tune").id
        job = client.fine_tuning.jobs.create(
            model="gpt-4.1-mini-2025-04-14",
            training_file=training,
            method={"type": "dpo", "dpo": {"hyperparameters": {"n_epochs": 1, "batch_size": 1}}},
        )
        started = time.perf_counter()
        server.run_to_completion(job.id)
        print(f"20,000-step job run to completion: {time.perf_counter() - started:.2f} s")
        started = time.perf_counter()
        events = list(client.fine_tuning.jobs.list_events(job.id, limit=1000))
        elapsed = time.perf_counter() - started
        print(f"listed {len(events)} events in pages of 1000: {elapsed:.2f} s")
        print(f"spec violations: {len(server.violations)}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
