"""Objects declared in a combined configuration file, registered at start (idempotently).

Sections, as in Magpie's combined configuration: ``providers`` (or ``services``): a mapping
``name → {url, type, sync_type?, configuration?}``; ``groups``: a list of
``{name, description?, discoverable?}``; ``users``: a list of
``{username (or user_name), password, email, group?}``; ``permissions``: a list of
``{service, resource? ('/a/b' path below the service), type?, permission, user? and/or group?,
action? (create | remove)}``. Objects that already exist are left as they are; each new one
publishes its event like an API change would (actor: none).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import select

from rookery.db.models import Resource
from rookery.domain.names import name_key, validate_resource_name
from rookery.domain.permissions import parse_permission
from rookery.errors import ConflictError, InvalidWebhookConfigError, NotFoundError, RookeryError
from rookery.services import groups, permissions, resources, users
from rookery.services.lookups import find_group, find_service, find_user, get_service
from rookery.services.unit_of_work import UnitOfWork
from rookery.webhooks.config_files import read_config_documents

LOG = logging.getLogger("rookery.registration")


def register_config_objects(uow: UnitOfWork, path: str | Path) -> None:
    """Create every service, group, user and permission the configuration declares."""
    for source, document in read_config_documents(path):
        if not isinstance(document, dict):
            continue
        try:
            _register_document(uow, document)
        except RookeryError as error:
            raise InvalidWebhookConfigError(
                f"{source}: {error.detail}", param=error.param, value=error.value
            ) from error


def _register_document(uow: UnitOfWork, document: dict[str, Any]) -> None:
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
    for spec in _items(document.get("permissions")):
        _register_permission(uow, spec)


def _items(section: Any) -> list[dict[str, Any]]:
    return [item for item in section or [] if isinstance(item, dict)]


def _register_service(uow: UnitOfWork, name: str, spec: dict[str, Any]) -> None:
    with uow:
        exists = find_service(uow.session, name) is not None
    if not exists:
        resources.create_service(
            uow,
            name,
            spec.get("url"),
            spec.get("type"),
            spec.get("configuration"),
            spec.get("sync_type"),
        )


def _register_permission(uow: UnitOfWork, spec: dict[str, Any]) -> None:
    perm = parse_permission(spec.get("permission"))
    remove = str(spec.get("action", "create")).lower() == "remove"
    holders = [permissions.HolderRef("user", spec["user"])] if spec.get("user") else []
    holders += [permissions.HolderRef("group", spec["group"])] if spec.get("group") else []
    for ref in holders:
        with uow:
            target = _resolve_path(
                uow, str(spec.get("service", "")), spec.get("resource"), spec.get("type")
            )
            try:
                if remove:
                    permissions.remove_permission(uow, ref, target, perm.name)
                else:
                    permissions.apply_permission(uow, ref, target, perm, replace=False)
            except (ConflictError, NotFoundError) as error:
                LOG.info(
                    "permission %s for %s %s: %s", perm.explicit, ref.kind, ref.name, error.detail
                )
                continue
            uow.commit()


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
