"""The report's content, independent of how it is rendered."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from unireg.domain.entities import UtcDatetime


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True)


class ProductionVersion(_Row):
    version: str
    native_id: str
    since: UtcDatetime | None
    moved_by: str | None


class StagingCandidate(_Row):
    version: str
    native_id: str
    checklist: str  # passed, failed or not run


class LastChange(_Row):
    at: UtcDatetime
    actor: str
    event: str
    summary: str


class FailedChecklist(_Row):
    version: str
    at: UtcDatetime
    failures: list[str]


class VersionMetrics(_Row):
    version: str
    stage: str
    metrics: dict[str, float]


class ModelRow(_Row):
    """One model of one client."""

    model: str
    description: str
    production: ProductionVersion | None
    staging: list[StagingCandidate]
    stage_counts: dict[str, int]
    last_change: LastChange | None
    failed_checklists: list[FailedChecklist]
    metrics_history: list[VersionMetrics]
    unfinished_operations: int = 0


class ClientStatus(StrEnum):
    OK = "ok"
    FAILED = "failed"
    TIMED_OUT = "timed-out"


class Health(_Row):
    """The health of the client's registry while the report read it."""

    calls: int
    errors: int
    retries: int
    seconds: float
    mean_latency_ms: float | None


class ClientReport(_Row):
    client: str
    cloud: str
    status: ClientStatus
    error: str | None = None
    models: list[ModelRow] = []
    health: Health | None = None
    elapsed_seconds: float = 0.0


class Report(_Row):
    generated_at: datetime
    clients: list[ClientReport]

    @property
    def partial(self) -> bool:
        return any(client.status is not ClientStatus.OK for client in self.clients)
