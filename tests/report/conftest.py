from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.records import full_record_fields
from unireg import backends
from unireg.api import Registry
from unireg.config import AgencyConfig
from unireg.local.backend import LocalBackend

MARKUP = '<script>document.title="pwned"</script><b id="injected">bold</b>'


class SlowBackend(LocalBackend):
    """An embedded registry whose model list takes 5 s, for timeouts."""

    kind = "slow"

    def list_models(self) -> list[str]:
        time.sleep(5)
        return super().list_models()


class GatheringBackend(LocalBackend):
    """An embedded registry whose model list waits until four clients list at once."""

    kind = "gathering"
    barrier = threading.Barrier(4)

    def list_models(self) -> list[str]:
        self.barrier.wait(timeout=20)
        return super().list_models()


class BrokenBackend(LocalBackend):
    kind = "broken"

    def list_models(self) -> list[str]:
        raise RuntimeError("registry returned garbage")


@pytest.fixture
def extra_backends(monkeypatch: pytest.MonkeyPatch) -> None:
    real = backends.load

    def load(kind: str):
        extra = {
            "slow": SlowBackend,
            "broken": BrokenBackend,
            "gathering": GatheringBackend,
        }
        return extra.get(kind) or real(kind)

    monkeypatch.setattr(backends, "load", load)


def config_for(
    tmp_path: Path, clients: Mapping[str, Any], **extra: Any
) -> AgencyConfig:
    return AgencyConfig.model_validate(
        {
            "clients": {
                name: {"backend": backend, "settings": {"path": str(tmp_path / name)}}
                for name, backend in clients.items()
            },
            "policy": {"checklist": {"recorded_checks": [], "model_card_sections": []}},
            **extra,
        }
    )


def populate(
    config: AgencyConfig, client: str, tmp_path: Path, description: str = ""
) -> None:
    """Register two versions of one model, promote one, leave one in staging."""
    with Registry(client, config=config) as registry:
        name = f"{client}_retail_churn_v1"
        for index, auc in enumerate([0.90, 0.93]):
            path = tmp_path / f"{client}-{index}.pkl"
            path.write_bytes(f"{client} {index}".encode())
            record = {**full_record_fields(), "metrics": {"auc": auc}}
            record["description"] = description or f"{client} model"
            registry.register(
                name,
                path,
                artifact_format="pickle",
                bump="minor",
                record=record,
                capture_lineage=False,
            )
        registry.promote(name, "1.0.0", "staging")
        registry.promote(name, "1.0.0", "production", "first release")
        registry.promote(name, "1.1.0", "staging")
        registry.check(name, "1.1.0")
