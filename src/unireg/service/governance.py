"""Governance of one client's use cases: roles, policy, notifications and the people
responsible for each model, as the agency's configuration sets them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from unireg.domain.roles import Action, Role, check_access

from .notify import Notifier
from .policy import Policy, PolicyLayers


@dataclass
class Governance:
    """Roles, policy and notifications of one client.

    With ``enforced`` false (a configuration that assigns no roles), every actor may
    take every action; this keeps a laptop without configuration usable.
    """

    roles: Mapping[str, Role] = field(default_factory=dict)
    enforced: bool = False
    policies: PolicyLayers = field(default_factory=PolicyLayers)
    notifier: Notifier | None = None
    owners: Mapping[str, str] = field(default_factory=dict)
    client_owner: str | None = None

    def role_of(self, actor: str) -> Role | None:
        if not self.enforced:
            return Role.AGENCY_ADMIN
        return self.roles.get(actor)

    def authorize(
        self,
        actor: str,
        action: Action,
        client: str,
        override_roles: frozenset[Role] = frozenset(),
    ) -> None:
        if self.enforced:
            check_access(actor, self.roles.get(actor), action, client, override_roles)

    def policy(self, model: str) -> Policy:
        return self.policies.for_model(model)

    def owner(self, model: str) -> str | None:
        return self.owners.get(model, self.client_owner)

    def notify(self, event: str, payload: dict[str, Any]) -> None:
        if self.notifier is not None:
            self.notifier.send(event, payload)

    def close(self) -> None:
        if self.notifier is not None:
            self.notifier.close()
