"""What Argon2id costs here, for each of OWASP's equally strong parameter sets.

``python -m bench.hashing [--hashes 40] [--rounds 3]``

For each set (46 MiB x 1 pass ... 7 MiB x 5 passes, one lane), through the library Rookery
hashes with (libsodium, by PyNaCl): the CPU time of one hash with one core hashing, and the
hashes per second with every core hashing at once, one process per core, as ``serve``'s API
processes hash. The sets cost about the same arithmetic; what differs is whether every
core's block fits in the cache the cores share. Rookery uses the set marked ``*``
(``rookery.services.passwords``).
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor

import nacl
from nacl.pwhash import argon2id

from rookery.services.passwords import MEMORY_KIB, PASSES

OWASP_SETS = ((47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5))  # (KiB, passes)


def _hash_cpu(memory_kib: int, passes: int, hashes: int) -> float:
    """Mean CPU seconds of one hash, ``hashes`` of them in this process."""
    started = time.process_time()
    for number in range(hashes):
        argon2id.kdf(
            32, f"password-{number}".encode(), b"sixteen byte slt", opslimit=passes,
            memlimit=memory_kib * 1024,
        )  # fmt: skip
    return (time.process_time() - started) / hashes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hashing", description=__doc__)
    parser.add_argument("--hashes", type=int, default=40, help="hashes per process and set")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    cores = os.cpu_count() or 1
    print(f"Argon2id (libsodium, PyNaCl {nacl.__version__}), {cores} cores, {args.hashes} hashes")
    with ProcessPoolExecutor(cores) as pool:
        for round_number in range(1, args.rounds + 1):
            for memory_kib, passes in OWASP_SETS:
                alone = pool.submit(_hash_cpu, memory_kib, passes, args.hashes).result()
                started = time.monotonic()
                together = [
                    pool.submit(_hash_cpu, memory_kib, passes, args.hashes) for _ in range(cores)
                ]
                for future in together:
                    future.result()
                rate = cores * args.hashes / (time.monotonic() - started)
                mark = "*" if (memory_kib, passes) == (MEMORY_KIB, PASSES) else " "
                print(
                    f" {mark} round {round_number}: m={memory_kib // 1024} MiB t={passes}: "
                    f"{1000 * alone:.1f} ms of CPU per hash alone; {rate:.0f} hashes/s "
                    f"with {cores} cores hashing",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
