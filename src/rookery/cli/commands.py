"""What each ``rookery`` sub-command does."""

from __future__ import annotations

import argparse
import json

from rookery.bootstrap import build, load_registry
from rookery.cli import hosting
from rookery.cli.heap import freeze_startup_objects
from rookery.cli.sockets import listening_socket
from rookery.cli.switching import switch_threads_often
from rookery.config import load_settings
from rookery.db.schema import current_revision, upgrade
from rookery.db.startup import open_database, parse_database_url
from rookery.errors import InvalidInputError
from rookery.services.mail_templates import check_templates
from rookery.services.registration import undeclared_services
from rookery.webhooks.config import load_webhooks
from rookery.webhooks.config_files import read_config_documents


def serve(args: argparse.Namespace) -> int:
    """Run the API and the worker: in one process, or in several (``cli/hosting.py``)."""
    import uvicorn

    from rookery.delivery.runner import worker_lifespan
    from rookery.web import SERVER_OPTIONS, create_app

    settings = load_settings()
    overrides: dict[str, object] = {}
    if args.host:
        overrides["host"] = args.host
    if args.port:
        overrides["port"] = args.port
    if args.no_worker:
        overrides["run_worker"] = False
    settings = settings.with_overrides(**overrides)
    backend = parse_database_url(settings.database_url).get_backend_name()
    processes = hosting.api_processes(settings.api_processes)
    workers = hosting.worker_processes(settings.worker_processes, backend)
    # Bound before the database is prepared: a port in use must not cost a generated password.
    sock = listening_socket(settings.host, settings.port)
    try:
        rookery = build(settings, name="rookery serve")
    except BaseException:
        sock.close()
        raise
    if rookery.generated_admin_password:
        print(
            f"rookery: created administrator '{settings.admin_user}' with password "
            f"'{rookery.generated_admin_password}' (shown once; set ROOKERY_ADMIN_PASSWORD "
            "to choose it)",
            flush=True,
        )
    else:
        print(
            f"rookery: administrator '{settings.admin_user}' (password from "
            "ROOKERY_ADMIN_PASSWORD)",
            flush=True,
        )
    print(
        f"rookery: serving {settings.public_url} (docs at {settings.public_url}/api), "
        f"{len(rookery.webhooks)} webhook(s) configured",
        flush=True,
    )
    workers = workers if settings.run_worker else 0
    # On SQLite the worker gets a process of its own too: with the API in one interpreter
    # it took a third of the one core the API could use (docs/BENCHMARKS.md, issue 12).
    if processes > 1 or workers > 1 or (workers and backend == "sqlite"):
        return hosting.serve_processes(rookery, sock, processes, workers=workers)
    app = create_app(rookery, worker_lifespan(rookery) if settings.run_worker else None)
    config = uvicorn.Config(app, log_level="warning", access_log=False, **SERVER_OPTIONS)
    freeze_startup_objects()
    switch_threads_often()
    uvicorn.Server(config).run(sockets=[sock])
    return 0


def worker(args: argparse.Namespace) -> int:
    """Run a delivery worker alone."""
    from rookery.delivery.runner import run_forever

    settings = load_settings()
    if args.concurrency:
        settings = settings.with_overrides(worker_concurrency=args.concurrency)
    if args.processes is not None:
        settings = settings.with_overrides(worker_processes=args.processes)
    backend = parse_database_url(settings.database_url).get_backend_name()
    if backend == "sqlite":
        raise InvalidInputError(
            "rookery worker needs PostgreSQL (ROOKERY_DATABASE_URL); with SQLite the worker "
            "runs under `rookery serve`, in a process of its own",
            param="ROOKERY_DATABASE_URL",
        )
    processes = hosting.worker_processes(settings.worker_processes, backend)
    rookery = build(settings, name="rookery worker")
    if processes > 1:
        return hosting.worker_processes_forever(rookery, processes)
    freeze_startup_objects()
    run_forever(rookery)
    return 0


def migrate(_: argparse.Namespace) -> int:
    """Apply migrations and print the resulting revision."""
    settings = load_settings()
    engine = open_database(settings.database_url)
    upgrade(engine)
    print(f"rookery: database at revision {current_revision(engine)}")
    return 0


def check_config(args: argparse.Namespace) -> int:
    """Validate webhook configuration, and the e-mail templates the settings name, without
    starting anything."""
    webhooks = load_webhooks(args.path)
    print(f"rookery: {args.path}: {len(webhooks)} webhook(s) valid")
    for hook in webhooks:
        declared = f" (id {hook.id!r})" if hook.id is not None else ""
        url = hook.as_public_dict()["url"]
        print(f"  - {hook.name}: {hook.action.value} {hook.method} {url}{declared}")
    settings = load_settings()
    documents = read_config_documents(args.path)
    if settings.providers_config_path:
        documents += read_config_documents(settings.providers_config_path)
    for line in undeclared_services(documents):
        print(f"rookery: warning: {line}")
    templates = check_templates(settings)
    if templates:
        print(f"rookery: {len(templates)} e-mail template file(s) valid")
    for template in templates:
        language = "Mako (Magpie)" if template.is_mako else "Rookery text"
        print(f"  - {template.setting}: {template.path} ({language})")
    return 0


def webhooks_list(_: argparse.Namespace) -> int:
    """Print the configured webhooks (every header value and secret redacted)."""
    registry = load_registry(load_settings())
    print(json.dumps([w.as_public_dict() for w in registry], indent=2, default=str))
    return 0


def webhooks_test(args: argparse.Namespace) -> int:
    """Send a sample event to the named webhook(s)."""
    from rookery.delivery.sender import send_once
    from rookery.services.delivery_samples import send_sample

    return send_sample(build(load_settings()), args.name, send_once)


def deliveries_list(args: argparse.Namespace) -> int:
    """Print recent deliveries."""
    from rookery.services import delivery_log as log

    app = build(load_settings())
    page = log.list_deliveries(
        app,
        status=args.status,
        action=args.action,
        webhook=args.webhook,
        limit=args.limit,
        blocked=args.blocked,
    )
    for item in page["deliveries"]:
        print(
            f"{item['id']:>8}  {item['state']:<9}  attempts={item['attempt_count']:<2}  "
            f"{item['action']:<24}  {item['webhook_name']}  {item['url']}"
        )
    print(f"({page['total']} matching)")
    return 0


def deliveries_show(args: argparse.Namespace) -> int:
    """Print one delivery with every attempt."""
    from rookery.services import delivery_log as log

    print(json.dumps(log.get_delivery(build(load_settings()), args.id), indent=2))
    return 0


def deliveries_retry(args: argparse.Namespace) -> int:
    """Queue a delivery (or all failed ones) for another attempt."""
    from rookery.services import delivery_retries as retries

    app = build(load_settings())
    if args.failed:
        count = retries.retry_matching(app, status="failed")
    elif args.id is not None:
        retries.retry_delivery(app, args.id)
        count = 1
    else:
        print("rookery: error: give a delivery id or --failed")
        return 2
    print(f"rookery: {count} delivery(ies) queued again")
    return 0
