"""Benchmarks of Rookery (``make bench``): latency, throughput, API writes, outbox, memory.

Every benchmark runs real processes on 127.0.0.1 (``rookery serve``, ``rookery worker``, a
receiver) against a throw-away database, prints its numbers and cleans up after itself.
``python -m bench.run`` runs them all; see ``docs/BENCHMARKS.md`` for the figures.
"""
