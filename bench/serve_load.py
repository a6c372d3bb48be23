"""Issue 12's load shape against ``rookery serve``: users, permissions, deletes, 8 clients.

``python -m bench.serve_load --db sqlite|postgresql [--processes N] [--users 600]
[--clients 8] [--pairs 1] [--profile DIR]``

Each client (a thread with its own keep-alive ``httpx.Client``) owns ``users / clients``
users and runs three phases, every client starting each phase together: create its users
(``POST /users``, Argon2id hashing included), give each a permission on one service
(``POST /users/{u}/services/bench/permissions``), delete those permissions. Once with one
webhook per action (create_user, create_user_permission, delete_user_permission → a local
receiver) and once with none. Then one client creates ``--single`` more users, one at a time.

Webhook latency = arrival at the receiver minus the moment the client had the API response
for the same user (the payload names the user; both clocks are CLOCK_MONOTONIC). RSS is read
from ``/proc`` for ``serve`` and every process below it: at start, after each round
(``--rounds R`` repeats the three phases with new users: 3 x users events a round), at the
end, and the peak (``VmHWM``). ``--profile DIR`` runs
``py-spy record --subprocesses`` on the serve tree during the webhook run and writes
collapsed stacks there; ``--keep DIR`` keeps the logs of ``serve`` and the receiver there.
Prints one line per figure, with the 1-minute load average (the machine may be shared), then
issue 12's targets, each with the figures measured and met or missed (:mod:`bench.load_targets`).
``--pairs N`` runs the webhook run and the plain one N times, alternating: a with / without
ratio is a quotient of two rates that each move with the host, so each pair gives one.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bench.fixtures import SERVICE, ApiSetup
from bench.harness import (
    LISTENING,
    ROOKERY,
    Proc,
    admin_cookies,
    cpu_seconds,
    database,
    free_port,
    host_busy_seconds,
    memory_mb,
    named_cpu_seconds,
    percentile,
    rookery_env,
    sockets_held,
    tree_pids,
    write_webhooks,
)
from bench.load_targets import Measured, report
from bench.receiver import Receiver

ACTIONS = ("create_user", "create_user_permission", "delete_user_permission")
PASSWORD = "bench-user-password-1"


def start(url: str, hooks: Path | None, workdir: Path, processes: int | None) -> tuple[Proc, str]:
    """``rookery serve`` (with ``ROOKERY_API_PROCESSES`` when given), once it answers."""
    port = free_port()
    env = rookery_env(url, hooks, port)
    if processes is not None:
        env["ROOKERY_API_PROCESSES"] = str(processes)
    proc = Proc("serve", [str(ROOKERY), "serve"], env, workdir)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.alive():
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/version", timeout=2).status_code == 200:
                return proc, base
        time.sleep(0.1)
    proc.stop()
    raise RuntimeError(f"rookery serve did not start:\n{proc.tail()}")


def _phase(
    base: str,
    cookies: httpx.Cookies,
    names: list[list[str]],
    step: str,
    split: Callable[[], str] | None = None,
) -> tuple[float, dict[str, int], str]:
    """Run one phase on every client at once; (calls/s, user → response time ns, split).

    ``split``, when given, is called once every client has its connection open (each after
    its first call): how the connections fell on the API processes, which moves the
    phase's rate (docs/BENCHMARKS.md, fifteenth pass)."""
    done: dict[str, int] = {}
    errors: list[str] = []
    barrier = threading.Barrier(len(names) + 1)
    connected = threading.Barrier(len(names) + 1)

    def client(mine: list[str]) -> None:
        with httpx.Client(base_url=base, cookies=cookies, timeout=60) as http:
            barrier.wait()
            for number, user in enumerate(mine):
                if number == 1:
                    with contextlib.suppress(threading.BrokenBarrierError):
                        connected.wait(60)
                perms = f"/users/{user}/services/{SERVICE}/permissions"
                if step == "create_user":
                    body = {"user_name": user, "email": f"{user}@example.org", "password": PASSWORD}
                    response = http.post("/users", json=body)
                elif step == "create_permission":
                    response = http.post(perms, json={"permission": "read"})
                else:
                    response = http.delete(f"{perms}/read")
                done[user] = time.monotonic_ns()
                if response.status_code not in (200, 201):
                    errors.append(f"{step} {user}: {response.status_code} {response.text[:200]}")

    threads = [threading.Thread(target=client, args=(mine,)) for mine in names]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.monotonic()
    fell = ""
    if all(len(mine) > 1 for mine in names):
        with contextlib.suppress(threading.BrokenBarrierError):
            connected.wait(60)
            fell = split() if split is not None else ""
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    if errors:
        raise RuntimeError(f"{len(errors)} failed calls, first: {errors[0]}")
    return sum(len(m) for m in names) / elapsed, done, fell


