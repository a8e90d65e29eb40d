"""Retries through botocore's standard mode, against the emulator server's faults."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from unireg_adapters.sagemaker.backend import SageMakerBackend
from unireg_adapters.sagemaker.emulator import RunningEmulator

from tests.adapters.sagemaker.conftest import MODEL, register
from unireg.domain import SemVer
from unireg.errors import BackendUnavailableError, PermissionDeniedError

pytestmark = pytest.mark.usefixtures("fast_backoff")


def _backend(server: RunningEmulator, **settings: Any) -> SageMakerBackend:
    merged = {**server.client_settings("acme"), **settings}
    return SageMakerBackend.from_settings("acme", merged, source="test")


def test_throttled_operations_succeed(server: RunningEmulator, tmp_path: Path) -> None:
    backend = _backend(server, max_attempts=10)
    backend.actor()
    server.faults.update(throttle_rate=0.2, error_rate=0.05, seed=7)

    for patch in range(5):
        register(backend, tmp_path, f"1.0.{patch}", f"w{patch}".encode())
    listed = backend.list_versions(MODEL)

    assert len(listed) == 5
    assert server.faults.injected["throttle"] > 0
    assert backend.stats.retries == sum(server.faults.injected.values())


def test_exhausted_retries_are_reported(server: RunningEmulator) -> None:
    backend = _backend(server, max_attempts=3)
    backend.actor()
    backend.stats.reset()
    server.faults.update(throttle_rate=1.0)

    with pytest.raises(BackendUnavailableError) as excinfo:
        backend.list_versions(MODEL)

    message = str(excinfo.value)
    assert "ListModelPackages" in message
    assert "after 3 attempts" in message
    assert "ThrottlingException" in message
    assert "max_attempts" in message
    assert backend.stats.retries == 2
    assert backend.stats.by_operation == {"ListModelPackages": 1}


def test_server_errors_are_retried(server: RunningEmulator) -> None:
    backend = _backend(server, max_attempts=2)
    backend.actor()
    backend.stats.reset()
    server.faults.update(error_rate=1.0)

    with pytest.raises(BackendUnavailableError, match="after 2 attempts"):
        backend.list_models()

    assert backend.stats.retries == 1


def test_access_denied_is_not_retried(server: RunningEmulator, tmp_path: Path) -> None:
    backend = _backend(server, max_attempts=5)
    created = register(backend, tmp_path, "1.0.0", b"w1")
    cold = SageMakerBackend(backend.client, backend.settings)
    cold.actor()
    cold.stats.reset()
    server.faults.update(denied=["DescribeModelPackage"])

    with pytest.raises(PermissionDeniedError) as excinfo:
        cold.get_version(MODEL, SemVer(1, 0, 0))

    message = str(excinfo.value)
    assert "DescribeModelPackage" in message
    assert f"model-package/acme-retail-churn-v1/{created.native_id}" in message
    assert cold.actor() in message
    assert cold.stats.retries == 0


def test_latency_is_added(server: RunningEmulator) -> None:
    backend = _backend(server)
    backend.actor()
    server.faults.update(latency_ms=100)

    started = time.perf_counter()
    backend.list_models()
    elapsed = time.perf_counter() - started

    assert elapsed >= 0.1
