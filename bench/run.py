"""``python -m bench.run [--quick] [--only NAME ...] [--db sqlite|postgresql]``: every benchmark.

Runs each benchmark on SQLite and PostgreSQL, each figure the median of ``--runs`` runs (3; 1
with ``--quick``, which also shrinks the sizes), prints one table at the end and writes
``bench-results/latest.json`` and ``bench-results/latest.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import api_writes, latency, memory, outbox_scaling, retention, throughput
from bench.figures import Figure, render_markdown, render_text
from bench.harness import Plan, drop_leftover_databases

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench-results"
Bench = Callable[[Plan, str, Path], list[Figure]]


def _latency_separate(plan: Plan, kind: str, workdir: Path) -> list[Figure]:
    return latency.run(plan, kind, workdir, separate_worker=True)


BENCHMARKS: list[tuple[str, Bench, tuple[str, ...]]] = [
    ("latency", latency.run, ("sqlite", "postgresql")),
    ("latency", _latency_separate, ("postgresql",)),
    ("throughput", throughput.run, ("sqlite", "postgresql")),
    ("api_writes", api_writes.run, ("sqlite", "postgresql")),
    ("outbox", outbox_scaling.run, ("postgresql", "sqlite")),
    ("memory", memory.run, ("postgresql", "sqlite")),
    ("retention", retention.run, ("postgresql", "sqlite")),
]


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "src"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "commit": commit + (" (src/ modified)" if dirty else ""),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one run each, smaller sizes")
    parser.add_argument("--runs", type=int, help="runs per figure (median reported)")
    parser.add_argument("--only", nargs="*", help="benchmark names to run")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), help="one database only")
    args = parser.parse_args(argv)
    plan = Plan.quick() if args.quick else Plan()
    if args.runs:
        plan = replace(plan, runs=args.runs)
    drop_leftover_databases()
    info = machine()
    print(
        f"Rookery benchmarks ({'quick' if args.quick else 'full'}, {plan.runs} run(s) each) "
        f"on {info['cpus']} x {info['cpu_model']}, commit {info['commit']}",
        flush=True,
    )
    figures: list[Figure] = []
    failures: list[str] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="rookery-bench-") as tmp:
        for name, bench, kinds in BENCHMARKS:
            if args.only and name not in args.only:
                continue
            for kind in kinds:
                if args.db and kind != args.db:
                    continue
                print(f"\n== {name} on {kind}", flush=True)
                t0 = time.monotonic()
                try:
                    figures += bench(plan, kind, Path(tmp))
                except Exception:
                    traceback.print_exc()
                    failures.append(f"{name} on {kind}")
                print(f"   ({time.monotonic() - t0:.0f}s)", flush=True)
    info["wall_seconds"] = round(time.monotonic() - started)
    info["command"] = "python -m bench.run" + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else "")
    print("\n" + render_text(figures))
    if failures:
        print("\nFAILED: " + ", ".join(failures))
    OUT.mkdir(exist_ok=True)
    payload = {
        "machine": info,
        "plan": plan.__dict__,
        "failures": failures,
        "figures": [f.as_dict() for f in figures],
    }
    (OUT / "latest.json").write_text(json.dumps(payload, indent=2, default=str))
    header = (
        f"Rookery benchmarks, {info['date']}, commit {info['commit']}, "
        f"{info['cpus']} x {info['cpu_model']}, {info['ram_gb']} GB RAM, "
        f"`{info['command']}`, {info['wall_seconds']}s\n\n"
    )
    (OUT / "latest.md").write_text(header + render_markdown(figures) + "\n")
    print(f"\nwrote {OUT / 'latest.json'} and {OUT / 'latest.md'} ({info['wall_seconds']}s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
