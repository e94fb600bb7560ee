"""Run the local API server by hand so a person can point DPO Studio at it.

    python -m tests.apiserver --style azure --port 8765 --tick 2

The base URL and a freshly generated key are printed to this terminal only (never written anywhere).
With --tick, every unfinished job advances one step every N seconds so runs can be watched live.
"""

from __future__ import annotations

import argparse
import threading

from .server import ApiServer


def main(argv: list[str] | None = None) -> int:
    """Start the server in the foreground until Ctrl+C."""
    parser = argparse.ArgumentParser(prog="python -m tests.apiserver", description=__doc__.split("\n\n")[0])
    parser.add_argument("--style", choices=["openai", "azure"], default="openai")
    parser.add_argument(
        "--host", default="127.0.0.1", help="loopback only unless you know why (default %(default)s)"
    )
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument(
        "--tick", type=float, default=1.0, help="seconds between job steps; 0 = never advance"
    )
    parser.add_argument(
        "--no-training-type-check",
        action="store_true",
        help="Azure: accept job creation without trainingType",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request line")
    args = parser.parse_args(argv)

    server = ApiServer(
        style=args.style,
        host=args.host,
        port=args.port,
        verbose=args.verbose,
        require_training_type=not args.no_training_type_check,
    ).start()
    print(f"DPO Studio test API ({args.style} style) listening.")
    if args.style == "openai":
        print(f"  base URL : {server.base_url}")
        print(f"  API key  : {server.api_key}")
    else:
        print(f"  endpoint (Azure OpenAI resource) : {server.base_url}")
        print(f"  api-key                          : {server.api_key}")
        print(f"  v1 route                         : {server.azure_v1_base_url}")
        print(f"  Foundry project endpoint         : {server.project_endpoint()}")
        print("  api-version                      : 2025-04-01-preview (classic route)")
    print("Press Ctrl+C to stop.", flush=True)
    stop = threading.Event()
    try:
        while not stop.wait(args.tick if args.tick > 0 else 3600):
            if args.tick > 0:
                server.advance()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
