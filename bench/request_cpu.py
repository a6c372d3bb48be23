"""What a permission write costs the API process in CPU below HTTP: session check and use case.

``python -m bench.request_cpu [--db sqlite|postgresql] [--cycles 400] [--runs 5] [--webhook]``

In one process, on a fresh database, with no webhook (``--webhook``: one per action, to a
port nobody sends to, since no worker runs): each cycle checks an administrator's
session cookie (``load_principal``, as every request does), creates a group's permission on a
service (``write_permission``), checks the cookie again and deletes the permission
(``delete_permission``), the calls ``POST`` and ``DELETE
/groups/{g}/services/{s}/permissions`` make. It prints the CPU time (``time.process_time``,
this process only) per request, split into the session check and the use case, for each run
of ``--cycles`` cycles, and their median; on PostgreSQL also the server's CPU per request
(its backends', from ``/proc``: nothing else uses the database meanwhile). Then the same
for the question a proxy asks on every request it guards, a user's effective permissions on a
resource three levels below its service (``list_permissions(..., effective=True)``, inherited
from a group's permission on the service).

Nothing else runs in the process, so this moves much less with the host's load than a figure
taken under HTTP load (``bench.webhook_cost``), and it shows the part of a request's CPU that
is ours (statements, ORM, the outbox) apart from the HTTP server's and the framework's. Run
it in two checkouts to compare them.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from bench.harness import (
    backend_cpu_by_name,
    backend_cpu_seconds,
    database,
    webhook,
    write_webhooks,
)
from rookery.bootstrap import Rookery
from rookery.services.lookups import get_resource, get_service

SERVICE = "bench"
GROUP = "bench-group"
T = TypeVar("T")


def measure(
    url: str, cycles: int, runs: int, webhooks: Path | None = None
) -> tuple[list[tuple[float, float, float]], list[float]]:
    """(session check, use case, server) CPU seconds per request, for each run (the server's
    is PostgreSQL's, 0 on SQLite); and CPU seconds per effective-permissions answer, for each
    run."""
    from rookery.api.auth import load_principal, session_cookie
    from rookery.bootstrap import build
    from rookery.config import load_settings
    from rookery.domain.permissions import parse_permission
    from rookery.services import groups, resources
    from rookery.services import permissions as perms
    from rookery.services.lookups import find_user
    from rookery.services.permission_views import created_view

    env = {"ROOKERY_DATABASE_URL": url, "ROOKERY_ADMIN_PASSWORD": "bench-admin-password"}
    if webhooks is not None:
        env["ROOKERY_WEBHOOKS_CONFIG_PATH"] = str(webhooks)
    app = build(load_settings(env))
    try:
        resources.create_service(app.uow("admin"), SERVICE, "http://127.0.0.1:9/bench", "api")
        groups.create_group(app.uow("admin"), GROUP)
        with app.read_session() as session:
            admin = find_user(session, "admin")
            assert admin is not None
            token = session_cookie(app, admin.id, admin.sessions_valid_from)
        ref = perms.HolderRef("group", GROUP)
        perm = parse_permission("read")
        spent = {"check": 0.0, "use case": 0.0}

        def timed(step: str, call: Callable[[], T]) -> T:
            started = time.process_time()
            result = call()
            spent[step] += time.process_time() - started
            return result

        def cycle() -> None:
            who = timed("check", lambda: load_principal(app, token))
            assert who.is_admin, "the session check did not find the administrator"
            actor = who.user_name
            timed(
                "use case",
                lambda: perms.write_permission(
                    app.uow(actor),
                    ref,
                    get_service,
                    SERVICE,
                    perm,
                    replace=False,
                    render=created_view,
                ),
            )
            timed("check", lambda: load_principal(app, token))
            timed(
                "use case",
                lambda: perms.delete_permission(app.uow(actor), ref, get_service, SERVICE, "read"),
            )

        for _ in range(cycles // 4):  # warm the caches (statements, pools) first
            cycle()
        results = []
        server = app.engine.dialect.name == "postgresql"
        for _ in range(runs):
            spent.update({"check": 0.0, "use case": 0.0})
            before = backend_cpu_seconds(url) if server else {}
            for _ in range(cycles):
                cycle()
            after = backend_cpu_seconds(url) if server else {}
            served = sum(backend_cpu_by_name(before, after).values())
            requests = 2 * cycles
            results.append(
                (spent["check"] / requests, spent["use case"] / requests, served / requests)
            )
        return results, _effective(app, cycles, runs)
    finally:
        app.engine.dispose()


def _effective(app: Rookery, calls: int, runs: int) -> list[float]:
    """CPU seconds per effective-permissions answer, for each run of ``calls``."""
    from rookery.domain.permissions import parse_permission
    from rookery.services import permissions as perms
    from rookery.services import resources, users

    users.create_user(app.uow("admin"), "bench-user", "bench@example.org", "bench-password-1")
    users.add_membership(app.uow("admin"), "bench-user", GROUP)
    group = perms.HolderRef("group", GROUP)
    with app.uow("admin") as uow:
        service = get_service(uow.session, SERVICE)
        perms.apply_permission(uow, group, service, parse_permission("read"), replace=False)
        uow.commit()
    parent = service.id
    for level in range(3):
        made = resources.create_resource(app.uow("admin"), f"level{level}", "route", parent)
        parent = int(made["resource_id"])
    user = perms.HolderRef("user", "bench-user")

    def answer() -> None:
        with app.read_session() as session:
            found = perms.list_permissions(
                session, user, get_resource(session, parent), effective=True
            )
        assert found["permission_names"], "the user was expected to read the resource"

    for _ in range(calls // 4):
        answer()
    results = []
    for _ in range(runs):
        started = time.process_time()
        for _ in range(calls):
            answer()
        results.append((time.process_time() - started) / calls)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.request_cpu", description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--cycles", type=int, default=400)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--webhook", action="store_true", help="one webhook per action")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, database(args.db, Path(tmp)) as url:
        hooks = None
        if args.webhook:
            nowhere = "http://127.0.0.1:9/hook"
            hooks = write_webhooks(
                Path(tmp) / "hooks.yml",
                [
                    webhook("create", "create_group_permission", nowhere),
                    webhook("delete", "delete_group_permission", nowhere),
                ],
            )
        results, effective = measure(url, args.cycles, args.runs, hooks)
    hooked = "one webhook per action" if args.webhook else "no webhook"
    print(
        f"request_cpu on {args.db}, {hooked}: µs of CPU per request, "
        f"{args.runs} runs of {args.cycles}"
    )
    server = args.db == "postgresql"
    for check, use_case, served in results:
        line = f"  session check {1e6 * check:,.0f} + use case {1e6 * use_case:,.0f}"
        print(line + (f"; PostgreSQL {1e6 * served:,.0f}" if server else ""))
    totals = [check + use_case for check, use_case, _ in results]
    median = f"  median: session check {1e6 * statistics.median(r[0] for r in results):,.0f}, "
    median += f"use case {1e6 * statistics.median(r[1] for r in results):,.0f}, "
    median += f"total {1e6 * statistics.median(totals):,.0f}"
    if server:
        median += f"; PostgreSQL {1e6 * statistics.median(r[2] for r in results):,.0f}"
    print(median)
    print(
        "  effective permissions, 3 levels down: "
        + ", ".join(f"{1e6 * cpu:,.0f}" for cpu in effective)
        + f"; median {1e6 * statistics.median(effective):,.0f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
