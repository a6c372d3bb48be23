"""The ``rookery`` command: serve, worker, migrate, check-config, webhooks, deliveries.

Errors print one sentence naming the file or field at fault and exit non-zero; ``-v`` adds
the traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Sequence

from rookery import __version__
from rookery.cli import commands
from rookery.errors import RookeryError


def parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    root = argparse.ArgumentParser(prog="rookery", description=__doc__.splitlines()[0])
    root.add_argument("--version", action="version", version=f"rookery {__version__}")
    root.add_argument("-v", "--verbose", action="store_true", help="show tracebacks")
    sub = root.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the API (and, by default, the delivery worker)")
    serve.add_argument("--host", help="address to listen on (ROOKERY_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (ROOKERY_PORT)")
    serve.add_argument(
        "--no-worker",
        action="store_true",
        help="do not deliver webhooks in this process (run `rookery worker`)",
    )
    serve.set_defaults(run=commands.serve)

    worker = sub.add_parser("worker", help="run a delivery worker only")
    worker.add_argument("--concurrency", type=int, help="requests in flight at most")
    worker.add_argument(
        "--processes",
        type=int,
        help="worker processes sharing the queue (ROOKERY_WORKER_PROCESSES, default 1)",
    )
    worker.set_defaults(run=commands.worker)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(run=commands.migrate)

    check = sub.add_parser("check-config", help="validate a configuration file or directory")
    check.add_argument("path")
    check.set_defaults(run=commands.check_config)

    hooks = sub.add_parser("webhooks", help="inspect and test configured webhooks")
    hooks_sub = hooks.add_subparsers(dest="webhooks_command", required=True)
    hooks_sub.add_parser("list", help="list configured webhooks").set_defaults(
        run=commands.webhooks_list
    )
    test = hooks_sub.add_parser("test", help="send a sample event to the webhook(s) NAME")
    test.add_argument("name")
    test.set_defaults(run=commands.webhooks_test)

    deliveries = sub.add_parser("deliveries", help="inspect and retry deliveries")
    d_sub = deliveries.add_subparsers(dest="deliveries_command", required=True)
    listing = d_sub.add_parser("list", help="recent deliveries")
    listing.add_argument("--status", help="pending, sending, delivered or failed")
    listing.add_argument("--action")
    listing.add_argument("--webhook")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument(
        "--blocked",
        action="store_true",
        help="only deliveries holding up their lane for ROOKERY_LANE_BLOCKED_SECONDS or more",
    )
    listing.set_defaults(run=commands.deliveries_list)
    show = d_sub.add_parser("show", help="one delivery with every attempt")
    show.add_argument("id", type=int)
    show.set_defaults(run=commands.deliveries_show)
    retry = d_sub.add_parser("retry", help="send a delivery (or every failed one) again")
    retry.add_argument("id", nargs="?", type=int)
    retry.add_argument("--failed", action="store_true", help="retry every failed delivery")
    retry.set_defaults(run=commands.deliveries_retry)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rookery`` console script."""
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        code: int = args.run(args)
    except RookeryError as error:
        if args.verbose:
            traceback.print_exc()
        print(f"rookery: error: {error.detail}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
