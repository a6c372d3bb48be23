"""Drain rates of two checkouts side by side: this one and ``--other``, alternating.

``python -m bench.drain_compare --other DIR [--db postgresql|sqlite] [--events 20000]
[--rounds 3]``

``DIR`` is another checkout with its own ``.venv`` (``git worktree add DIR COMMIT`` then
``make install-dev`` there). Each round drains once with each checkout, in turn: a child
``python -m bench.drain_compare --drain`` runs with that checkout's interpreter, from this
checkout's directory, so this ``bench`` package measures while that checkout's code (its
schema, its outbox writer, its ``rookery worker``) queues and drains. Each drain is on a
fresh database: ``--events`` group-permission events to one webhook in 200 lanes, one
``rookery worker`` (``rookery serve`` on SQLite), timed from the receiver's first arrival to
its last. Alternating rounds keep a shared host's drift out of the comparison; the medians
are printed at the end.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from bench.fixtures import queue_group_permission_events
from bench.harness import database, median, webhook, write_webhooks
from bench.receiver import Receiver
from bench.throughput import Drain, drain

HERE = Path(__file__).resolve().parent.parent
LANES = 200
WINDOW_SECONDS = 60.0


def _drain_once(kind: str, events: int) -> Drain:
    """Queue and drain one backlog with this interpreter's ``rookery``."""
    with tempfile.TemporaryDirectory(prefix="rookery-drain-") as tmp:
        workdir = Path(tmp)
        receiver = Receiver(workdir)
        try:
            item = webhook("h0", "create_group_permission", receiver.url("/h0"))
            hooks = write_webhooks(workdir / "drain.yml", [item])
            with database(kind, workdir) as url:
                expected = queue_group_permission_events(url, hooks, events, LANES)
                return drain(kind, url, hooks, receiver, expected, workdir, WINDOW_SECONDS)
        finally:
            receiver.close()


def _child(python: Path, kind: str, events: int) -> Drain:
    argv = [str(python), "-m", "bench.drain_compare", "--drain", "--db", kind]
    argv += ["--events", str(events)]
    done = subprocess.run(argv, cwd=HERE, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{python} failed:\n{done.stdout}\n{done.stderr}")
    return Drain(**json.loads(done.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.drain_compare", description=__doc__)
    parser.add_argument("--other", type=Path, help="another checkout, with its own .venv")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--drain", action="store_true", help=argparse.SUPPRESS)  # the child
    args = parser.parse_args(argv)
    if args.drain:
        print(json.dumps(asdict(_drain_once(args.db, args.events))))
        return 0
    if args.other is None:
        parser.error("--other DIR is required")
    pythons = {"this": Path(sys.executable), "other": args.other / ".venv" / "bin" / "python"}
    rates: dict[str, list[float]] = {name: [] for name in pythons}
    for round_no in range(1, args.rounds + 1):
        for name, python in pythons.items():
            result = _child(python, args.db, args.events)
            rates[name].append(result.rate)
            print(
                f"round {round_no}, {name}: {result.rate:,.0f} deliveries/s (cpu: worker "
                f"{result.workers:.0f}%, receiver {result.receiver:.0f}%, postgres "
                f"{result.server:.0f}%, host {result.host:.0f}%)",
                flush=True,
            )
    for name, values in rates.items():
        listed = " / ".join(f"{v:,.0f}" for v in values)
        print(f"{name} ({pythons[name]}): median {median(values):,.0f} deliveries/s ({listed})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
