"""`python -m bench [all | fanout | ack | tick | digest] [options]`: run, print, write JSON."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from bench.common import pg_reachable, write_result


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    root.add_argument("which", choices=["all", "fanout", "ack", "tick", "digest"], nargs="?")
    root.add_argument("--people", type=int, default=10_000, help="fan-out size (10,000)")
    root.add_argument(
        "--fanout-db", choices=["postgresql", "sqlite"], help="default: PostgreSQL if reachable"
    )
    root.add_argument("--requests", type=int, default=2_000, help="ack latency: requests each")
    root.add_argument("--concurrency", type=int, default=32, help="ack latency: at once")
    root.add_argument("--skip-kills", action="store_true", help="fan-out: only the plain run")
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    which = args.which or "all"
    dbs = ["sqlite", "postgresql"] if pg_reachable() else ["sqlite"]
    if "postgresql" not in dbs:
        print("PostgreSQL is not reachable: its figures are skipped", file=sys.stderr)
    if which in ("all", "tick"):
        from bench import tick

        write_result("tick", {db: tick.run(db) for db in dbs}, {"due": tick.DUE})
    if which in ("all", "digest"):
        from bench import digest

        write_result("digest", {db: digest.run(db) for db in dbs}, digest.PARAMS)
    if which in ("all", "ack"):
        from bench import ack_latency as ack

        figures = ack.run(requests=args.requests, concurrency=args.concurrency)
        write_result("ack", figures, {"requests": args.requests, "concurrency": args.concurrency})
    if which in ("all", "fanout"):
        from bench import fanout

        db = args.fanout_db or dbs[-1]
        runs = {"plain": fanout.run(args.people, kills=0, db=db)}
        if not args.skip_kills:
            runs["killed_twice"] = fanout.run(args.people, kills=2, db=db)
        write_result("fanout", runs, {"people": args.people, "db": db})
    return 0


if __name__ == "__main__":
    sys.exit(main())
