"""Versions as a registry stores them, and the events that change them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict

from .record import VersionRecord
from .stages import Stage
from .versions import SemVer


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]


def utc_now() -> datetime:
    return datetime.now(UTC)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class VersionSummary(_Frozen):
    """A version as a list shows it: identity and stage, without the full record."""

    name: str
    version: SemVer
    stage: Stage
    native_id: str
    created_at: UtcDatetime
    updated_at: UtcDatetime
    manifest_uri: str
    manifest_digest: str


class ModelVersion(VersionSummary):
    """A version with its full record, read back and checked against its digest."""

    record: VersionRecord


class StageChange(_Frozen):
    """One version moving from one stage to another."""

    version: SemVer
    from_stage: Stage
    to_stage: Stage


class EventKind(StrEnum):
    REGISTERED = "registered"
    TRANSITION_STARTED = "transition-started"
    TRANSITION_COMPLETED = "transition-completed"
    TRANSITION_ABANDONED = "transition-abandoned"
    ROLLBACK = "rollback"
    CHECKLIST_RUN = "checklist-run"
    CHECK_RECORDED = "check-recorded"


class Event(_Frozen):
    """An append-only entry of a model's history.

    A promotion or rollback writes ``transition-started`` with the planned changes
    before touching any version, and ``transition-completed`` after the last one. Both
    share ``operation_id``. A started event with no completed event marks an
    interrupted operation, which ``repair`` finishes.
    """

    id: str
    kind: EventKind
    at: UtcDatetime
    actor: str
    client: str
    model: str
    version: SemVer | None = None
    changes: tuple[StageChange, ...] = ()
    reason: str = ""
    operation_id: str | None = None
    incident_id: str | None = None
    details: dict[str, Any] = {}


def new_id() -> str:
    """Return a unique id that sorts by creation time (UTC timestamp, then random)."""
    stamp = utc_now().strftime("%Y%m%dT%H%M%S%fZ")
    return f"{stamp}-{uuid.uuid4().hex[:12]}"