def _latencies(receiver: Receiver, action: str, done: dict[str, int], expect: int) -> list[float]:
    receiver.wait_for(expect, 120, stall=20)
    lat = []
    for arrived, body in receiver.bodies():
        payload = json.loads(body)
        if payload["action"] == action and payload["user"] in done:
            lat.append((arrived - done[payload["user"]]) / 1e6)
    if len(lat) != len(done):
        print(f"    ! {len(lat)} {action} deliveries for {len(done)} calls", flush=True)
    return lat


def _rss(pids: list[int], key: str = "VmRSS") -> str:
    """``parent 110, child 97, …`` in MB (children in fork order: API processes, then workers)."""
    names = ["parent"] + [f"child {i}" for i in range(1, len(pids))]
    return ", ".join(f"{n} {memory_mb(pid, key):.0f}" for n, pid in zip(names, pids, strict=True))


def _load() -> str:
    """The 1-minute load average (the machine is shared: figures move with it)."""
    return f"{os.getloadavg()[0]:.1f}"


def _hashing_bound() -> str:
    """What Argon2id costs here, and the user creates/s it allows with every core hashing."""
    from rookery.services.passwords import hash_password

    costs = []
    for _ in range(15):
        started = time.process_time()
        hash_password(PASSWORD)
        costs.append(time.process_time() - started)
    cost = percentile(costs, 50)
    cores = os.cpu_count() or 1
    return (
        f"Argon2id {1000 * cost:.1f} ms of a core per hash: at most {cores / cost:.0f} user "
        f"creates/s with all {cores} cores hashing and doing nothing else"
    )


class _Cpu:
    """CPU seconds so far: the host's busy time, the PostgreSQL server's, the serve tree's."""

    def __init__(self, serve: Proc) -> None:
        self.serve = serve
        self.at = time.monotonic()
        self.host = host_busy_seconds()
        self.postgres = named_cpu_seconds("postgres")
        self.tree = self._tree()

    def _tree(self) -> float:
        total = 0.0
        for pid in tree_pids(self.serve.pid):
            with contextlib.suppress(OSError):
                total += cpu_seconds(pid)
        return total

    def since(self, before: _Cpu) -> str:
        """Where the CPU went since ``before``, in % of one core."""
        span = self.at - before.at
        cores = os.cpu_count() or 1

        def pct(now: float, then: float) -> str:
            return f"{100 * (now - then) / span:.0f}%"

        return (
            f"cpu: serve tree {pct(self.tree, before.tree)}, postgres "
            f"{pct(self.postgres, before.postgres)}, host {pct(self.host, before.host)} "
            f"of {100 * cores}%"
        )


def _split(serve: Proc, base: str) -> str:
    """The connections each API process (a process holding the listening socket) holds."""
    port = int(base.rsplit(":", 1)[1])
    children = tree_pids(serve.pid)[1:]
    listening = sockets_held(port, children, LISTENING)
    api = [pid for pid, held in zip(children, listening, strict=True) if held]
    return "/".join(str(n) for n in sorted(sockets_held(port, api), reverse=True))


def _phases(
    args: argparse.Namespace,
    base: str,
    cookies: httpx.Cookies,
    receiver: Receiver,
    rnd: int,
    serve: Proc,
    measured: Measured,
) -> None:
    """One round: every client creates its users, gives them a permission, deletes it."""
    label = "1 webhook/action" if args.hooked else "no webhook"
    per = args.users // args.clients
    names = [[f"u{c}x{k}r{rnd}" for k in range(per)] for c in range(args.clients)]
    for step, action in zip(
        ("create_user", "create_permission", "delete_permission"), ACTIONS, strict=True
    ):
        before = receiver.stats()["count"]  # counted before: some arrive during the phase
        cpu = _Cpu(serve)
        rate, done, fell = _phase(base, cookies, names, step, lambda: _split(serve, base))
        used = _Cpu(serve).since(cpu)
        measured.rates[(args.hooked, step)].append(rate)
        line = f"  [{args.db}, {label}] {step}: {rate:.1f}/s with {args.clients} clients ({used})"
        line += f"; connections per API process {fell}"
        if args.hooked:
            lat = _latencies(receiver, action, done, before + len(done))
            measured.p99_many[step].append(percentile(lat, 99))
            line += (
                f"; webhook latency p50 {percentile(lat, 50):.1f} ms, "
                f"p99 {percentile(lat, 99):.1f} ms, max {max(lat, default=0):.1f} ms"
            )
        print(f"{line}; load {_load()}", flush=True)


