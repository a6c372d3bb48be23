"""Effective permissions: the answer to "may this user do P on resource R?", as a pure function
of the permissions found on R and its ancestors.

The caller gathers, for each resource from R up to its service, the grants held by the user and
by the user's groups (``chain[0]`` is R itself, ``chain[-1]`` the service) and says whether the
user is an administrator. :func:`resolve` then applies SPEC §1 (Magpie's documented order):

1. an administrator is allowed everything (reason ``administrator``);
2. a grant *applies* when it names P and is either on R itself (any scope) or further up with
   scope ``recursive``; ``match`` grants above R are ignored;
3. the walk goes from R upwards; the first level holding an applicable grant **of the user**
   decides, even when a group grant was found closer: a user's own permission beats every group
   permission at any distance (reason ``user:<id>:<name>``);
4. when no user grant applies anywhere, the highest group priority among all applicable group
   grants decides first (a default group's grant on the service beats an ``anonymous`` grant on
   R, as in Magpie's own suite); among grants of that priority the **closest** level decides;
   at that level ``deny`` beats ``allow``, then ``recursive`` beats ``match``;
5. nothing applicable anywhere means deny (reason ``no-permission``).

Reason when groups decide: ``group:<id>:<name>`` when one group supplied the winning grant;
``multiple`` when two or more distinct groups supplied equally strong winning grants (same
priority, level, access and scope). Groups that lost never make the reason ``multiple``.

An effective permission is reported with scope ``match`` (it answers for R alone, the tree
already walked), as Magpie reports it. :func:`resolve_level` is the same rule on one resource
alone (the ``resolve`` listings): the user's own grant, else the highest priority, then deny,
then recursive.

Invariants: the result never depends on the order of grants within one level; its permission
always carries P's name; its scope is the one found (reported as ``match``); administrators get
``allow``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from rookery.domain.permissions import Access, Permission, PermissionType, Scope

__all__ = [
    "ADMIN_PRIORITY",
    "ANONYMOUS_PRIORITY",
    "DEFAULT_PRIORITY",
    "REASON_ADMINISTRATOR",
    "REASON_MULTIPLE",
    "REASON_NO_PERMISSION",
    "Grant",
    "Holder",
    "Resolution",
    "resolve",
    "resolve_all",
    "resolve_level",
]

# "max" priority of the administrators group; the largest value a 32-bit INTEGER column holds.
ADMIN_PRIORITY: Final = 2**31 - 1
ANONYMOUS_PRIORITY: Final = -1
DEFAULT_PRIORITY: Final = 0

REASON_ADMINISTRATOR: Final = "administrator"
REASON_MULTIPLE: Final = "multiple"
REASON_NO_PERMISSION: Final = "no-permission"


@dataclass(frozen=True)
class Holder:
    """The user or group a permission is applied to; ``priority`` matters only for groups."""

    kind: Literal["user", "group"]
    id: int
    name: str
    priority: int = DEFAULT_PRIORITY

    @property
    def reason(self) -> str:
        """The reason string naming this holder, e.g. ``group:3:editors``."""
        return f"{self.kind}:{self.id}:{self.name}"


@dataclass(frozen=True)
class Grant:
    """One permission applied to one holder on one resource."""

    holder: Holder
    permission: Permission


@dataclass(frozen=True)
class Resolution:
    """The resolved permission (its access is the answer) and why."""

    permission: Permission
    reason: str

    @property
    def allowed(self) -> bool:
        """Whether the user may do it."""
        return self.permission.access is Access.ALLOW

    def as_dict(self) -> dict[str, str]:
        """Render as the API's permission object: scope ``match``, type ``effective``, reason."""
        shown = Permission(self.permission.name, self.permission.access, Scope.MATCH)
        return {**shown.as_dict(PermissionType.EFFECTIVE), "reason": self.reason}


def _applicable(permission_name: str, grants: Sequence[Grant], on_target: bool) -> list[Grant]:
    return [
        grant
        for grant in grants
        if grant.permission.name == permission_name
        and (on_target or grant.permission.scope is Scope.RECURSIVE)
    ]


def _strength(grant: Grant) -> tuple[bool, bool]:
    """Deny beats allow; then recursive beats match."""
    return (grant.permission.access is Access.DENY, grant.permission.scope is Scope.RECURSIVE)


def _strongest(grants: Sequence[Grant]) -> list[Grant]:
    """Return the grants of the winning strength, lowest holder id first."""
    top = max(_strength(grant) for grant in grants)
    return sorted((g for g in grants if _strength(g) == top), key=lambda grant: grant.holder.id)


def _from_user(grants: Sequence[Grant]) -> Resolution:
    # One grant per (holder, resource, name) is the rule; deny first if data ever breaks it.
    winner = _strongest(grants)[0]
    return Resolution(winner.permission, winner.holder.reason)


def _from_groups(grants: Sequence[Grant]) -> Resolution:
    winners = _strongest(grants)
    holders = {grant.holder.id for grant in winners}
    reason = REASON_MULTIPLE if len(holders) > 1 else winners[0].holder.reason
    return Resolution(winners[0].permission, reason)


def resolve_level(grants: Sequence[Grant]) -> list[tuple[Grant, str]]:
    """One grant per name on a single resource, with its reason (``multiple`` for a tie)."""
    by_name: dict[str, list[Grant]] = {}
    for grant in grants:
        by_name.setdefault(grant.permission.name, []).append(grant)
    chosen: list[tuple[Grant, str]] = []
    for same_name in by_name.values():
        users = [grant for grant in same_name if grant.holder.kind == "user"]
        if users:
            winner = _strongest(users)[0]
            chosen.append((winner, winner.holder.reason))
            continue
        top = max(grant.holder.priority for grant in same_name)
        decided = _from_groups([g for g in same_name if g.holder.priority == top])
        winner = next(g for g in same_name if g.permission == decided.permission)
        chosen.append((winner, decided.reason))
    return chosen


def resolve(
    permission_name: str, chain: Sequence[Sequence[Grant]], *, is_admin: bool
) -> Resolution:
    """Resolve ``permission_name`` for one user over ``chain`` (R first, its service last)."""
    if is_admin:
        return Resolution(
            Permission(permission_name, Access.ALLOW, Scope.RECURSIVE), REASON_ADMINISTRATOR
        )
    groups: list[tuple[int, Grant]] = []
    for depth, grants in enumerate(chain):
        applicable = _applicable(permission_name, grants, on_target=depth == 0)
        users = [grant for grant in applicable if grant.holder.kind == "user"]
        if users:
            return _from_user(users)
        groups += [(depth, grant) for grant in applicable if grant.holder.kind == "group"]
    if groups:
        top = max(grant.holder.priority for _, grant in groups)
        closest = min(depth for depth, grant in groups if grant.holder.priority == top)
        return _from_groups(
            [g for depth, g in groups if depth == closest and g.holder.priority == top]
        )
    return Resolution(Permission(permission_name, Access.DENY, Scope.MATCH), REASON_NO_PERMISSION)


def resolve_all(
    permission_names: Iterable[str], chain: Sequence[Sequence[Grant]], *, is_admin: bool
) -> list[Resolution]:
    """Resolve each name in ``permission_names`` in order (the ``?effective=true`` listing)."""
    return [resolve(name, chain, is_admin=is_admin) for name in permission_names]
