"""The shared part of a client's use cases: backend, actor, governance, names, and
the history's appends and notifications."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from unireg.domain import (
    Event,
    EventKind,
    ModelName,
    ModelVersion,
    SemVer,
    Stage,
    StageChange,
    new_id,
    parse_model_name,
    utc_now,
)
from unireg.domain.roles import Action
from unireg.errors import (
    InvalidInputError,
)
from unireg.port import Backend

from .governance import Governance


@dataclass(frozen=True)
class Registration:
    """The outcome of ``register``: the version, and whether this call created it.

    ``ignored_fields`` names the record fields of an existing version that this
    call gave differently; the stored record is kept, since a version never changes.
    """

    version: ModelVersion
    created: bool
    ignored_fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Transition:
    """The outcome of ``promote`` or ``rollback``."""

    operation_id: str
    changes: tuple[StageChange, ...]
    incident_id: str | None = None
    abandoned: str | None = None


@dataclass(frozen=True)
class PendingOperation:
    """A promotion or rollback that started and did not finish."""

    started: Event


class ServiceCore(ABC):
    """The state and helpers of one client's use cases, over that client's backend."""

    def __init__(
        self,
        backend: Backend,
        client: str,
        name_prefix: str,
        governance: Governance | None = None,
    ) -> None:
        self.backend = backend
        self.client = client
        self.name_prefix = name_prefix
        self.governance = governance or Governance()
        self._actor: str | None = None

    @property
    def actor(self) -> str:
        """Return the identity the backend authenticates, asked once per service."""
        if self._actor is None:
            self._actor = self.backend.actor()
        return self._actor

    def authorize(self, action: Action) -> None:
        """Raise AccessDeniedError unless the actor's role allows ``action``."""
        self.governance.authorize(self.actor, action, self.client)

    def model_name(self, text: str) -> ModelName:
        """Parse a model name and check it belongs to this client and its cloud."""
        name = parse_model_name(text)
        if name.client != self.name_prefix:
            raise InvalidInputError(
                f"model name {text!r} starts with {name.client!r}, but models of "
                f"client {self.client!r} start with {self.name_prefix!r}: rename it "
                f"to {self.name_prefix}_{name.domain}_{name.task}_{name.variant}"
            )
        self.backend.native_model_name(name)
        return name

    # Steps one group of use cases takes from another.

    @abstractmethod
    def _transition(
        self,
        model: ModelName,
        changes: Sequence[StageChange],
        reason: str,
        incident_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> Transition:
        """Apply stage changes as one journaled operation."""

    @abstractmethod
    def _production_gate(
        self, model: ModelName, version: SemVer, override: bool, reason: str
    ) -> dict[str, Any]:
        """Run the checklist before production; return what the transition records."""

    # History.

    def _notify(
        self, event: str, model: ModelName, version: str, stage: Stage, **extra: Any
    ) -> None:
        self.governance.notify(
            event,
            {
                "client": self.client,
                "backend": self.backend.kind,
                "model": str(model),
                "version": version,
                "stage": str(stage),
                "actor": self.actor,
                "at": utc_now().isoformat(),
                "responsible": self.governance.owner(str(model)),
                **extra,
            },
        )

    def _append(self, kind: EventKind, model: ModelName, **fields: Any) -> Event:
        event = Event(
            id=new_id(),
            kind=kind,
            at=utc_now(),
            actor=self.actor,
            client=self.client,
            model=str(model),
            **fields,
        )
        self.backend.append_event(event)
        return event
