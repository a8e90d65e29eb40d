"""Use cases on one client's registry: register, read, promote, roll back, repair.

``RegistryService`` gathers them; each group lives in its own module.
"""

from __future__ import annotations

from unireg.domain import (
    Event,
    ModelVersion,
    SemVer,
    Stage,
    VersionSummary,
)
from unireg.domain.roles import Action
from unireg.errors import (
    InvalidInputError,
    NotFoundError,
)

from .checks import ChecklistUseCases
from .core import PendingOperation, Registration, ServiceCore, Transition
from .registration import RegistrationUseCases
from .transitions import TransitionUseCases

__all__ = [
    "PendingOperation",
    "Registration",
    "RegistryService",
    "ServiceCore",
    "Transition",
]


class RegistryService(RegistrationUseCases, TransitionUseCases, ChecklistUseCases):
    """The use cases of one client, over that client's backend."""

    def list_models(self) -> list[str]:
        self.authorize(Action.VIEW)
        return sorted(self.backend.list_models())

    def list_versions(self, name: str) -> list[VersionSummary]:
        """Return every version of a model, ordered by semantic version."""
        model = self.model_name(name)
        self.authorize(Action.VIEW)
        versions = self.backend.list_versions(model)
        if not versions:
            raise NotFoundError(
                f"client {self.client} has no model {model}: check the name with "
                f"`unireg list --client {self.client}`",
                client=self.client,
                backend=self.backend.kind,
                resource=str(model),
            )
        return sorted(versions, key=lambda item: item.version)

    def show(self, name: str, selector: str) -> ModelVersion:
        """Return one version by semantic version, or the holder of a stage.

        ``selector`` is a version such as ``1.2.0``, or ``production`` or ``staging``
        for the highest version in that stage.
        """
        model = self.model_name(name)
        self.authorize(Action.VIEW)
        if selector in {stage.value for stage in Stage}:
            holders = [
                item
                for item in self.backend.list_versions(model)
                if item.stage == selector
            ]
            if not holders:
                raise NotFoundError(f"{model} has no version in {selector}")
            return self.backend.get_version(
                model, max(holders, key=_by_version).version
            )
        try:
            version = SemVer.parse(selector)
        except InvalidInputError:
            stages = ", ".join(stage.value for stage in Stage)
            raise InvalidInputError(
                f"{selector!r} is neither a version such as 1.4.0 nor a stage "
                f"({stages})"
            ) from None
        return self.backend.get_version(model, version)

    def history(self, name: str) -> list[Event]:
        model = self.model_name(name)
        self.authorize(Action.VIEW)
        events = self.backend.list_events(model)
        if not events and not self.backend.list_versions(model):
            raise NotFoundError(
                f"client {self.client} has no model {model}: check the name with "
                f"`unireg list --client {self.client}`",
                client=self.client,
                backend=self.backend.kind,
                resource=str(model),
            )
        return events


def _by_version(item: VersionSummary) -> SemVer:
    return item.version
