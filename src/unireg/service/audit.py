"""Audit queries: what happened when, and what served production at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from unireg.domain import Event, EventKind, ModelVersion, Stage
from unireg.domain.roles import Action

from .registry import RegistryService


@dataclass(frozen=True)
class ProductionAt:
    """The version that served production at a moment, and how it got there."""

    model: str
    at: datetime
    version: ModelVersion | None
    since: datetime | None
    moved_by: str | None
    reason: str
    checklist: dict[str, Any] | None
    override: dict[str, Any] | None


def audit_events(
    service: RegistryService, name: str | None, since: datetime | None
) -> list[Event]:
    """Return the events of one model (or all models) from ``since`` on, oldest
    first, leaving out the journal's started entries of completed operations."""
    model = service.model_name(name) if name is not None else None
    service.authorize(Action.VIEW)
    events = service.backend.list_events(model)
    completed = {
        event.operation_id
        for event in events
        if event.kind
        in (EventKind.TRANSITION_COMPLETED, EventKind.TRANSITION_ABANDONED)
    }
    return [
        event
        for event in events
        if (since is None or event.at >= since)
        and not (
            event.kind is EventKind.TRANSITION_STARTED
            and event.operation_id in completed
        )
    ]


def production_at(service: RegistryService, name: str, at: datetime) -> ProductionAt:
    """Replay the completed transitions of a model up to ``at``."""
    model = service.model_name(name)
    service.authorize(Action.VIEW)
    holder: Event | None = None
    for event in service.backend.list_events(model):
        if event.at > at:
            break
        if event.kind is not EventKind.TRANSITION_COMPLETED:
            continue
        for change in event.changes:
            if change.to_stage is Stage.PRODUCTION:
                holder = event
            elif (
                change.from_stage is Stage.PRODUCTION
                and holder is not None
                and _promoted(holder) == change.version
            ):
                holder = None
    if holder is None:
        return ProductionAt(str(model), at, None, None, None, "", None, None)
    version = _promoted(holder)
    assert version is not None
    return ProductionAt(
        model=str(model),
        at=at,
        version=service.backend.get_version(model, version),
        since=holder.at,
        moved_by=holder.actor,
        reason=holder.reason,
        checklist=holder.details.get("checklist"),
        override=holder.details.get("override"),
    )


def _promoted(event: Event) -> Any:
    for change in event.changes:
        if change.to_stage is Stage.PRODUCTION:
            return change.version
    return None
