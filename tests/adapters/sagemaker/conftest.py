"""Fixtures of the SageMaker adapter's tests: the emulator in-process or as a server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from unireg_adapters.sagemaker.backend import SageMakerBackend
from unireg_adapters.sagemaker.emulator import RunningEmulator, in_process, serve

from tests.records import artifact_ref, full_record, write_artifact
from unireg.domain import ModelName, ModelVersion, SemVer, Stage, parse_model_name

MODEL = parse_model_name("acme_retail_churn_v1")
Provision = Callable[[str], dict[str, Any]]


@pytest.fixture
def provision() -> Iterator[Provision]:
    """Provision clients on a fresh in-process emulator."""
    with in_process() as provision:
        yield provision


@pytest.fixture
def backend(provision: Provision) -> Iterator[SageMakerBackend]:
    backend = SageMakerBackend.from_settings("acme", provision("acme"), source="test")
    yield backend
    backend.close()


@pytest.fixture(scope="session")
def running_server() -> Iterator[RunningEmulator]:
    running = serve()
    yield running
    running.stop()


@pytest.fixture
def server(
    running_server: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RunningEmulator]:
    """The emulator server with no state and no faults, and its environment set."""
    running_server.reset()
    for name, value in running_server.env().items():
        monkeypatch.setenv(name, value)
    yield running_server
    running_server.faults.update(
        latency_ms=0.0, throttle_rate=0.0, error_rate=0.0, denied=()
    )
    running_server.faults.injected.clear()


@pytest.fixture
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shrink botocore's retry delays to a millisecond so retry tests stay fast."""
    from botocore.retries.standard import ExponentialBackoff

    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, ctx: 0.001)


def register(
    backend: SageMakerBackend,
    tmp_path: Path,
    version: str,
    content: bytes,
    name: ModelName = MODEL,
    stage: Stage = Stage.DEVELOPMENT,
    **fields: Any,
) -> ModelVersion:
    """Upload an artifact and create a version with a full record."""
    path = write_artifact(tmp_path / "artifacts" / version, content)
    ref = artifact_ref(content)
    uri = backend.put_artifact(name, path, ref)
    record = full_record(ref.model_copy(update={"uri": uri}))
    if fields:
        record = record.model_copy(update=fields)
    return backend.create_version(name, SemVer.parse(version), record, stage)
