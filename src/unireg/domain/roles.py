"""Roles and the actions each one may take. Pure, no I/O.

data-scientist: register, view and compare versions of their clients.
ml-engineer: also promote to staging (and back to development) and record checks.
operations-lead: also promote to production, archive, deprecate, roll back, repair.
client-viewer: read-only, for the clients it is given.
agency-admin: everything, for every client.
"""

from __future__ import annotations

from enum import StrEnum

from unireg.errors import RefusedError


class Role(StrEnum):
    CLIENT_VIEWER = "client-viewer"
    DATA_SCIENTIST = "data-scientist"
    ML_ENGINEER = "ml-engineer"
    OPERATIONS_LEAD = "operations-lead"
    AGENCY_ADMIN = "agency-admin"


class Action(StrEnum):
    VIEW = "view"
    REGISTER = "register"
    PROMOTE_STAGING = "promote to staging or development"
    RECORD_CHECK = "record a check result"
    PROMOTE_PRODUCTION = "promote to production, archived or deprecated"
    ROLLBACK = "roll back"
    REPAIR = "repair an interrupted operation"
    OVERRIDE = "override a failed checklist"


# The minimum role that may take each action. Roles are ordered, and each includes
# the ones before it. Overriding the checklist is granted separately by policy.
_LADDER = [
    Role.CLIENT_VIEWER,
    Role.DATA_SCIENTIST,
    Role.ML_ENGINEER,
    Role.OPERATIONS_LEAD,
    Role.AGENCY_ADMIN,
]
REQUIRED_ROLE: dict[Action, Role] = {
    Action.VIEW: Role.CLIENT_VIEWER,
    Action.REGISTER: Role.DATA_SCIENTIST,
    Action.PROMOTE_STAGING: Role.ML_ENGINEER,
    Action.RECORD_CHECK: Role.ML_ENGINEER,
    Action.PROMOTE_PRODUCTION: Role.OPERATIONS_LEAD,
    Action.ROLLBACK: Role.OPERATIONS_LEAD,
    Action.REPAIR: Role.OPERATIONS_LEAD,
    Action.OVERRIDE: Role.AGENCY_ADMIN,
}


class AccessDeniedError(RefusedError):
    """The actor's role does not allow the action on this client."""


def allows(role: Role | None, action: Action, override_roles: frozenset[Role]) -> bool:
    if role is None:
        return False
    if action is Action.OVERRIDE:
        return role in override_roles or role is Role.AGENCY_ADMIN
    return _LADDER.index(role) >= _LADDER.index(REQUIRED_ROLE[action])


def check_access(
    actor: str,
    role: Role | None,
    action: Action,
    client: str,
    override_roles: frozenset[Role] = frozenset(),
) -> None:
    """Raise AccessDeniedError naming the actor, its role, the action and the role
    it needs."""
    if allows(role, action, override_roles):
        return
    if action is Action.OVERRIDE:
        needed = ", ".join(sorted({*override_roles, Role.AGENCY_ADMIN}))
    else:
        needed = REQUIRED_ROLE[action].value
    held = f"role {role}" if role else "no role"
    raise AccessDeniedError(
        f"actor {actor!r} has {held} for client {client}; '{action}' needs {needed}",
        client=client,
    )
