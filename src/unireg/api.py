"""The Python API: the same operations as the CLI, for training pipelines.

import unireg

with unireg.open("acme") as registry:
    registry.register("acme_retail_churn_v1", "model.pkl", artifact_format="pickle",
                      bump="minor", record={"metrics": {"auc": 0.91}})
    registry.promote("acme_retail_churn_v1", "1.1.0", "staging")
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from unireg import backends
from unireg.config import AgencyConfig, ClientConfig, load_config
from unireg.domain import Bump, Event, ModelVersion, Stage, VersionSummary
from unireg.domain.checklist import ChecklistResult, RecordedCheck
from unireg.port import Backend
from unireg.service import PendingOperation, RegistryService, Transition
from unireg.service.audit import ProductionAt, audit_events, production_at
from unireg.service.governance import Governance
from unireg.service.notify import Notifier, WebhookTarget
from unireg.service.policy import PolicyLayers


def governance_for(
    agency: AgencyConfig, client: str, config: ClientConfig
) -> Governance:
    """Build one client's roles, policy layers, webhooks and owners."""
    targets = [
        WebhookTarget(
            url=str(hook.url),
            events=frozenset(event.value for event in hook.events),
            timeout_seconds=hook.timeout_seconds,
            attempts=hook.attempts,
        )
        for hook in config.webhooks
    ]
    return Governance(
        roles=agency.roles_for(client),
        enforced=agency.access_enforced,
        policies=PolicyLayers(
            agency=agency.policy,
            client=config.policy,
            models={name: model.policy for name, model in config.models.items()},
            source=f"{agency.source}: clients.{client}",
        ),
        notifier=Notifier(targets) if targets else None,
        owners={name: m.owner for name, m in config.models.items() if m.owner},
        client_owner=config.owner,
    )


class Registry:
    """One client's registry, on whichever backend the configuration names."""

    def __init__(
        self,
        client: str,
        *,
        config: AgencyConfig | str | os.PathLike[str] | None = None,
        backend: Backend | None = None,
    ) -> None:
        agency = config if isinstance(config, AgencyConfig) else load_config(config)
        settings = agency.client(client)
        if backend is None:
            backend = backends.build(
                settings.backend,
                client,
                settings.settings,
                source=f"{agency.source}: clients.{client}.settings",
            )
        self.client = client
        self.backend = backend
        self.config = agency
        self.service = RegistryService(
            backend,
            client,
            settings.name_prefix or client,
            governance_for(agency, client, settings),
        )

    def __enter__(self) -> Registry:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Deliver pending notifications, then release the backend."""
        try:
            self.service.governance.close()
        finally:
            self.backend.close()

    def register(
        self,
        name: str,
        artifact: str | os.PathLike[str],
        *,
        artifact_format: str,
        version: str | None = None,
        bump: Bump | str | None = None,
        record: dict[str, Any] | None = None,
        sha256: str | None = None,
        capture_lineage: bool = True,
        workdir: str | os.PathLike[str] | None = None,
    ) -> ModelVersion:
        """Register a version in development; an identical repeat returns it."""
        return self.service.register(
            name,
            os.fspath(artifact),
            artifact_format=artifact_format,
            version=version,
            bump=bump,
            record=record,
            sha256=sha256,
            capture_lineage=capture_lineage,
            workdir=Path(workdir) if workdir is not None else None,
        ).version

    def models(self) -> list[str]:
        return self.service.list_models()

    def versions(self, name: str) -> list[VersionSummary]:
        return self.service.list_versions(name)

    def show(self, name: str, version: str = "production") -> ModelVersion:
        return self.service.show(name, version)

    def history(self, name: str) -> list[Event]:
        return self.service.history(name)

    def promote(
        self,
        name: str,
        version: str,
        stage: Stage | str,
        reason: str = "",
        *,
        override: bool = False,
    ) -> Transition:
        return self.service.promote(name, version, stage, reason, override=override)

    def check(self, name: str, version: str) -> ChecklistResult:
        """Run the pre-promotion checklist of a version and record the run."""
        return self.service.run_checklist(name, version)

    def record_check(
        self,
        name: str,
        version: str,
        check: RecordedCheck | str,
        passed: bool,
        evidence: str = "",
    ) -> Event:
        return self.service.record_check(name, version, check, passed, evidence)

    def rollback(self, name: str, reason: str) -> Transition:
        return self.service.rollback(name, reason)

    def audit(
        self, name: str | None = None, since: datetime | None = None
    ) -> list[Event]:
        """Return the history of one model or of every model, from ``since`` on."""
        return audit_events(self.service, name, since)

    def production_at(self, name: str, at: datetime) -> ProductionAt:
        """Return the version that served production at ``at`` and how it got there."""
        return production_at(self.service, name, at)

    def pending(self, name: str) -> list[PendingOperation]:
        return self.service.pending(name)

    def repair(self, name: str) -> list[Transition]:
        return self.service.repair(name)


def open_registry(
    client: str, config: AgencyConfig | str | os.PathLike[str] | None = None
) -> Registry:
    """Open one client's registry as configured."""
    return Registry(client, config=config)
