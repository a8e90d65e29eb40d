"""Cloud calls per operation, asserted exactly. N is the number of versions of the
model; docs/benchmarks.md lists the same budgets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from unireg_adapters.sagemaker.backend import SageMakerBackend

from tests.adapters.sagemaker.conftest import MODEL, Provision, register
from tests.records import artifact_ref, write_artifact
from unireg.domain import Event, EventKind, SemVer, Stage, StageChange, new_id, utc_now
from unireg.service import RegistryService


def _calls(backend: SageMakerBackend, operation: Callable[[], Any]) -> dict[str, int]:
    backend.actor()  # connect first: AssumeRole and GetCallerIdentity, once
    backend.stats.reset()
    operation()
    return dict(backend.stats.by_operation)


def _fresh(provision: Provision, backend: SageMakerBackend) -> SageMakerBackend:
    """A second backend of the same client, with nothing remembered."""
    return SageMakerBackend(backend.client, backend.settings)


def test_connect_budget(backend: SageMakerBackend) -> None:
    backend.actor()
    backend.actor()

    assert backend.stats.by_operation == {"AssumeRole": 1, "GetCallerIdentity": 1}


def test_put_artifact_budget(backend: SageMakerBackend, tmp_path: Path) -> None:
    path = write_artifact(tmp_path, b"w1")
    ref = artifact_ref(b"w1")

    new = _calls(backend, lambda: backend.put_artifact(MODEL, path, ref))
    again = _calls(backend, lambda: backend.put_artifact(MODEL, path, ref))

    assert new == {"HeadObject": 1, "PutObject": 1}
    assert again == {"HeadObject": 1}


def test_create_version_budget(
    backend: SageMakerBackend, provision: Provision, tmp_path: Path
) -> None:
    first = _calls(backend, lambda: register(backend, tmp_path, "1.0.0", b"w1"))
    register(backend, tmp_path, "1.1.0", b"w2")
    cold = _fresh(provision, backend)
    third = _calls(cold, lambda: register(cold, tmp_path, "1.2.0", b"w3"))

    assert first == {
        "HeadObject": 1,
        "PutObject": 2,
        "DescribeModelPackageGroup": 1,
        "CreateModelPackageGroup": 1,
        "ListModelPackages": 2,
        "CreateModelPackage": 1,
        "DescribeModelPackage": 1,
    }
    # With N = 2 versions: a scan of N packages, the new one, and one list to
    # find a concurrent registration of the same version.
    assert third == {
        "HeadObject": 1,
        "PutObject": 2,
        "DescribeModelPackageGroup": 1,
        "ListModelPackages": 2,
        "CreateModelPackage": 1,
        "DescribeModelPackage": 2 + 1,
    }


def test_read_budgets(
    backend: SageMakerBackend, provision: Provision, tmp_path: Path
) -> None:
    for patch in range(3):
        register(backend, tmp_path, f"1.0.{patch}", f"w{patch}".encode())
    cold = _fresh(provision, backend)

    get_cold = _calls(cold, lambda: cold.get_version(MODEL, SemVer(1, 0, 1)))
    get_warm = _calls(cold, lambda: cold.get_version(MODEL, SemVer(1, 0, 1)))
    listed = _calls(cold, lambda: cold.list_versions(MODEL))
    models = _calls(cold, cold.list_models)

    assert get_cold == {
        "ListModelPackages": 1,
        "DescribeModelPackage": 3,
        "GetObject": 1,
    }
    assert get_warm == {"DescribeModelPackage": 1, "GetObject": 1}
    assert listed == {"ListModelPackages": 1, "DescribeModelPackage": 3}
    assert models == {"ListModelPackageGroups": 1}


def test_stage_change_budgets(backend: SageMakerBackend, tmp_path: Path) -> None:
    register(backend, tmp_path, "1.0.0", b"w1")
    change = StageChange(
        version=SemVer(1, 0, 0), from_stage=Stage.DEVELOPMENT, to_stage=Stage.STAGING
    )

    moved = _calls(backend, lambda: backend.set_stage(MODEL, change))
    repeated = _calls(backend, lambda: backend.set_stage(MODEL, change))
    deleted = _calls(backend, lambda: backend.delete_version(MODEL, SemVer(1, 0, 0)))

    assert moved == {"DescribeModelPackage": 1, "UpdateModelPackage": 1}
    assert repeated == {"DescribeModelPackage": 1}
    assert deleted == {"DescribeModelPackage": 1, "DeleteModelPackage": 1}


def test_history_budgets(backend: SageMakerBackend) -> None:
    events = [
        Event(
            id=new_id(),
            kind=EventKind.REGISTERED,
            at=utc_now(),
            actor="tester",
            client="acme",
            model=str(MODEL),
            version=SemVer(1, 0, index),
        )
        for index in range(3)
    ]

    appended = _calls(backend, lambda: backend.append_event(events[0]))
    for event in events[1:]:
        backend.append_event(event)
    listed = _calls(backend, lambda: backend.list_events(MODEL))

    assert appended == {"PutObject": 1}
    assert listed == {"ListObjectsV2": 1, "GetObject": 3}


def test_service_budgets(
    backend: SageMakerBackend, provision: Provision, tmp_path: Path
) -> None:
    """One CLI command is one process: each starts with nothing remembered."""
    setup = RegistryService(backend, "acme", "acme")
    for patch in range(2):
        path = write_artifact(tmp_path / str(patch), f"w{patch}".encode())
        setup.register(
            str(MODEL),
            str(path),
            artifact_format="pickle",
            version=f"1.0.{patch}",
            capture_lineage=False,
        )
    artifact = write_artifact(tmp_path / "new", b"new weights")

    def run(operation: Callable[[RegistryService], Any]) -> dict[str, int]:
        cold = _fresh(provision, backend)
        return _calls(cold, lambda: operation(RegistryService(cold, "acme", "acme")))

    registered = run(
        lambda service: service.register(
            str(MODEL),
            str(artifact),
            artifact_format="pickle",
            version="1.1.0",
            capture_lineage=False,
        )
    )
    promoted = run(lambda service: service.promote(str(MODEL), "1.1.0", "staging"))

    # register with N = 2: list (1 + N), upload (2), create (6 + N), event (1).
    assert registered == {
        "ListModelPackages": 3,
        "DescribeModelPackage": 2 + 2 + 1,
        "HeadObject": 1,
        "PutObject": 3,
        "DescribeModelPackageGroup": 1,
        "CreateModelPackage": 1,
    }
    # promote with N = 3 versions and E = 3 events: pending check (1 + E), list
    # (1 + N), move (2), started and completed events (2).
    assert promoted == {
        "ListObjectsV2": 1,
        "GetObject": 3,
        "ListModelPackages": 1,
        "DescribeModelPackage": 3 + 1,
        "UpdateModelPackage": 1,
        "PutObject": 2,
    }
