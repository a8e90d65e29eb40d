"""Promotion, rollback and the repair of interrupted operations."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from unireg.domain import (
    Event,
    EventKind,
    ModelName,
    SemVer,
    Stage,
    StageChange,
    VersionSummary,
    check_transition,
    new_id,
    parse_model_name,
)
from unireg.domain.roles import Action
from unireg.errors import (
    ConflictError,
    IncompleteOperationError,
    InvalidInputError,
    NotFoundError,
    RefusedError,
)

from .core import PendingOperation, ServiceCore, Transition

log = logging.getLogger(__name__)


class TransitionUseCases(ServiceCore):
    """Stage changes as journaled operations: started, then completed or abandoned."""

    def promote(
        self,
        name: str,
        version: str,
        stage: Stage | str,
        reason: str = "",
        *,
        override: bool = False,
    ) -> Transition:
        """Move a version to ``stage``; promoting to production archives the
        current production version in the same operation.

        A promotion to production runs the checklist first and is refused on any
        failure, unless a role allowed to override sets ``override`` and gives a
        reason. The checklist result and the override are recorded with it.
        """
        model = self.model_name(name)
        target_version = SemVer.parse(version)
        target = _parse_stage(stage)
        if override and not reason.strip():
            raise InvalidInputError("an override needs a reason: pass --reason TEXT")
        self.authorize(_promote_action(target))
        self._raise_if_pending(model)

        versions = {item.version: item for item in self.backend.list_versions(model)}
        if target_version not in versions:
            raise NotFoundError(f"{model} has no version {target_version}")
        current = versions[target_version]
        if current.stage == target:
            raise RefusedError(f"{model} {target_version} is already in {target}")
        check_transition(str(target_version), current.stage, target)

        changes: list[StageChange] = []
        if target is Stage.PRODUCTION:
            # Demote first: an interruption between the two steps leaves no
            # production version, never two.
            changes += [
                StageChange(
                    version=item.version,
                    from_stage=Stage.PRODUCTION,
                    to_stage=Stage.ARCHIVED,
                )
                for item in versions.values()
                if item.stage is Stage.PRODUCTION
            ]
        changes.append(
            StageChange(
                version=target_version, from_stage=current.stage, to_stage=target
            )
        )
        details: dict[str, Any] = {}
        if target is Stage.PRODUCTION:
            details = self._production_gate(model, target_version, override, reason)
        result = self._transition(model, changes, reason, details=details)
        self._notify(
            "promoted", model, str(target_version), target, reason=reason, **details
        )
        return result

    def rollback(self, name: str, reason: str) -> Transition:
        """Restore the most recently archived version to production, send the
        current one to development, and write an incident record."""
        if not reason.strip():
            raise InvalidInputError("a rollback needs a reason: pass --reason TEXT")
        model = self.model_name(name)
        self.authorize(Action.ROLLBACK)
        self._raise_if_pending(model)

        versions = {item.version: item for item in self.backend.list_versions(model)}
        current = [item for item in versions.values() if item.stage is Stage.PRODUCTION]
        if not current:
            raise RefusedError(f"{model} has no production version to roll back")
        restored = self._rollback_target(model, versions)

        changes = (
            StageChange(
                version=current[0].version,
                from_stage=Stage.PRODUCTION,
                to_stage=Stage.DEVELOPMENT,
            ),
            StageChange(
                version=restored, from_stage=Stage.ARCHIVED, to_stage=Stage.PRODUCTION
            ),
        )
        result = self._transition(model, changes, reason, incident_id=new_id())
        self._notify(
            "rolled-back",
            model,
            str(restored),
            Stage.PRODUCTION,
            reason=reason,
            demoted=str(current[0].version),
            incident_id=result.incident_id,
        )
        return result

    def _rollback_target(
        self, model: ModelName, versions: Mapping[SemVer, VersionSummary]
    ) -> SemVer:
        archived = {v for v, item in versions.items() if item.stage is Stage.ARCHIVED}
        if not archived:
            raise RefusedError(
                f"{model} has no archived version to roll back to; promote a "
                "staging version instead"
            )
        # The most recently archived version: the last one a completed transition
        # moved from production to archived. Versions archived before any history
        # was kept fall back to semantic order.
        for event in reversed(self._completed_transitions(model)):
            for change in event.changes:
                if change.to_stage is Stage.ARCHIVED and change.version in archived:
                    return change.version
        return max(archived)

    def _transition(
        self,
        model: ModelName,
        changes: Sequence[StageChange],
        reason: str,
        incident_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> Transition:
        operation_id = new_id()
        started = self._append(
            EventKind.TRANSITION_STARTED,
            model,
            changes=tuple(changes),
            reason=reason,
            operation_id=operation_id,
            incident_id=incident_id,
            details=details or {},
        )
        try:
            self.backend.apply_stage_changes(model, changes)
        except ConflictError as exc:
            # Another operation moved a version first: close this one so that it
            # does not block the model, then report the conflict.
            self._abandon(started, exc.message)
            raise
        self._finish(started)
        return Transition(operation_id, tuple(changes), incident_id)

    def _abandon(self, started: Event, why: str) -> None:
        self._append(
            EventKind.TRANSITION_ABANDONED,
            parse_model_name(started.model),
            changes=started.changes,
            reason=why,
            operation_id=started.operation_id,
            incident_id=started.incident_id,
        )
        log.warning(
            "abandoned operation %s on %s: %s", started.operation_id, started.model, why
        )

    def _finish(self, started: Event) -> None:
        model = parse_model_name(started.model)
        self._append(
            EventKind.TRANSITION_COMPLETED,
            model,
            changes=started.changes,
            reason=started.reason,
            operation_id=started.operation_id,
            incident_id=started.incident_id,
            details=started.details,
        )
        if started.incident_id is not None:
            demoted = started.changes[0].version
            restored = started.changes[-1].version
            self._append(
                EventKind.ROLLBACK,
                model,
                version=restored,
                changes=started.changes,
                reason=started.reason,
                operation_id=started.operation_id,
                incident_id=started.incident_id,
                details={"demoted": str(demoted), "restored": str(restored)},
            )
        log.info(
            "applied %s to %s for client %s",
            ", ".join(
                f"{c.version} {c.from_stage}->{c.to_stage}" for c in started.changes
            ),
            model,
            self.client,
        )

    # Interrupted operations.

    def pending(self, name: str) -> list[PendingOperation]:
        """Return the promotions and rollbacks of a model that never completed."""
        return self._pending(self.model_name(name))

    def repair(self, name: str) -> list[Transition]:
        """Finish every interrupted operation of a model, in the order it started.

        An operation that another one has overtaken (one of its versions is no
        longer in the stage it expected) is closed as abandoned instead.
        """
        model = self.model_name(name)
        self.authorize(Action.REPAIR)
        repaired = []
        for operation in self._pending(model):
            started = operation.started
            assert started.operation_id is not None
            try:
                # Check every change first, so that an overtaken operation is not
                # half-applied on a backend that applies changes one by one.
                self._check_changes(model, started.changes)
                self.backend.apply_stage_changes(model, started.changes)
            except ConflictError as exc:
                why = f"overtaken by a later change: {exc.message}"
                self._abandon(started, why)
                repaired.append(
                    Transition(
                        started.operation_id,
                        started.changes,
                        started.incident_id,
                        abandoned=why,
                    )
                )
                continue
            self._finish(started)
            repaired.append(
                Transition(started.operation_id, started.changes, started.incident_id)
            )
        return repaired

    def _check_changes(self, model: ModelName, changes: Sequence[StageChange]) -> None:
        """Raise ConflictError unless each version is in its change's from or to
        stage."""
        stages = {
            item.version: item.stage for item in self.backend.list_versions(model)
        }
        for change in changes:
            current = stages.get(change.version)
            if current not in (change.from_stage, change.to_stage):
                raise ConflictError(
                    f"{model} {change.version} is in {current or 'no stage'}, not "
                    f"{change.from_stage}",
                    client=self.client,
                    backend=self.backend.kind,
                    resource=f"{model}/{change.version}",
                )

    def _pending(self, model: ModelName) -> list[PendingOperation]:
        events = self.backend.list_events(model)
        closed = {
            event.operation_id
            for event in events
            if event.kind
            in (EventKind.TRANSITION_COMPLETED, EventKind.TRANSITION_ABANDONED)
        }
        return [
            PendingOperation(event)
            for event in events
            if event.kind is EventKind.TRANSITION_STARTED
            and event.operation_id not in closed
        ]

    def _raise_if_pending(self, model: ModelName) -> None:
        pending = self._pending(model)
        if pending:
            started = pending[0].started
            raise IncompleteOperationError(
                f"an earlier operation on {model} (started "
                f"{started.at:%Y-%m-%d %H:%M:%SZ} by {started.actor}) did not "
                f"finish: run `unireg repair --client {self.client} {model}` first",
                client=self.client,
                backend=self.backend.kind,
                resource=str(model),
            )

    def _completed_transitions(self, model: ModelName) -> list[Event]:
        return [
            event
            for event in self.backend.list_events(model)
            if event.kind is EventKind.TRANSITION_COMPLETED
        ]


def _promote_action(target: Stage) -> Action:
    if target in (Stage.STAGING, Stage.DEVELOPMENT):
        return Action.PROMOTE_STAGING
    return Action.PROMOTE_PRODUCTION


def _parse_stage(value: Stage | str) -> Stage:
    try:
        return Stage(value)
    except ValueError:
        names = ", ".join(stage.value for stage in Stage)
        raise InvalidInputError(
            f"stage {value!r} is invalid: use one of {names}"
        ) from None
