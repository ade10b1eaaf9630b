"""``python -m doctor.sandbox [--port N] [--no-seed]``: serve the sandbox AWS over HTTP."""

from __future__ import annotations

import argparse
import sys

from doctor.sandbox.server import serve_forever


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m doctor.sandbox",
        description="Serve a fake AWS (moto plus Systems Manager extensions) on 127.0.0.1, "
        "seeded with the demo fleet. Prints one JSON line, then runs until interrupted.",
    )
    parser.add_argument("--port", type=int, default=5055, help="port (0: any free port)")
    parser.add_argument("--no-seed", action="store_true", help="start empty")
    args = parser.parse_args(argv)
    try:
        serve_forever(args.port, seed_fleet=not args.no_seed)
    except OSError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
