"""Effective permission resolution, as tables over a service → route → route tree.

Levels: 0 is the target route R, 1 its parent route, 2 the service.
"""

from __future__ import annotations

import pytest

from rookery.domain.permissions import Access, Permission, Scope, parse_permission
from rookery.domain.resolution import (
    ADMIN_PRIORITY,
    ANONYMOUS_PRIORITY,
    Grant,
    Holder,
    Resolution,
    resolve,
    resolve_all,
)

ALICE = Holder("user", 1, "alice")
EDITORS = Holder("group", 10, "editors")
VIEWERS = Holder("group", 11, "viewers")
LEADS = Holder("group", 12, "leads", priority=5)
ANONYMOUS = Holder("group", 2, "anonymous", priority=ANONYMOUS_PRIORITY)
ADMINS = Holder("group", 1, "administrators", priority=ADMIN_PRIORITY)

Entry = tuple[int, Holder, str]


def chain_of(*entries: Entry, depth: int = 3) -> list[list[Grant]]:
    """Build a chain of ``depth`` levels from (level, holder, permission text) entries."""
    chain: list[list[Grant]] = [[] for _ in range(depth)]
    for level, holder, text in entries:
        chain[level].append(Grant(holder, parse_permission(text)))
    return chain


CASES: list[tuple[str, tuple[Entry, ...], str, str]] = [
    # (case id, grants, expected explicit permission, expected reason)
    ("nothing-found", (), "read-deny-match", "no-permission"),
    ("user-on-target", ((0, ALICE, "read-allow-match"),), "read-allow-match", "user:1:alice"),
    ("group-on-target", ((0, EDITORS, "read-match"),), "read-allow-match", "group:10:editors"),
    (
        "user-beats-group-same-resource",
        ((0, ALICE, "read-allow"), (0, EDITORS, "read-deny")),
        "read-allow-recursive",
        "user:1:alice",
    ),
    (
        "user-deny-beats-group-allow",
        ((0, ALICE, "read-deny"), (0, LEADS, "read-allow")),
        "read-deny-recursive",
        "user:1:alice",
    ),
    (
        "higher-priority-allow-beats-lower-deny",
        ((0, LEADS, "read-allow"), (0, EDITORS, "read-deny")),
        "read-allow-recursive",
        "group:12:leads",
    ),
    (
        "higher-priority-deny-beats-lower-allow",
        ((0, LEADS, "read-deny"), (0, EDITORS, "read-allow")),
        "read-deny-recursive",
        "group:12:leads",
    ),
    (
        "equal-priority-deny-beats-allow",
        ((0, EDITORS, "read-allow"), (0, VIEWERS, "read-deny")),
        "read-deny-recursive",
        "group:11:viewers",
    ),
    (
        "anonymous-loses-to-default-priority",
        ((0, ANONYMOUS, "read-deny"), (0, EDITORS, "read-allow")),
        "read-allow-recursive",
        "group:10:editors",
    ),
    (
        "administrators-group-priority-wins-among-groups",
        ((0, ADMINS, "read-allow"), (0, LEADS, "read-deny")),
        "read-allow-recursive",
        "group:1:administrators",
    ),
    (
        "equal-priority-same-access-is-multiple",
        ((0, EDITORS, "read-deny"), (0, VIEWERS, "read-deny")),
        "read-deny-recursive",
        "multiple",
    ),
    (
        "multiple-only-counts-winning-access",
        ((0, EDITORS, "read-deny"), (0, VIEWERS, "read-allow"), (0, LEADS, "read-allow")),
        "read-allow-recursive",
        "group:12:leads",
    ),
    (
        "recursive-beats-match-at-equal-priority",
        ((0, VIEWERS, "read-allow-recursive"), (0, EDITORS, "read-allow-match")),
        "read-allow-recursive",
        "group:11:viewers",
    ),
    (
        "equal-grants-of-two-groups-are-multiple",
        ((0, VIEWERS, "read-deny-match"), (0, EDITORS, "read-deny-match")),
        "read-deny-match",
        "multiple",
    ),
    (
        "match-on-target-counts",
        ((0, EDITORS, "read-allow-match"),),
        "read-allow-match",
        "group:10:editors",
    ),
    (
        "match-on-parent-ignored",
        ((1, EDITORS, "read-allow-match"),),
        "read-deny-match",
        "no-permission",
    ),
    (
        "match-on-service-ignored",
        ((2, ALICE, "read-allow-match"),),
        "read-deny-match",
        "no-permission",
    ),
    (
        "recursive-on-parent-counts",
        ((1, EDITORS, "read-allow-recursive"),),
        "read-allow-recursive",
        "group:10:editors",
    ),
    (
        "recursive-on-service-counts",
        ((2, ALICE, "read-deny-recursive"),),
        "read-deny-recursive",
        "user:1:alice",
    ),
    (
        "match-on-parent-skipped-for-recursive-on-service",
        ((1, EDITORS, "read-deny-match"), (2, EDITORS, "read-allow")),
        "read-allow-recursive",
        "group:10:editors",
    ),
    (
        "closer-group-beats-further-group",
        ((0, EDITORS, "read-allow"), (2, EDITORS, "read-deny")),
        "read-allow-recursive",
        "group:10:editors",
    ),
    (
        "higher-priority-group-further-up-beats-closer-group",
        ((1, EDITORS, "read-allow"), (2, LEADS, "read-deny")),
        "read-deny-recursive",
        "group:12:leads",
    ),
    (
        "default-group-on-service-beats-anonymous-on-target",
        ((0, ANONYMOUS, "read-deny-match"), (2, EDITORS, "read-allow")),
        "read-allow-recursive",
        "group:10:editors",
    ),
    (
        "user-further-up-beats-group-closer",
        ((0, LEADS, "read-deny-match"), (2, ALICE, "read-allow")),
        "read-allow-recursive",
        "user:1:alice",
    ),
    (
        "user-on-parent-beats-group-on-target",
        ((0, EDITORS, "read-allow"), (1, ALICE, "read-deny")),
        "read-deny-recursive",
        "user:1:alice",
    ),
    (
        "closer-user-beats-further-user",
        ((1, ALICE, "read-allow"), (2, ALICE, "read-deny")),
        "read-allow-recursive",
        "user:1:alice",
    ),
    (
        "user-match-above-does-not-beat-group",
        ((1, ALICE, "read-deny-match"), (2, EDITORS, "read-allow")),
        "read-allow-recursive",
        "group:10:editors",
    ),
    (
        "other-permission-names-ignored",
        ((0, ALICE, "write-allow"), (1, EDITORS, "write-deny")),
        "read-deny-match",
        "no-permission",
    ),
]


