"""Blind evaluation generation time against the local API server, one request at a time vs four at once.

``python -m tests.benchmarks.bench_evaluation`` (add ``--prompts N``, ``--latency SECONDS``)

The server answers every chat request after ``--latency`` seconds (its "slow" fault: a stand-in for a hosted
model's time to answer); the real openai SDK generates both models' answers for N prompts through
:func:`dpo_studio.services.evaluation.generate_comparisons`. Printed: wall time per worker count and the
speed-up, plus the Wilson interval computation time for 10,000 verdicts.
"""

from __future__ import annotations

import argparse
import time
from typing import Any


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prompts", type=int, default=30)
    parser.add_argument("--latency", type=float, default=0.2)
    args = parser.parse_args(argv)

    from dpo_studio.core.records import PreferenceRecord
    from dpo_studio.core.winrate import win_rate
    from dpo_studio.services.connections import ProviderKind, new_profile
    from dpo_studio.services.evaluation import ModelSide, generate_comparisons, select_prompts
    from dpo_studio.services.generation import ChatGenerator
    from dpo_studio.services.providers.traits import build_client
    from tests.apiserver.server import ApiServer

    server = ApiServer(style="openai", validate=False).start()
    try:

        def respond(model: str, messages: list[dict[str, Any]], index: int) -> str:
            return f"{model} answers {messages[-1]['content']}"

        server.chat_responder = respond
        # A "slow" fault waits outside the server's lock, like a hosted model thinking in parallel.
        server.faults.add("POST", r"^/chat/completions$", "slow", delay=args.latency, times=10_000)
        profile = new_profile("bench", ProviderKind.CUSTOM, server.base_url)
        generator = ChatGenerator(build_client(profile, api_key=server.api_key), ProviderKind.CUSTOM)
        records = [
            (i, PreferenceRecord(context=[{"role": "user", "content": f"Question {i}"}], split="validation"))
            for i in range(args.prompts)
        ]
        prompts = select_prompts(records, limit=args.prompts).prompts
        sides = (ModelSide("gpt-4.1-mini-2025-04-14"), ModelSide("gpt-4o-2024-08-06"))
        timings = {}
        for workers in (1, 4):
            started = time.perf_counter()
            generate_comparisons(prompts, *sides, generator, seed=1, workers=workers)
            timings[workers] = time.perf_counter() - started
            print(
                f"{args.prompts} prompts x 2 models, {args.latency * 1000:.0f} ms per answer, "
                f"{workers} at once: {timings[workers]:.2f} s"
            )
        print(f"speed-up with 4 at once: {timings[1] / timings[4]:.1f}x")
    finally:
        server.stop()

    verdicts = ["a", "b", "tie"] * 3334
    started = time.perf_counter()
    intervals = [win_rate(verdicts).interval for _ in range(100)]
    per_call = (time.perf_counter() - started) * 10
    low = intervals[0][0]
    print(f"win rate + Wilson interval over {len(verdicts)} verdicts: {per_call:.2f} ms (low {low:.3f})")


if __name__ == "__main__":
    main()
