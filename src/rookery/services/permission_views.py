"""How a permission just written is shown in the API's answer (Magpie's shapes, SPEC §2).

Invariant: a user's permission names the resource and user ids; a group's carries the full
resource and group views.
"""

from __future__ import annotations

from typing import Any

from rookery.db.models import Group, Resource, User
from rookery.domain.permissions import Permission, PermissionType
from rookery.services.groups import group_view
from rookery.services.resources import resource_view


def created_view(holder: User | Group, resource: Resource, perm: Permission) -> dict[str, Any]:
    """The answer to a created permission: Magpie's shape for a user or for a group."""
    shown = perm.as_dict(PermissionType.APPLIED)
    if isinstance(holder, User):
        return {
            "resource_id": resource.id,
            "user_id": holder.id,
            "permission_name": perm.explicit,
            "permission": shown,
        }
    return {
        "permission_name": perm.explicit,
        "permission": shown,
        "resource": resource_view(resource),
        "group": group_view(holder),
    }