def run_once(
    args: argparse.Namespace, workdir: Path, receiver: Receiver, hooked: bool, measured: Measured
) -> None:
    label = "1 webhook/action" if hooked else "no webhook"
    hooks = None
    if hooked:
        items = [
            {
                "name": action,
                "action": action,
                "method": "POST",
                "url": receiver.url(f"/{action}"),
                "payload": {"action": "{{event.action}}", "user": "{{user.name}}"},
            }
            for action in ACTIONS
        ]
        hooks = write_webhooks(workdir / "serve_load.yml", items)
    with database(args.db, workdir) as url:
        serve, base = start(url, hooks, workdir, args.processes)
        spy = None
        try:
            api = ApiSetup(base)
            api.service()
            api.close()
            cookies = admin_cookies(base)
            receiver.reset()
            if args.profile and hooked:
                out = Path(args.profile) / f"{args.db}-p{args.processes or 'default'}.txt"
                spy = subprocess.Popen(
                    [
                        str(Path(sys.executable).parent / "py-spy"),
                        "record",
                        "--subprocesses",
                        "--format",
                        "raw",
                        "--rate",
                        "200",
                        "-o",
                        str(out),
                        "-p",
                        str(serve.pid),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                time.sleep(1.0)
            pids = tree_pids(serve.pid)
            print(f"  [{args.db}, {label}] serve tree: {len(pids)} process(es)", flush=True)
            print(f"  [{args.db}, {label}] RSS at start (MB): {_rss(pids)}", flush=True)
            args.hooked = hooked
            for rnd in range(args.rounds):
                _phases(args, base, cookies, receiver, rnd, serve, measured)
                events = (rnd + 1) * args.users * len(ACTIONS)
                print(
                    f"  [{args.db}, {label}] RSS after round {rnd + 1}/{args.rounds}, "
                    f"{events} events (MB): {_rss(pids)}",
                    flush=True,
                )
            if hooked:
                single = [[f"s{k}" for k in range(args.single)]]
                before = receiver.stats()["count"]
                rate, done, _ = _phase(base, cookies, single, "create_user")
                lat = _latencies(receiver, "create_user", done, before + len(done))
                if lat:
                    measured.p99_one.append(percentile(lat, 99))
                print(
                    f"  [{args.db}, {label}] create_user, 1 client: {rate:.1f}/s; webhook latency "
                    f"p50 {percentile(lat, 50):.1f} ms, p95 {percentile(lat, 95):.1f} ms, "
                    f"p99 {percentile(lat, 99):.1f} ms; load {_load()}",
                    flush=True,
                )
            print(f"  [{args.db}, {label}] RSS at end (MB): {_rss(pids)}", flush=True)
            peaks = [memory_mb(pid, "VmHWM") for pid in pids]
            measured.peak_mb = max([measured.peak_mb, *peaks])
            print(
                f"  [{args.db}, {label}] peak RSS (VmHWM, MB): {_rss(pids, 'VmHWM')}; "
                f"serve CPU {serve.cpu():.1f} s (parent only)",
                flush=True,
            )
        finally:
            if spy is not None:
                spy.send_signal(2)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    spy.wait(30)
            serve.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.serve_load", description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--processes", type=int, help="ROOKERY_API_PROCESSES for serve")
    parser.add_argument("--users", type=int, default=600)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--single", type=int, default=100, help="users created by 1 client")
    parser.add_argument(
        "--rounds", type=int, default=1, help="repeat the 3 phases (RSS printed after each)"
    )
    parser.add_argument("--profile", help="directory for py-spy's collapsed stacks")
    parser.add_argument("--only", choices=("hooked", "plain"), help="one of the two runs")
    parser.add_argument("--keep", help="directory for the logs, kept after the run")
    parser.add_argument(
        "--pairs", type=int, default=1, help="runs with and without webhooks, alternating"
    )
    args = parser.parse_args(argv)
    print(
        f"serve_load on {args.db}, ROOKERY_API_PROCESSES={args.processes or 'default'}, "
        f"{args.users} users, {args.clients} clients",
        flush=True,
    )
    print(f"  {_hashing_bound()}", flush=True)
    with contextlib.ExitStack() as stack:
        if args.keep:
            Path(args.keep).mkdir(parents=True, exist_ok=True)
            tmp = args.keep
        else:
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="rookery-serve-load-"))
        receiver = Receiver(Path(tmp))
        measured = Measured()
        try:
            for _ in range(args.pairs):
                for hooked in (True, False):
                    if args.only and args.only != ("hooked" if hooked else "plain"):
                        continue
                    run_once(args, Path(tmp), receiver, hooked, measured)
        finally:
            receiver.close()
    print(f"  issue 12's targets on {args.db} ({args.pairs} pair(s) of runs):", flush=True)
    for line in report(args.db, measured):
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