@pytest.mark.parametrize(
    ("grants", "explicit", "reason"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_resolution_table(grants: tuple[Entry, ...], explicit: str, reason: str) -> None:
    """Each arrangement of grants resolves to the documented permission and reason."""
    result = resolve("read", chain_of(*grants), is_admin=False)
    assert result.permission.explicit == explicit
    assert result.reason == reason
    assert result.allowed is (result.permission.access is Access.ALLOW)


@pytest.mark.parametrize(("grants", "explicit", "reason"), [case[1:] for case in CASES[:12]])
def test_result_does_not_depend_on_grant_order(
    grants: tuple[Entry, ...], explicit: str, reason: str
) -> None:
    """Reversing the grants within each level never changes the answer."""
    chain = [list(reversed(level)) for level in chain_of(*grants)]
    result = resolve("read", chain, is_admin=False)
    assert (result.permission.explicit, result.reason) == (explicit, reason)


@pytest.mark.parametrize(
    "grants",
    [(), ((0, ALICE, "read-deny"),), ((2, LEADS, "read-deny-recursive"),)],
)
def test_administrators_are_allowed_everything(grants: tuple[Entry, ...]) -> None:
    """An administrator is allowed whatever the grants say, with reason administrator."""
    result = resolve("read", chain_of(*grants), is_admin=True)
    assert result == Resolution(Permission("read", Access.ALLOW, Scope.RECURSIVE), "administrator")


def test_empty_chain_means_no_permission() -> None:
    """With no resources to walk, the answer is deny with reason no-permission."""
    result = resolve("read", [], is_admin=False)
    assert (result.allowed, result.reason) == (False, "no-permission")


def test_resolve_all_answers_each_name_in_order() -> None:
    """The effective listing resolves every requested name independently, in order."""
    chain = chain_of((0, ALICE, "write-deny-match"), (2, EDITORS, "read-allow"))
    results = resolve_all(["read", "write", "browse"], chain, is_admin=False)
    assert [(r.permission.explicit, r.reason) for r in results] == [
        ("read-allow-recursive", "group:10:editors"),
        ("write-deny-match", "user:1:alice"),
        ("browse-deny-match", "no-permission"),
    ]


def test_resolution_as_dict_is_effective_with_reason() -> None:
    """A resolution renders as an effective permission object (scope ``match``) with a reason."""
    result = resolve("read", chain_of((1, VIEWERS, "read-allow")), is_admin=False)
    assert result.as_dict() == {
        "name": "read",
        "access": "allow",
        "scope": "match",
        "type": "effective",
        "reason": "group:11:viewers",
    }
