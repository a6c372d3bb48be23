"""Objects declared in configuration files, registered at start (idempotently), as Magpie does.

Sections, as in Magpie's configuration files: ``providers`` (or ``services``): a mapping
``name → {url, type, sync_type?, configuration?}``; ``groups``: a list of
``{name, description?, discoverable?}``; ``users``: a list of
``{username (or user_name), password, email, group?}``; ``permissions``: a list of
``{service, resource? ('/a/b' path below the service), type?, permission, user? and/or group?,
action? (create | remove)}``. The sections come from the combined file
(``ROOKERY_CONFIG_PATH``) or, when it is unset, from Magpie's separate providers and
permissions files; the files are read in that order.

Rules, Magpie's:

* a new object publishes its event like an API change would (actor: none); an existing group
  or user is left as it is; an existing service whose URL differs gets the declared URL;
* every declared service whose type knows ``getcapabilities`` gets it for everyone, on the
  anonymous user itself as Magpie gives it (the API still lets nobody edit the anonymous
  user's permissions: 403), unless it already holds a ``getcapabilities`` permission there;
  with ``ROOKERY_PUBLIC_GETCAPABILITIES=false`` the start takes that permission back instead
  (the only way to, since the API cannot);
* a permission entry that cannot be applied (its service is missing, its user is missing, its
  action is unknown, its resource path cannot be built) is skipped with a warning naming the
  file and the entry; a group a permission names is created when missing;
* a malformed provider, group or user stops the start, naming the file.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import select

from rookery.db.models import Resource
from rookery.domain.names import name_key, validate_resource_name
from rookery.domain.permissions import parse_permission
from rookery.domain.service_types import SERVICE, allowed_permissions
from rookery.errors import (
    ConflictError,
    InvalidInputError,
    InvalidWebhookConfigError,
    NotFoundError,
    RookeryError,
)
from rookery.services import groups, permissions, renames, resources, users
from rookery.services.lookups import (
    ANONYMOUS,
    find_group,
    find_service,
    find_user,
    get_service,
    get_user,
)
from rookery.services.unit_of_work import UnitOfWork
from rookery.webhooks.config_files import read_config_documents

LOG = logging.getLogger("rookery.registration")


def register_config_objects(uow: UnitOfWork, path: str | Path) -> None:
    """Create every service, group, user and permission the configuration declares."""
    for source, document in read_config_documents(path):
        if not isinstance(document, dict):
            continue
        try:
            _register_document(uow, source, document)
        except RookeryError as error:
            raise InvalidWebhookConfigError(
                f"{source}: {error.detail}", param=error.param, value=error.value
            ) from error


def _register_document(uow: UnitOfWork, source: Path, document: dict[str, Any]) -> None:
    providers = document.get("providers") or document.get("services") or {}
    if isinstance(providers, dict):
        for name, spec in providers.items():
            _register_service(uow, str(name), spec if isinstance(spec, dict) else {})
    for spec in _items(document.get("groups")):
        with uow:
            exists = find_group(uow.session, str(spec.get("name", ""))) is not None
        if not exists:
            groups.create_group(
                uow, spec.get("name"), spec.get("description"), spec.get("discoverable", False)
            )
    for spec in _items(document.get("users")):
        name = spec.get("username", spec.get("user_name"))
        with uow:
            exists = find_user(uow.session, str(name or "")) is not None
        if not exists:
            users.create_user(uow, name, spec.get("email"), spec.get("password"), spec.get("group"))
    for number, spec in enumerate(_items(document.get("permissions")), start=1):
        try:
            _register_permission(uow, spec)
        except RookeryError as error:
            LOG.warning(
                "%s: permission #%d %s skipped: %s", source, number, _entry(spec), error.detail
            )


def _items(section: Any) -> list[dict[str, Any]]:
    return [item for item in section or [] if isinstance(item, dict)]


def _entry(spec: dict[str, Any]) -> str:
    """One permission entry as a log shows it: its keys in the file's order."""
    return "(" + ", ".join(f"{key}: {value}" for key, value in spec.items()) + ")"


def _register_service(uow: UnitOfWork, name: str, spec: dict[str, Any]) -> None:
    with uow:
        service = find_service(uow.session, name)
        current_url = None if service is None else service.service_url
    if service is None:
        resources.create_service(
            uow,
            name,
            spec.get("url"),
            spec.get("type"),
            spec.get("configuration"),
            spec.get("sync_type"),
        )
    elif spec.get("url") and spec.get("url") != current_url:
        renames.update_service(uow, name, new_url=spec.get("url"))
        LOG.info("service %s: URL %s replaced by %s", name, current_url, spec.get("url"))
    _open_capabilities(uow, name)


