"""Settings: the only place that reads the environment.

Each ``ROOKERY_X`` setting also accepts the Magpie name listed in SPEC §3, so a Magpie
deployment's environment works unchanged. A ``.env``-style file named by ``ROOKERY_ENV_FILE``
(default ``./.env`` when present) supplies values the process environment does not set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from rookery.errors import InvalidInputError

# setting -> Magpie alias (or None)
_ALIASES: dict[str, str | None] = {
    "ROOKERY_DATABASE_URL": None,
    "ROOKERY_URL": "MAGPIE_URL",
    "ROOKERY_CONFIG_PATH": "MAGPIE_CONFIG_PATH",
    "ROOKERY_WEBHOOKS_CONFIG_PATH": "MAGPIE_WEBHOOKS_CONFIG_PATH",
    "ROOKERY_ADMIN_USER": "MAGPIE_ADMIN_USER",
    "ROOKERY_ADMIN_PASSWORD": "MAGPIE_ADMIN_PASSWORD",
    "ROOKERY_ADMIN_EMAIL": "MAGPIE_ADMIN_EMAIL",
    "ROOKERY_SECRET": "MAGPIE_SECRET",
    "ROOKERY_TOKEN_EXPIRE": "MAGPIE_TOKEN_EXPIRE",
    "ROOKERY_PROVIDERS_CONFIG_PATH": "MAGPIE_PROVIDERS_CONFIG_PATH",
    "ROOKERY_PERMISSIONS_CONFIG_PATH": "MAGPIE_PERMISSIONS_CONFIG_PATH",
    "ROOKERY_PUBLIC_GETCAPABILITIES": None,
    "ROOKERY_PROTECTED_URL": "TWITCHER_PROTECTED_URL",
    "ROOKERY_PROTECTED_PATH": "TWITCHER_PROTECTED_PATH",
    "ROOKERY_PROTECTED_HOST": "TWITCHER_HOST",
    "ROOKERY_PASSWORD_MIN_LENGTH": None,
    "ROOKERY_ROOT_PATH": None,
    "ROOKERY_COOKIE_NAME": "MAGPIE_COOKIE_NAME",
    "ROOKERY_HOST": None,
    "ROOKERY_PORT": None,
    "ROOKERY_WORKER": None,
    "ROOKERY_WORKER_CONCURRENCY": None,
    "ROOKERY_WORKER_GATHER_MS": None,
    "ROOKERY_LOG_LEVEL": "MAGPIE_LOG_LEVEL",
    "ROOKERY_SESSION_EXPIRE": "MAGPIE_COOKIE_EXPIRE",
    "ROOKERY_MAX_BODY_BYTES": None,
    "ROOKERY_SIGNIN_USER_FAILURES": None,
    "ROOKERY_SIGNIN_ADDRESS_FAILURES": None,
    "ROOKERY_SIGNIN_WINDOW": None,
    "ROOKERY_HASH_WORKERS": None,
    "ROOKERY_HASH_BACKLOG": None,
    "ROOKERY_RESOURCE_MAX_DEPTH": None,
    "ROOKERY_SQLITE_BUSY_TIMEOUT": None,
    "ROOKERY_USERS_GROUP": "MAGPIE_USERS_GROUP",
    "ROOKERY_WORKER_PROCESSES": None,
    "ROOKERY_DELIVERY_RETENTION_DAYS": None,
    "ROOKERY_FAILED_RETENTION_DAYS": None,
    "ROOKERY_LANE_BLOCKED_SECONDS": None,
    "ROOKERY_SMTP_HOST": "MAGPIE_SMTP_HOST",
    "ROOKERY_SMTP_PORT": "MAGPIE_SMTP_PORT",
    "ROOKERY_SMTP_USER": "MAGPIE_SMTP_USER",
    "ROOKERY_SMTP_PASSWORD": "MAGPIE_SMTP_PASSWORD",
    "ROOKERY_SMTP_FROM": "MAGPIE_SMTP_FROM",
    "ROOKERY_SMTP_SSL": "MAGPIE_SMTP_SSL",
    "ROOKERY_USER_REGISTRATION_ENABLED": "MAGPIE_USER_REGISTRATION_ENABLED",
    "ROOKERY_USER_REGISTRATION_APPROVAL": "MAGPIE_USER_REGISTRATION_APPROVAL_ENABLED",
    "ROOKERY_USER_REGISTRATION_APPROVAL_EMAIL_RECIPIENT": (
        "MAGPIE_USER_REGISTRATION_APPROVAL_EMAIL_RECIPIENT"
    ),
    "ROOKERY_USER_REGISTRATION_NOTIFY": "MAGPIE_USER_REGISTRATION_NOTIFY_ENABLED",
    "ROOKERY_USER_REGISTRATION_NOTIFY_EMAIL_RECIPIENT": (
        "MAGPIE_USER_REGISTRATION_NOTIFY_EMAIL_RECIPIENT"
    ),
    **{
        f"ROOKERY_{name}_EMAIL_TEMPLATE": f"MAGPIE_{name}_EMAIL_TEMPLATE"
        for name in (
            "USER_REGISTRATION_SUBMISSION",
            "USER_REGISTRATION_APPROVAL",
            "USER_REGISTRATION_APPROVED",
            "USER_REGISTRATION_DECLINED",
            "USER_REGISTRATION_NOTIFY",
            "GROUP_TERMS_SUBMISSION",
            "GROUP_TERMS_APPROVED",
        )
    },
}

# Mail template name -> the setting naming a file that replaces the shipped default.
EMAIL_TEMPLATE_SETTINGS: dict[str, str] = {
    name.lower(): f"ROOKERY_{name}_EMAIL_TEMPLATE"
    for name in (
        "USER_REGISTRATION_SUBMISSION",
        "USER_REGISTRATION_APPROVAL",
        "USER_REGISTRATION_APPROVED",
        "USER_REGISTRATION_DECLINED",
        "USER_REGISTRATION_NOTIFY",
        "GROUP_TERMS_SUBMISSION",
        "GROUP_TERMS_APPROVED",
    )
}


@dataclass(frozen=True)
class Settings:
    """Everything Rookery needs to know about its deployment."""

    database_url: str = "sqlite:///./rookery.db"
    host: str = "127.0.0.1"
    port: int = 2001
    url: str | None = None
    config_path: str | None = None
    webhooks_config_path: str | None = None
    providers_config_path: str | None = None
    permissions_config_path: str | None = None
    # Declared services whose type knows getcapabilities give it to the anonymous user (Magpie).
    public_getcapabilities: bool = True
    admin_user: str = "admin"
    admin_password: str | None = None
    admin_email: str | None = None
    secret: str | None = None
    token_expire_seconds: int = 86400
    protected_url: str | None = None
    # Magpie's other way to name Twitcher's URL: https://{host}/twitcher{path}
    protected_path: str | None = None
    protected_host: str | None = None
    password_min_length: int = 12
    root_path: str = ""
    cookie_name: str = "auth_tkt"
    run_worker: bool = True
    worker_concurrency: int = 128
    # After a turn that saw every due lane, the next claim waits this long from that turn's
    # start, so commits close together share a turn (delivery/runner.py; 0: claim at once).
    worker_gather_ms: int = 10
    api_processes: int = 0  # 0: automatic (one per core)
    log_level: str = "INFO"
    session_expire_seconds: int = 86400
    max_body_bytes: int = 1024 * 1024
    signin_user_failures: int = 10
    signin_address_failures: int = 50
    signin_window_seconds: int = 300
    hash_workers: int = 1
    hash_backlog: int = 32
    resource_max_depth: int = 64
    sqlite_busy_timeout_seconds: float = 30.0
    users_group: str = "users"
    smtp_host: str | None = None
    smtp_port: int | None = None  # None: 465 with SSL, 25 without
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str | None = None
    smtp_ssl: bool = False
    user_registration_enabled: bool = False
    user_registration_approval: bool = False
    approval_email_recipient: str | None = None  # None: ROOKERY_ADMIN_EMAIL
    registration_notify: bool = False
    registration_notify_recipient: str | None = None  # None: ROOKERY_ADMIN_EMAIL
    email_templates: Mapping[str, str] = field(default_factory=dict)  # name -> file path
    # Finished deliveries (and their attempts) are kept this long after they finished.
    delivery_retention_days: int = 30
    failed_retention_days: int = 90
    # A lane whose head has not moved for this long, with deliveries behind it, is "blocked".
    lane_blocked_seconds: int = 300
    worker_processes: int = 1  # delivery worker processes (PostgreSQL; SQLite runs one inside)
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def public_url(self) -> str:
        """Base URL clients and receivers use to reach this service."""
        base = self.url or f"http://{self.host}:{self.port}{self.root_path}"
        return base.rstrip("/")

    @property
    def twitcher_url(self) -> str:
        """Base of every service's ``public_url``: ``ROOKERY_PROTECTED_URL``; else, when
        Magpie's ``TWITCHER_PROTECTED_PATH`` or ``TWITCHER_HOST`` is set, Magpie's rule
        ``https://{host}/twitcher{path}`` (host: ``TWITCHER_HOST``, else this service's host;
        path: default ``/ows/proxy``); else ``{ROOKERY_URL}/ows/proxy``."""
        if self.protected_url:
            return self.protected_url.rstrip("/")
        if self.protected_path is None and self.protected_host is None:
            return f"{self.public_url}/ows/proxy"
        path = "/" + (self.protected_path or "/ows/proxy").strip("/")
        if not path.startswith("/twitcher"):
            path = "/twitcher" + path
        host = self.protected_host or urlsplit(self.public_url).hostname or self.host
        return f"https://{host}{path}".rstrip("/")

    @property
    def registration_sources(self) -> tuple[str, ...]:
        """The files whose providers, groups, users and permissions are registered at start:
        the combined file alone when it is set (as Magpie), else Magpie's providers file, then
        its permissions file."""
        if self.config_path:
            return (self.config_path,)
        return tuple(p for p in (self.providers_config_path, self.permissions_config_path) if p)

    @property
    def webhook_source(self) -> str | None:
        """The path webhooks are read from: the combined config wins (SPEC §3)."""
        return self.config_path or self.webhooks_config_path

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with some fields replaced (CLI flags, tests)."""
        return replace(self, **changes)  # type: ignore[arg-type]


