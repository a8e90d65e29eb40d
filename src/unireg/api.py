"""The Python API: the same operations as the CLI, for training pipelines.

import unireg

with unireg.open("acme") as registry:
    registry.register("acme_retail_churn_v1", "model.pkl", artifact_format="pickle",
                      bump="minor", record={"metrics": {"auc": 0.91}})
    registry.promote("acme_retail_churn_v1", "1.1.0", "staging")
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType
from typing import Any

from unireg import backends
from unireg.config import AgencyConfig, load_config
from unireg.domain import Bump, Event, ModelVersion, Stage, VersionSummary
from unireg.port import Backend
from unireg.service import PendingOperation, RegistryService, Transition


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
        self.service = RegistryService(backend, client, settings.name_prefix or client)

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
        self, name: str, version: str, stage: Stage | str, reason: str = ""
    ) -> Transition:
        return self.service.promote(name, version, stage, reason)

    def rollback(self, name: str, reason: str) -> Transition:
        return self.service.rollback(name, reason)

    def pending(self, name: str) -> list[PendingOperation]:
        return self.service.pending(name)

    def repair(self, name: str) -> list[Transition]:
        return self.service.repair(name)


def open_registry(
    client: str, config: AgencyConfig | str | os.PathLike[str] | None = None
) -> Registry:
    """Open one client's registry as configured."""
    return Registry(client, config=config)