def _open_capabilities(uow: UnitOfWork, service_name: str) -> None:
    """Keep the anonymous user's ``getcapabilities`` on a declared service whose type knows
    it in line with ``ROOKERY_PUBLIC_GETCAPABILITIES``: given (Magpie's start), or taken back."""
    public = uow.settings.public_getcapabilities
    with uow:
        service = get_service(uow.session, service_name)
        if GET_CAPABILITIES not in allowed_permissions(service.service_type or "", SERVICE):
            return
        try:
            if public:
                permissions.apply_permission(
                    uow,
                    EVERYONE,
                    service,
                    parse_permission(GET_CAPABILITIES),
                    replace=False,
                    configured=True,
                )
            else:
                permissions.remove_permission(
                    uow, EVERYONE, service, GET_CAPABILITIES, configured=True
                )
        except (ConflictError, NotFoundError):
            return  # already as it should be (a given one stands, whatever its access)
        uow.commit()


GET_CAPABILITIES = "getcapabilities"
EVERYONE = permissions.HolderRef("user", ANONYMOUS)  # as Magpie: the anonymous user's own
ACTIONS = ("create", "remove")


def _register_permission(uow: UnitOfWork, spec: dict[str, Any]) -> None:
    """Apply one permission entry; raise a :class:`RookeryError` saying why it cannot be."""
    perm = parse_permission(spec.get("permission"))
    action = str(spec.get("action") or "create").lower()
    if action not in ACTIONS:
        raise InvalidInputError(
            f"unknown action {action!r}: expected create or remove", param="action", value=action
        )
    holders = [permissions.HolderRef("user", str(spec["user"]))] if spec.get("user") else []
    holders += [permissions.HolderRef("group", str(spec["group"]))] if spec.get("group") else []
    if not holders:
        raise InvalidInputError("names neither a user nor a group", param="user/group")
    for ref in holders:
        if ref.kind == "group":
            _ensure_group(uow, ref.name)
        with uow:
            if ref.kind == "user":
                get_user(uow.session, ref.name)  # a missing user is not made up: skipped
            target = _resolve_path(
                uow, str(spec.get("service", "")), spec.get("resource"), spec.get("type")
            )
            try:
                if action == "remove":
                    permissions.remove_permission(uow, ref, target, perm.name)
                else:
                    permissions.apply_permission(uow, ref, target, perm, replace=False)
            except (ConflictError, NotFoundError) as error:
                LOG.info(
                    "permission %s for %s %s: %s", perm.explicit, ref.kind, ref.name, error.detail
                )
                continue
            uow.commit()


def _ensure_group(uow: UnitOfWork, name: str) -> None:
    """Create the group a permission entry names when it is missing (Magpie does)."""
    with uow:
        exists = find_group(uow.session, name) is not None
    if not exists:
        groups.create_group(uow, name)
        LOG.info("group %s created for a permission of the configuration", name)


def _resolve_path(uow: UnitOfWork, service_name: str, path: Any, kind: Any) -> Resource:
    """The resource at ``/a/b`` below a service, created (as ``kind``) when missing."""
    node = get_service(uow.session, service_name)
    for part in [p for p in str(path or "").split("/") if p]:
        child = uow.session.scalar(
            select(Resource).where(
                Resource.parent_id == node.id, Resource.name_key == name_key(part)
            )
        )
        if child is None:
            child = resources.add_resource(
                uow, node, validate_resource_name(part), str(kind or "route"), part
            )
        node = child
    return node


def undeclared_services(documents: list[tuple[Path, Any]]) -> list[str]:
    """What ``rookery check-config`` reports: each permission entry whose service no
    ``providers`` section of ``documents`` declares (at start it is skipped unless the database
    already has that service), one line each."""
    declared: set[str] = set()
    for _, document in documents:
        if isinstance(document, dict):
            providers = document.get("providers") or document.get("services") or {}
            declared |= (
                {name_key(str(name)) for name in providers}
                if isinstance(providers, dict)
                else set()
            )
    lines = []
    for source, document in documents:
        entries = _items(document.get("permissions")) if isinstance(document, dict) else []
        for number, spec in enumerate(entries, start=1):
            service = str(spec.get("service", ""))
            if name_key(service) not in declared:
                lines.append(
                    f"{source}: permission #{number} {_entry(spec)}: service {service!r} is not "
                    "declared in a providers section; skipped at start unless it already exists"
                )
    return lines
