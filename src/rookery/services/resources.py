"""Service and resource use cases: the resource trees permissions are applied on.

Invariants: a new resource lies at most ``resource_max_depth`` levels below its service (400
naming ``parent_id`` otherwise); trees of any depth — including ones written before the limit —
are rendered and deleted without recursion (``rookery.db.trees`` walks them in SQL).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from rookery.db import trees
from rookery.db.models import Resource
from rookery.domain.names import (
    MAX_URL_LENGTH,
    name_key,
    validate_display_name,
    validate_resource_name,
)
from rookery.domain.service_types import SERVICE, check_child_type_allowed, get_service_type
from rookery.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    UnprocessableError,
)
from rookery.services import catalog, events
from rookery.services.conflicts import settle_races
from rookery.services.lookups import find_service, get_resource, get_service, root_of
from rookery.services.unit_of_work import UnitOfWork
from rookery.webhooks.actions import WebhookAction


def resource_view(resource: Resource) -> dict[str, Any]:
    """A resource as the API renders it in create responses."""
    return {
        "resource_name": resource.resource_name,
        "resource_display_name": resource.display_name,
        "resource_type": resource.resource_type,
        "resource_id": resource.id,
        "parent_id": resource.parent_id,
        "root_service_id": resource.root_service_id,
    }


def check_service_name(value: object) -> str:
    """A valid service name (errors name ``service_name``)."""
    try:
        return validate_resource_name(value)
    except InvalidInputError as error:
        raise InvalidInputError(
            error.detail.replace("Resource name", "Service name"),
            param="service_name",
            value=value,
        ) from None


def check_configuration(value: object) -> None:
    """Raise unless ``value`` is absent or a JSON object."""
    if value is not None and not isinstance(value, dict):
        raise InvalidInputError(
            "configuration must be a JSON object", param="configuration", value=value
        )


def check_url(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidInputError(
            "service_url is required (an absolute http(s) URL)", param="service_url", value=value
        )
    if len(value) > MAX_URL_LENGTH:
        raise InvalidInputError(
            f"service_url is too long: at most {MAX_URL_LENGTH} characters", param="service_url"
        )
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInputError(
            f"service_url must be an absolute http(s) URL, got {value!r}",
            param="service_url",
            value=value,
        )
    return value


@settle_races
def create_service(
    uow: UnitOfWork,
    service_name: object,
    service_url: object,
    service_type: object,
    configuration: object = None,
    sync_type: object = None,
) -> dict[str, Any]:
    """Register a service; 409 on a duplicate name, 400 on an unknown type."""
    name = check_service_name(service_name)
    url = check_url(service_url)
    kind = get_service_type(service_type).name
    check_configuration(configuration)
    if sync_type is not None and (not isinstance(sync_type, str) or len(sync_type) > 32):
        raise InvalidInputError(
            "service_sync_type must be a string of at most 32 characters",
            param="service_sync_type",
            value=sync_type,
        )
    with uow:
        taken = find_service(uow.session, name)
        if taken is not None:
            raise ConflictError(
                f"service '{name}' already exists",
                param="service_name",
                value=name,
                compare=[taken.resource_name],
            )
        service = Resource(
            resource_name=name,
            name_key=name_key(name),
            display_name=name,
            resource_type=SERVICE,
            service_type=kind,
            service_url=url,
            sync_type=sync_type,
            configuration=configuration,
        )
        uow.session.add(service)
        uow.session.flush()
        _publish(uow, WebhookAction.CREATE_SERVICE, service, service)
        view = catalog.service_view(service, uow.settings.twitcher_url)
        uow.commit()
    return view


def delete_service(uow: UnitOfWork, service_name: str) -> None:
    """Delete a service with every resource and permission below it."""
    with uow:
        service = get_service(uow.session, service_name)
        _publish(uow, WebhookAction.DELETE_SERVICE, service, service)
        _delete_subtree(uow.session, service)
        uow.commit()


def _parent(session: Session, parent_id: object, service_name: str | None) -> Resource:
    """The parent named by ``parent_id`` (errors name ``parent_id``), inside ``service_name``."""
    if parent_id is None or parent_id == "":
        raise UnprocessableError("parent_id is required (an integer)", param="parent_id")
    try:
        parent = get_resource(session, parent_id)
    except (InvalidInputError, NotFoundError) as error:
        detail = error.detail.replace("resource_id", "parent_id")
        raise type(error)(
            detail, param="parent_id", value=error.value, compare=error.compare, check=error.check
        ) from None
    if service_name is not None:
        service = get_service(session, service_name)
        if root_of(session, parent).id != service.id:
            # Magpie: 403, comparing the parent with the service the path names.
            raise ForbiddenError(
                f"parent {parent.id} is not in service '{service_name}'",
                param="parent_id",
                value=parent.id,
                compare=service.id,
            )
    return parent


def add_resource(
    uow: UnitOfWork, parent: Resource, name: str, resource_type: str, display_name: str
) -> Resource:
    """Add a child inside an open unit of work: type rules, sibling names, ``create_resource``."""
    root = root_of(uow.session, parent)
    check_child_type_allowed(root.service_type or "", parent.resource_type, resource_type)
    _check_depth(uow, parent)
    sibling = uow.session.scalar(
        select(Resource.resource_name).where(
            Resource.parent_id == parent.id, Resource.name_key == name_key(name)
        )
    )
    if sibling is not None:
        raise ConflictError(
            f"a resource named '{name}' already exists under resource {parent.id}",
            param="resource_name",
            value=name,
            compare=[sibling],
        )
    resource = Resource(
        resource_name=name,
        name_key=name_key(name),
        display_name=display_name,
        resource_type=resource_type,
        parent_id=parent.id,
        root_service_id=root.id,
    )
    uow.session.add(resource)
    uow.session.flush()
    _publish(uow, WebhookAction.CREATE_RESOURCE, resource, root)
    return resource


@settle_races
def create_resource(
    uow: UnitOfWork,
    resource_name: object,
    resource_type: object,
    parent_id: object,
    display_name: object = None,
    *,
    service_name: str | None = None,
) -> dict[str, Any]:
    """Create a resource under a service or resource; 409 on a sibling name conflict.

    With ``service_name`` (the ``/services/{s}/resources`` route) the parent must lie in that
    service.
    """
    name = validate_resource_name(resource_name)
    if not isinstance(resource_type, str) or not resource_type:
        raise InvalidInputError(
            "resource_type is required (a string)", param="resource_type", value=resource_type
        )
    shown = validate_display_name(display_name, name)
    with uow:
        parent = _parent(uow.session, parent_id, service_name)
        resource = add_resource(uow, parent, name, resource_type, shown)
        view = resource_view(resource)
        uow.commit()
    return view


def delete_resource(uow: UnitOfWork, resource_id: object) -> None:
    """Delete a resource (or service) and everything below it."""
    with uow:
        resource = get_resource(uow.session, resource_id)
        root = root_of(uow.session, resource)
        action = (
            WebhookAction.DELETE_SERVICE
            if resource.parent_id is None
            else WebhookAction.DELETE_RESOURCE
        )
        _publish(uow, action, resource, root)
        _delete_subtree(uow.session, resource)
        uow.commit()


# Bound on ids per DELETE statement (SQLite limits bound parameters per statement).
_DELETE_CHUNK = 500


def _delete_subtree(session: Session, resource: Resource) -> None:
    """Delete the deepest level first, so no cascade ever has to walk down a chain.

    A single DELETE of the top would cascade level by level: SQLite runs each level as a
    nested trigger and stops at its trigger depth limit (1,000).
    """
    by_depth: dict[int, list[int]] = {}
    for node, depth in trees.descendants(session, resource.id):
        by_depth.setdefault(depth, []).append(node.id)
    for depth in sorted(by_depth, reverse=True):
        ids = by_depth[depth]
        for start in range(0, len(ids), _DELETE_CHUNK):
            chunk = ids[start : start + _DELETE_CHUNK]
            session.execute(
                delete(Resource).where(Resource.id.in_(chunk)),
                execution_options={"synchronize_session": False},
            )


def _check_depth(uow: UnitOfWork, parent: Resource) -> None:
    limit = uow.settings.resource_max_depth
    depth = trees.depth_of(uow.session, parent.id) + 1
    if depth > limit:
        raise InvalidInputError(
            f"parent_id {parent.id} is {depth - 1} level(s) below its service; resources may "
            f"nest at most {limit} levels deep (ROOKERY_RESOURCE_MAX_DEPTH)",
            param="parent_id",
            value=parent.id,
        )


def _publish(uow: UnitOfWork, action: WebhookAction, resource: Resource, root: Resource) -> None:
    events.publish(
        uow,
        action,
        f"service:{root.id}",
        events.resource_params(resource, root, uow.settings.twitcher_url),
    )
