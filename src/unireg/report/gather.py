"""Read every client's registry concurrently into a ``Report``.

Clients are read on a bounded thread pool, and the models of one client on a second
bounded pool, because a registry's calls are network round trips. Each client has a
timeout; a client that fails or times out becomes a row saying so, and the others
are still reported.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from unireg.api import Registry
from unireg.config import AgencyConfig
from unireg.domain import (
    Event,
    EventKind,
    ModelVersion,
    Stage,
    VersionSummary,
    utc_now,
)
from unireg.domain.roles import AccessDeniedError
from unireg.errors import UniregError

from .model import (
    ClientReport,
    ClientStatus,
    FailedChecklist,
    Health,
    LastChange,
    ModelRow,
    ProductionVersion,
    Report,
    StagingCandidate,
    VersionMetrics,
)

log = logging.getLogger(__name__)

# Versions whose metrics the report reads per model, newest first: each costs one
# manifest read.
METRIC_VERSIONS = 10

Progress = Callable[[str, ClientReport], None]


@dataclass(frozen=True)
class ReportOptions:
    """Concurrency and time limits of the report's reads."""

    client_concurrency: int = 32
    model_concurrency: int = 8
    timeout_seconds: float = 60.0


def gather(
    config: AgencyConfig,
    clients: Sequence[str],
    options: ReportOptions = ReportOptions(),
    progress: Progress | None = None,
) -> Report:
    """Read ``clients`` concurrently; a client that fails or times out becomes a
    row saying so instead of an exception."""
    pool = ThreadPoolExecutor(max(1, options.client_concurrency), "unireg-report")
    started = time.monotonic()
    futures: dict[str, Future[ClientReport | None]] = {
        client: pool.submit(_read_client, config, client, options) for client in clients
    }
    reports: list[ClientReport] = []
    try:
        for client, future in futures.items():
            remaining = options.timeout_seconds - (time.monotonic() - started)
            report = _result(config, client, future, max(remaining, 0.0), options)
            if report is None:
                continue
            reports.append(report)
            if progress is not None:
                progress(client, report)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return Report(generated_at=utc_now(), clients=reports)


def _result(
    config: AgencyConfig,
    client: str,
    future: Future[ClientReport | None],
    remaining: float,
    options: ReportOptions,
) -> ClientReport | None:
    cloud = config.client(client).backend
    try:
        return future.result(timeout=remaining)
    except FutureTimeout:
        future.cancel()
        log.warning("client %s timed out after %.0f s", client, options.timeout_seconds)
        return ClientReport(
            client=client,
            cloud=cloud,
            status=ClientStatus.TIMED_OUT,
            error=f"no answer within {options.timeout_seconds:g} s",
            elapsed_seconds=options.timeout_seconds,
        )


def _read_client(
    config: AgencyConfig, client: str, options: ReportOptions
) -> ClientReport | None:
    """Read one client; return None when the actor may not view it."""
    started = time.monotonic()
    cloud = config.client(client).backend
    registry: Registry | None = None
    try:
        registry = Registry(client, config=config)
        models = registry.models()
        with ThreadPoolExecutor(max(1, options.model_concurrency)) as pool:
            rows = list(pool.map(lambda name: _model_row(registry, name), models))
        status, error = ClientStatus.OK, None
    except AccessDeniedError:
        return None
    except UniregError as exc:
        rows, status, error = [], ClientStatus.FAILED, exc.message
    except Exception as exc:  # one client's bug must not end the report
        log.exception("reading client %s failed", client)
        rows, status, error = [], ClientStatus.FAILED, f"{type(exc).__name__}: {exc}"
    finally:
        if registry is not None:
            registry.close()
    return ClientReport(
        client=client,
        cloud=cloud,
        status=status,
        error=error,
        models=rows,
        health=_health(registry),
        elapsed_seconds=round(time.monotonic() - started, 3),
    )


def _health(registry: Registry | None) -> Health | None:
    if registry is None:
        return None
    stats = registry.backend.stats
    mean = stats.seconds / stats.calls * 1000 if stats.calls else None
    return Health(
        calls=stats.calls,
        errors=stats.errors,
        retries=stats.retries,
        seconds=round(stats.seconds, 3),
        mean_latency_ms=round(mean, 2) if mean is not None else None,
    )


