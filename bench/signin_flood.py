"""Sign-in under a flood: does hashing starve other requests, and does timing reveal users?

``python -m bench.signin_flood [--db sqlite|postgresql] [--clients 30] [--seconds 8]``

Starts ``rookery serve`` (no webhooks), creates one user per flooding client, then prints:

* another (signed-in) client's ``GET /users/current`` latency, p50 and p99, alone and while
  ``--clients`` threads sign in over and over with correct passwords (correct, so that no
  throttle applies: every attempt costs one Argon2 verification), and how the flood's own
  sign-ins ended (200, 429, errors);
* the median latency of a wrong sign-in for an unknown user name and for a known one (each
  known user is tried once, so no per-user throttle interferes; 2 x ``--probes`` failures in
  all, below the per-address limit).

All traffic stays on 127.0.0.1. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from bench.harness import admin_cookies, database, median, percentile, start_serve

PASSWORD = "flood-password-123"


def _create_users(base: str, names: list[str]) -> None:
    with httpx.Client(base_url=base, cookies=admin_cookies(base), timeout=60) as admin:
        for name in names:
            response = admin.post(
                "/users",
                json={"user_name": name, "email": f"{name}@example.org", "password": PASSWORD},
            )
            assert response.status_code in (201, 409), response.text


def _probe(base: str, cookies: httpx.Cookies, stop: threading.Event, pause: float) -> list[float]:
    """Latencies (ms) of GET /users/current, one after another, until ``stop`` is set."""
    samples: list[float] = []
    with httpx.Client(base_url=base, cookies=cookies, timeout=60) as client:
        while not stop.is_set():
            started = time.perf_counter()
            response = client.get("/users/current")
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text
            time.sleep(pause)
    return samples


def _flood(base: str, name: str, stop: threading.Event, outcomes: Counter[str]) -> None:
    with httpx.Client(base_url=base, timeout=120) as client:
        while not stop.is_set():
            try:
                code = client.post(
                    "/signin", json={"user_name": name, "password": PASSWORD}
                ).status_code
                outcomes[str(code)] += 1
                if code == 429:
                    time.sleep(0.05)
            except httpx.HTTPError as error:
                outcomes[type(error).__name__] += 1


def _measure(base: str, clients: int, seconds: float) -> tuple[list[float], Counter[str]]:
    cookies = admin_cookies(base)  # signed in before the flood: only its requests are timed
    stop = threading.Event()
    outcomes: Counter[str] = Counter()
    flooders = [
        threading.Thread(target=_flood, args=(base, f"flood{i}", stop, outcomes))
        for i in range(clients)
    ]
    for thread in flooders:
        thread.start()
    time.sleep(1.0)  # let the flood build up before sampling
    result: list[list[float]] = []
    probe = threading.Thread(target=lambda: result.append(_probe(base, cookies, stop, 0.02)))
    probe.start()
    time.sleep(seconds)
    stop.set()
    probe.join()
    for thread in flooders:
        thread.join()
    return result[0], outcomes


def _quiet(base: str, seconds: float) -> list[float]:
    stop = threading.Event()
    cookies = admin_cookies(base)
    timer = threading.Timer(seconds, stop.set)
    timer.start()
    return _probe(base, cookies, stop, 0.02)


def _wrong_signins(base: str, names: list[str]) -> list[float]:
    samples = []
    with httpx.Client(base_url=base, timeout=60) as client:
        for name in names:
            started = time.perf_counter()
            response = client.post("/signin", json={"user_name": name, "password": "wrong-guess"})
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 401, response.text
    return samples


def run(kind: str, clients: int, seconds: float, probes: int) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="rookery-flood-") as tmp,
        database(kind, Path(tmp)) as url,
    ):
        serve, base = start_serve(url, None, Path(tmp), worker=False)
        try:
            _create_users(base, [f"flood{i}" for i in range(clients)])
            _create_users(base, [f"known{i}" for i in range(probes)])
            quiet = _quiet(base, seconds / 2)
            flooded, outcomes = _measure(base, clients, seconds)
            # Interleave so drift in machine load hits both sides alike.
            unknown: list[float] = []
            known: list[float] = []
            for i in range(probes):
                unknown += _wrong_signins(base, [f"nobody{i}"])
                known += _wrong_signins(base, [f"known{i}"])
            print(
                f"[{kind}] other client GET /users/current, alone: "
                f"p50 {percentile(quiet, 50):.1f} ms, p99 {percentile(quiet, 99):.1f} ms "
                f"({len(quiet)} requests)"
            )
            print(
                f"[{kind}] same, during a {clients}-client sign-in flood: "
                f"p50 {percentile(flooded, 50):.1f} ms, p99 {percentile(flooded, 99):.1f} ms "
                f"({len(flooded)} requests)"
            )
            rate = sum(v for k, v in outcomes.items() if k == "200") / seconds
            print(f"[{kind}] flood sign-ins: {dict(outcomes)} (~{rate:.0f} successful/s)")
            print(
                f"[{kind}] wrong sign-in, unknown user: median {median(unknown):.1f} ms, "
                f"p99 {percentile(unknown, 99):.1f} ms; known user: median "
                f"{median(known):.1f} ms, p99 {percentile(known, 99):.1f} ms ({probes} each)"
            )
        finally:
            serve.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.signin_flood", description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--probes", type=int, default=20)
    args = parser.parse_args()
    run(args.db, args.clients, args.seconds, args.probes)


if __name__ == "__main__":
    main()