def read_env_file(path: Path) -> dict[str, str]:
    """Parse a ``KEY=value`` file: comments and blank lines skipped, quotes stripped."""
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.removeprefix("export ").partition("=")
        if not sep:
            raise InvalidInputError(f"{path}:{number}: expected KEY=value, got {raw!r}")
        values[key.strip()] = value.strip().strip("'\"")
    return values


def _lookup(env: Mapping[str, str], name: str) -> str | None:
    alias = _ALIASES.get(name)
    value = env.get(name)
    if value is None and alias:
        value = env.get(alias)
    return value if value not in (None, "") else None


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    value = _lookup(env, name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise InvalidInputError(
            f"setting {name}: expected an integer, got {value!r}", param=name, value=value
        ) from None


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if value < 1:
        raise InvalidInputError(
            f"setting {name}: expected a positive integer, got {value}", param=name, value=value
        )
    return value


def _milliseconds(env: Mapping[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if not 0 <= value <= 1000:
        raise InvalidInputError(
            f"setting {name}: expected milliseconds from 0 to 1000, got {value}",
            param=name,
            value=value,
        )
    return value


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    value = _lookup(env, name)
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < 86400:
        raise InvalidInputError(
            f"setting {name}: expected seconds above 0 (e.g. 30 or 0.5), got {value!r}",
            param=name,
            value=value,
        )
    return seconds


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build :class:`Settings` from the environment (and a ``.env`` file, if any)."""
    env: dict[str, str] = {}
    env_file = Path((environ or os.environ).get("ROOKERY_ENV_FILE", ".env"))
    if env_file.is_file():
        env.update(read_env_file(env_file))
    env.update(os.environ if environ is None else environ)
    worker = (_lookup(env, "ROOKERY_WORKER") or "true").lower()
    settings = Settings(
        database_url=_lookup(env, "ROOKERY_DATABASE_URL") or Settings.database_url,
        host=_lookup(env, "ROOKERY_HOST") or Settings.host,
        port=_int(env, "ROOKERY_PORT", Settings.port),
        url=_lookup(env, "ROOKERY_URL"),
        config_path=_lookup(env, "ROOKERY_CONFIG_PATH"),
        webhooks_config_path=_lookup(env, "ROOKERY_WEBHOOKS_CONFIG_PATH"),
        providers_config_path=_lookup(env, "ROOKERY_PROVIDERS_CONFIG_PATH"),
        permissions_config_path=_lookup(env, "ROOKERY_PERMISSIONS_CONFIG_PATH"),
        public_getcapabilities=_bool(env, "ROOKERY_PUBLIC_GETCAPABILITIES", default=True),
        admin_user=_lookup(env, "ROOKERY_ADMIN_USER") or Settings.admin_user,
        admin_password=_lookup(env, "ROOKERY_ADMIN_PASSWORD"),
        admin_email=_lookup(env, "ROOKERY_ADMIN_EMAIL"),
        secret=_lookup(env, "ROOKERY_SECRET"),
        token_expire_seconds=_int(env, "ROOKERY_TOKEN_EXPIRE", Settings.token_expire_seconds),
        protected_url=_lookup(env, "ROOKERY_PROTECTED_URL"),
        protected_path=_lookup(env, "ROOKERY_PROTECTED_PATH"),
        protected_host=_lookup(env, "ROOKERY_PROTECTED_HOST"),
        password_min_length=_int(env, "ROOKERY_PASSWORD_MIN_LENGTH", 12),
        root_path=(_lookup(env, "ROOKERY_ROOT_PATH") or "").rstrip("/"),
        cookie_name=_lookup(env, "ROOKERY_COOKIE_NAME") or Settings.cookie_name,
        run_worker=worker not in ("0", "false", "no", "off"),
        worker_concurrency=_int(env, "ROOKERY_WORKER_CONCURRENCY", 128),
        worker_gather_ms=_milliseconds(env, "ROOKERY_WORKER_GATHER_MS", Settings.worker_gather_ms),
        api_processes=_int(env, "ROOKERY_API_PROCESSES", 0),
        log_level=(_lookup(env, "ROOKERY_LOG_LEVEL") or "INFO").upper(),
        sqlite_busy_timeout_seconds=_seconds(env, "ROOKERY_SQLITE_BUSY_TIMEOUT", 30.0),
        users_group=_lookup(env, "ROOKERY_USERS_GROUP") or Settings.users_group,
    )
    settings = settings.with_overrides(**_limits(env), **_mail(env), **_delivery_upkeep(env))
    if _lookup(env, "ROOKERY_HASH_WORKERS") is None:
        hashers = automatic_hash_workers(settings.api_processes)
        settings = settings.with_overrides(hash_workers=hashers)
    return settings


def automatic_hash_workers(api_processes: int, cores: int | None = None) -> int:
    """Hashing threads per API process when ``ROOKERY_HASH_WORKERS`` is unset: the cores shared
    among the API processes (``ROOKERY_API_PROCESSES``, or one per core), at least one and at
    most :data:`MAX_AUTOMATIC_HASHERS` (each thread keeps its 7 MiB Argon2id block). One
    thread in a lone API process capped ``serve`` at one Argon2id at a time (~45 user
    creations/s at 22 ms each) with a core to spare."""
    cores = cores or os.cpu_count() or 1
    processes = api_processes or cores
    return min(MAX_AUTOMATIC_HASHERS, max(1, cores // max(1, processes)))


MAX_AUTOMATIC_HASHERS = 4


def _bool(env: Mapping[str, str], name: str, *, default: bool = False) -> bool:
    value = (_lookup(env, name) or str(default)).strip().lower()
    if value not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
        raise InvalidInputError(
            f"setting {name}: expected true or false, got {value!r}", param=name, value=value
        )
    return value in ("1", "true", "yes", "on")


def _mail(env: Mapping[str, str]) -> dict[str, object]:
    """E-mail (SMTP) and self-registration settings (SPEC §9)."""
    port = _lookup(env, "ROOKERY_SMTP_PORT")
    templates = {
        key: path
        for key, name in EMAIL_TEMPLATE_SETTINGS.items()
        if (path := _lookup(env, name)) is not None
    }
    return {
        "smtp_host": _lookup(env, "ROOKERY_SMTP_HOST"),
        "smtp_port": None if port is None else _positive(env, "ROOKERY_SMTP_PORT", 25),
        "smtp_user": _lookup(env, "ROOKERY_SMTP_USER"),
        "smtp_password": _lookup(env, "ROOKERY_SMTP_PASSWORD"),
        "smtp_from": _lookup(env, "ROOKERY_SMTP_FROM"),
        "smtp_ssl": _bool(env, "ROOKERY_SMTP_SSL"),
        "user_registration_enabled": _bool(env, "ROOKERY_USER_REGISTRATION_ENABLED"),
        "user_registration_approval": _bool(env, "ROOKERY_USER_REGISTRATION_APPROVAL"),
        "approval_email_recipient": _lookup(
            env, "ROOKERY_USER_REGISTRATION_APPROVAL_EMAIL_RECIPIENT"
        ),
        "registration_notify": _bool(env, "ROOKERY_USER_REGISTRATION_NOTIFY"),
        "registration_notify_recipient": _lookup(
            env, "ROOKERY_USER_REGISTRATION_NOTIFY_EMAIL_RECIPIENT"
        ),
        "email_templates": templates,
    }


def _limits(env: Mapping[str, str]) -> dict[str, int]:
    """Limits (sessions, body size, sign-in throttling, hashing, tree depth): positive integers."""
    names = {
        "session_expire_seconds": "ROOKERY_SESSION_EXPIRE",
        "max_body_bytes": "ROOKERY_MAX_BODY_BYTES",
        "signin_user_failures": "ROOKERY_SIGNIN_USER_FAILURES",
        "signin_address_failures": "ROOKERY_SIGNIN_ADDRESS_FAILURES",
        "signin_window_seconds": "ROOKERY_SIGNIN_WINDOW",
        "hash_workers": "ROOKERY_HASH_WORKERS",
        "hash_backlog": "ROOKERY_HASH_BACKLOG",
        "resource_max_depth": "ROOKERY_RESOURCE_MAX_DEPTH",
        "worker_processes": "ROOKERY_WORKER_PROCESSES",
    }
    return {key: _positive(env, name, getattr(Settings, key)) for key, name in names.items()}


def _delivery_upkeep(env: Mapping[str, str]) -> dict[str, int]:
    """Retention of finished deliveries and the blocked-lane threshold: positive integers."""
    names = {
        "delivery_retention_days": "ROOKERY_DELIVERY_RETENTION_DAYS",
        "failed_retention_days": "ROOKERY_FAILED_RETENTION_DAYS",
        "lane_blocked_seconds": "ROOKERY_LANE_BLOCKED_SECONDS",
    }
    return {key: _positive(env, name, getattr(Settings, key)) for key, name in names.items()}