def _model_row(registry: Registry, name: str) -> ModelRow:
    versions = registry.versions(name)
    events = registry.history(name)
    by_stage: dict[str, int] = {}
    for item in versions:
        by_stage[item.stage.value] = by_stage.get(item.stage.value, 0) + 1

    recent = sorted(versions, key=lambda item: item.version)[-METRIC_VERSIONS:]
    records = [registry.show(name, str(item.version)) for item in recent]
    production = next((v for v in versions if v.stage is Stage.PRODUCTION), None)
    return ModelRow(
        model=name,
        description=_description(records, production),
        production=_production(production, events),
        staging=[
            StagingCandidate(
                version=str(item.version),
                native_id=item.native_id,
                checklist=_checklist_state(events, item),
            )
            for item in versions
            if item.stage is Stage.STAGING
        ],
        stage_counts=by_stage,
        last_change=_last_change(events),
        failed_checklists=_failed_checklists(events, versions),
        unfinished_operations=_unfinished(events),
        metrics_history=[
            VersionMetrics(
                version=str(record.version),
                stage=record.stage.value,
                metrics=record.record.metrics,
            )
            for record in records
        ],
    )


def _description(records: list[ModelVersion], production: VersionSummary | None) -> str:
    chosen = next(
        (r for r in records if production and r.version == production.version),
        records[-1] if records else None,
    )
    return chosen.record.description if chosen else ""


def _production(
    production: VersionSummary | None, events: list[Event]
) -> ProductionVersion | None:
    if production is None:
        return None
    since, moved_by = production.updated_at, None
    for event in events:
        if event.kind is not EventKind.TRANSITION_COMPLETED:
            continue
        for change in event.changes:
            if (
                change.version == production.version
                and change.to_stage is Stage.PRODUCTION
            ):
                since, moved_by = event.at, event.actor
    return ProductionVersion(
        version=str(production.version),
        native_id=production.native_id,
        since=since,
        moved_by=moved_by,
    )


def _checklist_state(events: list[Event], item: VersionSummary) -> str:
    runs = [
        event
        for event in events
        if event.kind is EventKind.CHECKLIST_RUN and event.version == item.version
    ]
    if not runs:
        return "not run"
    return "passed" if runs[-1].details.get("passed") else "failed"


def _failed_checklists(
    events: list[Event], versions: list[VersionSummary]
) -> list[FailedChecklist]:
    """Return, per version still in staging or development, its latest failed run."""
    open_versions = {
        v.version for v in versions if v.stage in (Stage.STAGING, Stage.DEVELOPMENT)
    }
    latest: dict[str, Event] = {}
    for event in events:
        if event.kind is EventKind.CHECKLIST_RUN and event.version in open_versions:
            latest[str(event.version)] = event
    return [
        FailedChecklist(
            version=version,
            at=event.at,
            failures=[
                check["name"]
                for check in event.details["checklist"]["checks"]
                if check["status"] == "failed"
            ],
        )
        for version, event in sorted(latest.items())
        if not event.details.get("passed")
    ]


def _unfinished(events: list[Event]) -> int:
    """Count promotions and rollbacks that started and were never closed."""
    closed = {
        event.operation_id
        for event in events
        if event.kind
        in (EventKind.TRANSITION_COMPLETED, EventKind.TRANSITION_ABANDONED)
    }
    return sum(
        1
        for event in events
        if event.kind is EventKind.TRANSITION_STARTED
        and event.operation_id not in closed
    )


def _last_change(events: list[Event]) -> LastChange | None:
    changes = [
        event
        for event in events
        if event.kind
        in (EventKind.REGISTERED, EventKind.TRANSITION_COMPLETED, EventKind.ROLLBACK)
    ]
    if not changes:
        return None
    event = changes[-1]
    summary = "; ".join(
        f"{c.version} {c.from_stage}->{c.to_stage}" for c in event.changes
    ) or str(event.version or "")
    return LastChange(
        at=event.at, actor=event.actor, event=event.kind.value, summary=summary
    )
