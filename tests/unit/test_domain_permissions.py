"""Permission values: accepted spellings, errors for unknown or malformed ones, placement."""

from __future__ import annotations

import pytest

from rookery.domain.permissions import (
    Access,
    Permission,
    PermissionType,
    Scope,
    check_permission_allowed,
    parse_permission,
)
from rookery.errors import InvalidInputError, UnprocessableError

ALLOW, DENY = Access.ALLOW, Access.DENY
MATCH, RECURSIVE = Scope.MATCH, Scope.RECURSIVE


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("read", Permission("read", ALLOW, RECURSIVE)),
        ("read-match", Permission("read", ALLOW, MATCH)),
        ("read-recursive", Permission("read", ALLOW, RECURSIVE)),
        ("read-deny", Permission("read", DENY, RECURSIVE)),
        ("read-allow", Permission("read", ALLOW, RECURSIVE)),
        ("read-allow-match", Permission("read", ALLOW, MATCH)),
        ("read-allow-recursive", Permission("read", ALLOW, RECURSIVE)),
        ("write-deny-match", Permission("write", DENY, MATCH)),
        ("getcapabilities-deny-recursive", Permission("getcapabilities", DENY, RECURSIVE)),
        (" READ-Deny-MATCH ", Permission("read", DENY, MATCH)),
        ({"name": "read"}, Permission("read", ALLOW, RECURSIVE)),
        ({"name": "read", "access": "deny"}, Permission("read", DENY, RECURSIVE)),
        ({"name": "read", "scope": "match"}, Permission("read", ALLOW, MATCH)),
        (
            {"name": "execute", "access": "deny", "scope": "match"},
            Permission("execute", DENY, MATCH),
        ),
        ({"name": "read", "access": None, "scope": None}, Permission("read", ALLOW, RECURSIVE)),
        (
            {"name": "read", "access": "allow", "scope": "match", "type": "applied"},
            Permission("read", ALLOW, MATCH),
        ),
    ],
)
def test_every_accepted_form_parses(value: object, expected: Permission) -> None:
    """Implicit, explicit and object spellings parse to the same permission value."""
    assert parse_permission(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "fly",
        "fly-allow-match",
        "fly-deny",
        "reads",
        {"name": "fly"},
        {"name": "fly", "scope": "match"},
    ],
)
def test_unknown_permission_name_is_unprocessable(value: object) -> None:
    """A well-formed permission with a name nobody knows is the unknown-value error."""
    with pytest.raises(UnprocessableError) as caught:
        parse_permission(value)
    assert caught.value.param == "permission"
    assert "unknown" in caught.value.detail


@pytest.mark.parametrize(
    "value",
    [
        "",
        "-",
        "read-",
        "-read",
        "read--match",
        "read-maybe",
        "read-match-allow",
        "read-allow-always",
        "read-allow-match-extra",
        {},
        {"name": ""},
        {"name": 3},
        {"name": "read", "access": "maybe"},
        {"name": "read", "scope": "everywhere"},
        {"name": "read", "access": 1},
        None,
        42,
        ["read"],
    ],
)
def test_malformed_permission_is_invalid_but_not_unprocessable(value: object) -> None:
    """A value that is not shaped like a permission is malformed input, not an unknown name."""
    with pytest.raises(InvalidInputError) as caught:
        parse_permission(value)
    assert not isinstance(caught.value, UnprocessableError)
    assert caught.value.param == "permission"
    assert "malformed" in caught.value.detail


@pytest.mark.parametrize(
    ("permission", "explicit"),
    [
        (Permission("read"), "read-allow-recursive"),
        (Permission("read", ALLOW, MATCH), "read-allow-match"),
        (Permission("write", DENY, RECURSIVE), "write-deny-recursive"),
    ],
)
def test_explicit_form_round_trips(permission: Permission, explicit: str) -> None:
    """The explicit text is name-access-scope and parses back to the same permission."""
    assert permission.explicit == explicit
    assert parse_permission(explicit) == permission


@pytest.mark.parametrize("type_", [PermissionType.APPLIED, "inherited", "effective", "allowed"])
def test_as_dict_renders_the_api_object(type_: PermissionType | str) -> None:
    """The JSON form carries name, access, scope and the permission set type."""
    rendered = Permission("read", DENY, MATCH).as_dict(type_)
    assert rendered == {"name": "read", "access": "deny", "scope": "match", "type": str(type_)}


def test_as_dict_defaults_to_applied() -> None:
    """Without a type, a permission renders as applied (stored on a user or group)."""
    assert Permission("read").as_dict()["type"] == "applied"


def test_as_dict_refuses_an_unknown_type() -> None:
    """An unknown permission set type is a programming error, not silently rendered."""
    with pytest.raises(ValueError, match="nonsense"):
        Permission("read").as_dict("nonsense")


@pytest.mark.parametrize(
    ("name", "service_type", "resource_type", "allowed"),
    [
        ("read", "api", "service", True),
        ("write", "api", "route", True),
        ("execute", "api", "route", False),
        ("getcapabilities", "wps", "service", True),
        ("getcapabilities", "wps", "process", False),
        ("execute", "wps", "process", True),
        ("browse", "thredds", "directory", True),
        ("browse", "thredds", "file", True),
        ("getcapabilities", "ncwms", "file", True),
        ("access", "access", "service", True),
        ("read", "access", "service", False),
        ("getmap", "wms", "layer", True),
        ("transaction", "wfs", "layer", True),
    ],
)
def test_check_permission_allowed(
    name: str, service_type: str, resource_type: str, allowed: bool
) -> None:
    """A permission name outside the table's list for that resource type is invalid input."""
    permission = Permission(name)
    if allowed:
        check_permission_allowed(permission, service_type, resource_type)
    else:
        with pytest.raises(InvalidInputError) as caught:
            check_permission_allowed(permission, service_type, resource_type)
        assert not isinstance(caught.value, UnprocessableError)
        assert caught.value.param == "permission"
        assert name in caught.value.detail
