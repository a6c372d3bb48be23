"""Changing services and resources in place: ``PATCH /services/{s}`` and ``PATCH /resources/{id}``.

A service keeps its id, its tree and its permissions when renamed; its ``public_url`` follows the
new name because it is derived from it. No webhook action describes these changes (Magpie has
none either), so they publish no event.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import select

from rookery.db.models import Resource
from rookery.domain.names import name_key, validate_resource_name
from rookery.domain.service_configurations import (
    CONFIGURABLE_TYPES,
    configuration_view,
    is_configurable,
)
from rookery.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    UnprocessableError,
)
from rookery.services import catalog
from rookery.services.lookups import find_service, get_resource, get_service
from rookery.services.resources import check_configuration, check_service_name, check_url
from rookery.services.unit_of_work import UnitOfWork

RESERVED_SERVICE_NAMES = frozenset({"types"})
"""Names that would hide a route (``/services/types``)."""


def _given(value: object) -> bool:
    return value is not None and value != ""


NOT_GIVEN: Final = object()
"""``configuration`` absent from the request (``None`` given means: erase it)."""


def update_service(
    uow: UnitOfWork,
    service_name: str,
    new_name: object = None,
    new_url: object = None,
    configuration: object = NOT_GIVEN,
) -> dict[str, Any]:
    """Rename a service, move its URL or replace (``None``: erase) its configuration.

    Nothing that differs from the current values is 400 (a configuration counts with its
    defaults filled in); a configuration for a type that takes none is 400; ``types`` as a name
    is 403; a name another service holds is 409.
    """
    name = check_service_name(new_name) if _given(new_name) else None
    url = check_url(new_url) if _given(new_url) else None
    if configuration is not NOT_GIVEN:
        check_configuration(configuration)
    if name is not None and name.lower() in RESERVED_SERVICE_NAMES:
        raise ForbiddenError(
            f"'{name}' is reserved and cannot name a service", param="service_name", value=name
        )
    with uow:
        service = get_service(uow.session, service_name)
        renamed = name is not None and name != service.resource_name
        moved = url is not None and url != service.service_url
        reconfigured = configuration is not NOT_GIVEN and _reconfigures(service, configuration)
        if not (renamed or moved or reconfigured):
            raise InvalidInputError(
                "nothing to update: give a new service_name, service_url or configuration",
                param="service_name/service_url",
                value={"service_name": new_name, "service_url": new_url},
            )
        if renamed and name is not None:
            _check_free_service_name(uow, service, name)
            service.resource_name = name
            service.name_key = name_key(name)
            service.display_name = name
        if moved:
            service.service_url = url
        if reconfigured:
            service.configuration = configuration if isinstance(configuration, dict) else None
        uow.session.flush()
        view = catalog.service_view(service, uow.settings.twitcher_url)
        uow.commit()
    return view


def _reconfigures(service: Resource, configuration: object) -> bool:
    """Whether ``configuration`` changes the service's (400 for a type that takes none)."""
    kind = service.service_type or ""
    if not is_configurable(kind):
        raise InvalidInputError(
            f"services of type '{kind}' take no configuration",
            param="configuration",
            value=configuration,
            compare=sorted(CONFIGURABLE_TYPES),
        )
    if configuration is None:
        return service.configuration is not None
    given = configuration if isinstance(configuration, dict) else None
    return configuration_view(kind, given) != configuration_view(kind, service.configuration)


def _check_free_service_name(uow: UnitOfWork, service: Resource, name: str) -> None:
    other = find_service(uow.session, name)
    if other is not None and other.id != service.id:
        raise ConflictError(
            f"service '{name}' already exists",
            param="service_name",
            value=name,
            compare=[other.resource_name],
        )


def rename_resource(uow: UnitOfWork, resource_id: object, new_name: object) -> dict[str, Any]:
    """Rename a resource (or a service); same name 400, a sibling (or service) holding it 409."""
    if not _given(new_name):
        raise UnprocessableError(
            "resource_name is required (the new name)", param="resource_name", value=new_name
        )
    name = validate_resource_name(new_name)
    with uow:
        resource = get_resource(uow.session, resource_id)
        old = resource.resource_name
        if name == old:
            raise InvalidInputError(
                f"resource {resource.id} is already named '{old}'",
                param="resource_name",
                value=name,
            )
        if resource.parent_id is None:
            _check_free_service_name(uow, resource, name)
        else:
            sibling = uow.session.scalar(
                select(Resource.resource_name).where(
                    Resource.parent_id == resource.parent_id,
                    Resource.name_key == name_key(name),
                    Resource.id != resource.id,
                )
            )
            if sibling is not None:
                raise ConflictError(
                    f"a resource named '{name}' already exists under resource {resource.parent_id}",
                    param="resource_name",
                    value=name,
                    compare=[sibling],
                )
        if resource.parent_id is None or resource.display_name in (old, ""):
            resource.display_name = name  # a display name that only repeated the name follows it
        resource.resource_name = name
        resource.name_key = name_key(name)
        uow.session.flush()
        result = {
            "resource_id": resource.id,
            "resource_name": name,
            "old_resource_name": old,
            "new_resource_name": name,
        }
        uow.commit()
    return result
