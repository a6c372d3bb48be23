"""What a webhook costs ``rookery serve`` in CPU, per request and per process, at a steady load.

``python -m bench.webhook_cost --db sqlite|postgresql [--requests 1200] [--clients 4]``

``--clients`` threads, each with its own keep-alive client and its own groups, create and
delete the permission ``read`` of a group on one service, one call at a time, ``--requests``
calls in all; once with a webhook per action (create/delete_group_permission → a local
receiver) and once with none, alternating, ``--rounds`` times each. For every process of the
``serve`` tree (the parent, each API process, the worker) and for PostgreSQL's processes, it
prints the CPU time (from ``/proc``) per request, so a webhook's price shows where it is paid:
in the API's own transaction, or in the worker's turns and sends. On PostgreSQL it splits the
server's CPU by connection too (``application_name``: ``rookery serve``, ``rookery worker
turns``, ``rookery worker listen``). Issue 12 asks that a
webhook cost the API's write rate at most a fifth; this shows what stands in the way.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

from bench.fixtures import SERVICE, ApiSetup
from bench.harness import (
    backend_cpu_by_name,
    backend_cpu_seconds,
    cpu_seconds,
    database,
    named_cpu_seconds,
    start_serve,
    tree_pids,
    webhook,
    write_webhooks,
)
from bench.receiver import Receiver


def _client(base: str, groups: list[str], calls: int) -> None:
    api = ApiSetup(base)
    try:
        for i in range(calls):
            path = f"/groups/{groups[(i // 2) % len(groups)]}/services/{SERVICE}/permissions"
            if i % 2 == 0:
                response = api.client.post(path, json={"permission": "read"})
            else:
                response = api.client.delete(f"{path}/read")
            assert response.status_code in (200, 201), response.text
    finally:
        api.close()


def run_once(args: argparse.Namespace, workdir: Path, receiver: Receiver, hooked: bool) -> None:
    items = [
        webhook("create", "create_group_permission", receiver.url("/create")),
        webhook("delete", "delete_group_permission", receiver.url("/delete")),
    ]
    hooks = write_webhooks(workdir / "webhook_cost.yml", items) if hooked else None
    with database(args.db, workdir) as url:
        serve, base = start_serve(url, hooks, workdir)
        try:
            api = ApiSetup(base)
            api.service()
            groups = [f"g{i}" for i in range(args.clients * 10)]
            for group in groups:
                api.group(group)
            api.close()
            receiver.reset()
            pids = tree_pids(serve.pid)
            before = {pid: cpu_seconds(pid) for pid in pids}
            backends_before = backend_cpu_seconds(url) if args.db == "postgresql" else {}
            postgres_before, started = named_cpu_seconds("postgres"), time.monotonic()
            per_client = args.requests // args.clients
            threads = [
                threading.Thread(target=_client, args=(base, groups[k :: args.clients], per_client))
                for k in range(args.clients)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
            done = per_client * args.clients
            if hooked:
                receiver.wait_for(done, 60)
            after = {pid: cpu_seconds(pid) for pid in pids}
            postgres = 1e6 * (named_cpu_seconds("postgres") - postgres_before) / done
            backends_after = backend_cpu_seconds(url) if args.db == "postgresql" else {}
        finally:
            serve.stop()
    names = ["serve"] + [f"child {i}" for i in range(1, len(pids))]
    costs = ", ".join(
        f"{name} {1e6 * (after[pid] - before[pid]) / done:,.0f}"
        for name, pid in zip(names, pids, strict=True)
    )
    if args.db == "postgresql":
        costs += f", postgres {postgres:,.0f}"
        spent = backend_cpu_by_name(backends_before, backends_after)
        costs += (
            " (by connection: "
            + ", ".join(
                f"{name} {1e6 * seconds / done:,.0f}" for name, seconds in sorted(spent.items())
            )
            + ")"
        )
    label = "1 webhook/action" if hooked else "no webhook"
    print(
        f"  [{args.db}, {label}] {done / elapsed:,.0f} requests/s with {args.clients} clients; "
        f"CPU µs per request: {costs}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--requests", type=int, default=1200)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    print(f"webhook_cost on {args.db}: {args.requests} requests, {args.clients} clients")
    with tempfile.TemporaryDirectory(prefix="rookery-bench-") as tmp:
        workdir = Path(tmp)
        receiver = Receiver(workdir)
        try:
            for _ in range(args.rounds):
                for hooked in (True, False):
                    run_once(args, workdir, receiver, hooked)
        finally:
            receiver.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
