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
4. when no user grant applies anywhere, the **closest** level holding an applicable group grant
   decides, and grants further up are not consulted; at that level the highest group priority
   wins, and among grants of that priority ``deny`` beats ``allow``;
5. nothing applicable anywhere means deny (reason ``no-permission``, scope ``match``).

Reason when groups decide: ``group:<id>:<name>`` when one group supplied the winning access at
the winning priority; ``multiple`` when two or more distinct groups of that priority supplied the
same winning access (e.g. two priority-0 groups both deny). Groups that lost (lower priority, or
allow beaten by deny) never make the reason ``multiple``.

Invariants: the result never depends on the order of grants within one level; its permission
always carries P's name; its scope is the one found (for ``multiple``, that of the group with the
lowest id, so the answer is deterministic); administrators get ``allow``/``recursive``.
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
        """Render as the API's permission object with ``type`` effective and the reason."""
        return {**self.permission.as_dict(PermissionType.EFFECTIVE), "reason": self.reason}


def _applicable(permission_name: str, grants: Sequence[Grant], on_target: bool) -> list[Grant]:
    return [
        grant
        for grant in grants
        if grant.permission.name == permission_name
        and (on_target or grant.permission.scope is Scope.RECURSIVE)
    ]


def _strongest(grants: Sequence[Grant]) -> list[Grant]:
    """Return the grants carrying the winning access (deny over allow), lowest holder id first."""
    denies = [grant for grant in grants if grant.permission.access is Access.DENY]
    winners = denies or list(grants)
    return sorted(winners, key=lambda grant: grant.holder.id)


def _from_user(grants: Sequence[Grant]) -> Resolution:
    # One grant per (holder, resource, name) is the rule; deny first if data ever breaks it.
    winner = _strongest(grants)[0]
    return Resolution(winner.permission, winner.holder.reason)


def _from_groups(grants: Sequence[Grant]) -> Resolution:
    top = max(grant.holder.priority for grant in grants)
    winners = _strongest([grant for grant in grants if grant.holder.priority == top])
    holders = {grant.holder.id for grant in winners}
    reason = REASON_MULTIPLE if len(holders) > 1 else winners[0].holder.reason
    return Resolution(winners[0].permission, reason)


def resolve(
    permission_name: str, chain: Sequence[Sequence[Grant]], *, is_admin: bool
) -> Resolution:
    """Resolve ``permission_name`` for one user over ``chain`` (R first, its service last)."""
    if is_admin:
        return Resolution(
            Permission(permission_name, Access.ALLOW, Scope.RECURSIVE), REASON_ADMINISTRATOR
        )
    closest_groups: list[Grant] | None = None
    for depth, grants in enumerate(chain):
        applicable = _applicable(permission_name, grants, on_target=depth == 0)
        users = [grant for grant in applicable if grant.holder.kind == "user"]
        if users:
            return _from_user(users)
        groups = [grant for grant in applicable if grant.holder.kind == "group"]
        if groups and closest_groups is None:
            closest_groups = groups
    if closest_groups:
        return _from_groups(closest_groups)
    return Resolution(Permission(permission_name, Access.DENY, Scope.MATCH), REASON_NO_PERMISSION)


def resolve_all(
    permission_names: Iterable[str], chain: Sequence[Sequence[Grant]], *, is_admin: bool
) -> list[Resolution]:
    """Resolve each name in ``permission_names`` in order (the ``?effective=true`` listing)."""
    return [resolve(name, chain, is_admin=is_admin) for name in permission_names]
