"""Permissions as values: what a permission is, how clients may write one, and whether a name
may be applied on a given kind of resource.

A permission is a ``(name, access, scope)`` triple; its canonical ("explicit") text is
``name-access-scope``, e.g. ``read-allow-match``.

Invariants:

* a :class:`Permission` built by :func:`parse_permission` always has a known name (one of
  :data:`~rookery.domain.service_types.ALL_PERMISSION_NAMES`) and a valid access and scope;
* every accepted spelling of the same permission parses to the same value, so equality of
  :class:`Permission` objects is equality of meaning;
* defaults are ``allow`` and ``recursive``, as in Magpie;
* a malformed value is :class:`~rookery.errors.InvalidInputError`; a well-formed value whose
  name nobody knows is :class:`~rookery.errors.UnprocessableError`; a known name that is not
  allowed on that resource type is :class:`~rookery.errors.InvalidInputError`
  (:func:`check_permission_allowed`).

Accepted inputs (letter case and surrounding spaces are ignored): ``read``, ``read-allow``,
``read-deny``, ``read-match``, ``read-recursive``, ``read-allow-match`` (only in the order
name-access-scope), and an object ``{"name", "access"?, "scope"?}``; other keys of the object
(``type``, ``reason``) are ignored so that a client may send back what it read.

The ``type`` of a rendered permission (:meth:`Permission.as_dict`) says which *set* it belongs
to, with Magpie's vocabulary (:class:`PermissionType`): ``applied`` for a permission stored on a
user or group, ``allowed`` for one a resource type admits, ``direct``/``inherited`` for a user's own
versus one of its groups' in ``?inherited=true`` listings, ``effective`` for a resolved answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from rookery.domain.service_types import ALL_PERMISSION_NAMES, allowed_permissions
from rookery.errors import InvalidInputError, UnprocessableError

__all__ = [
    "Access",
    "Permission",
    "PermissionType",
    "Scope",
    "check_permission_allowed",
    "parse_permission",
]


class Access(StrEnum):
    """Whether a permission grants or refuses."""

    ALLOW = "allow"
    DENY = "deny"


class Scope(StrEnum):
    """Whether a permission covers only its resource (match) or the subtree (recursive)."""

    MATCH = "match"
    RECURSIVE = "recursive"


class PermissionType(StrEnum):
    """Which set a rendered permission belongs to (the ``type`` key of its JSON form)."""

    ALLOWED = "allowed"
    APPLIED = "applied"
    DIRECT = "direct"
    INHERITED = "inherited"
    EFFECTIVE = "effective"


@dataclass(frozen=True)
class Permission:
    """A permission name with its access and scope."""

    name: str
    access: Access = Access.ALLOW
    scope: Scope = Scope.RECURSIVE

    @property
    def explicit(self) -> str:
        """The canonical text, ``name-access-scope``."""
        return f"{self.name}-{self.access.value}-{self.scope.value}"

    def as_dict(self, type_: PermissionType | str = PermissionType.APPLIED) -> dict[str, str]:
        """Render as the API's ``{name, access, scope, type}`` object."""
        return {
            "name": self.name,
            "access": self.access.value,
            "scope": self.scope.value,
            "type": PermissionType(type_).value,
        }


_ACCESSES = {a.value: a for a in Access}
_SCOPES = {s.value: s for s in Scope}
_FORMS = "'name', 'name-access', 'name-scope', 'name-access-scope' or {\"name\", ...}"


def _malformed(value: object, why: str) -> InvalidInputError:
    return InvalidInputError(
        f"Permission {value!r} is malformed: {why}; expected {_FORMS}.",
        param="permission",
        value=value,
    )


def _known_name(name: str, value: object) -> str:
    if name not in ALL_PERMISSION_NAMES:
        raise UnprocessableError(
            f"Permission name {name!r} is unknown; expected one of "
            f"{', '.join(sorted(ALL_PERMISSION_NAMES))}.",
            param="permission",
            value=value,
            compare=sorted(ALL_PERMISSION_NAMES),
        )
    return name


def _parse_text(value: str) -> Permission:
    parts = value.strip().lower().split("-")
    if any(not part for part in parts):
        raise _malformed(value, "a part is empty")
    if len(parts) == 1:
        return Permission(_known_name(parts[0], value))
    if len(parts) == 2:
        name, extra = parts
        if extra in _ACCESSES:
            return Permission(_known_name(name, value), access=_ACCESSES[extra])
        if extra in _SCOPES:
            return Permission(_known_name(name, value), scope=_SCOPES[extra])
        raise _malformed(value, f"{extra!r} is neither an access nor a scope")
    if len(parts) == 3:
        name, access, scope = parts
        if access not in _ACCESSES:
            raise _malformed(value, f"{access!r} is not an access (allow or deny)")
        if scope not in _SCOPES:
            raise _malformed(value, f"{scope!r} is not a scope (match or recursive)")
        return Permission(_known_name(name, value), _ACCESSES[access], _SCOPES[scope])
    raise _malformed(value, "too many parts")


def _field(value: Mapping[str, object], key: str, choices: tuple[str, ...], default: str) -> str:
    raw = value.get(key)
    if raw is None:
        return default
    if not isinstance(raw, str) or raw.strip().lower() not in choices:
        raise _malformed(value, f"{key} must be one of {', '.join(choices)}")
    return raw.strip().lower()


def _parse_mapping(value: Mapping[str, object]) -> Permission:
    name = value.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _malformed(value, "the object has no 'name' string")
    access = _field(value, "access", tuple(_ACCESSES), Access.ALLOW.value)
    scope = _field(value, "scope", tuple(_SCOPES), Scope.RECURSIVE.value)
    return Permission(_known_name(name.strip().lower(), value), Access(access), Scope(scope))


def parse_permission(value: object) -> Permission:
    """Return the permission written as ``value`` (a string or an object; see module doc)."""
    if isinstance(value, Permission):
        return value
    if isinstance(value, str):
        return _parse_text(value)
    if isinstance(value, Mapping):
        return _parse_mapping(value)
    raise _malformed(value, "it is neither a string nor an object")


def check_permission_allowed(permission: Permission, service_type: str, resource_type: str) -> None:
    """Raise :class:`InvalidInputError` unless ``permission`` may be applied on that type."""
    allowed = allowed_permissions(service_type, resource_type)
    if permission.name not in allowed:
        raise InvalidInputError(
            f"Permission {permission.name!r} cannot be applied on a {resource_type!r} of a "
            f"{service_type!r} service; allowed: {', '.join(allowed)}.",
            param="permission",
            value=permission.explicit,
            compare=list(allowed),
        )
