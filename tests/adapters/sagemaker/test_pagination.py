"""Lists follow NextToken to the last page: hundreds of groups and versions."""

from __future__ import annotations

from typing import Any

from unireg_adapters.sagemaker import mapping
from unireg_adapters.sagemaker.backend import SageMakerBackend

from tests.adapters.sagemaker.conftest import MODEL
from unireg.domain import SemVer, Stage

COUNT = 230  # three pages of at most 100


def _package(backend: SageMakerBackend, group: str, patch: int) -> None:
    """Create a package as unireg would, without the cost of a full registration."""
    uri = f"s3://{backend.settings.bucket}/m/{patch}.json"
    backend.connection.sagemaker().create_model_package(
        ModelPackageGroupName=group,
        ModelApprovalStatus="PendingManualApproval",
        ModelLifeCycle={"Stage": "Development", "StageStatus": "InProgress"},
        CustomerMetadataProperties={
            mapping.VERSION_KEY: f"1.0.{patch}",
            mapping.MANIFEST_URI_KEY: uri,
            mapping.MANIFEST_SHA256_KEY: "0" * 64,
            mapping.ARTIFACT_SHA256_KEY: "0" * 64,
        },
    )


def test_all_groups_are_listed(backend: SageMakerBackend) -> None:
    sagemaker: Any = backend.connection.sagemaker()
    for index in range(COUNT):
        sagemaker.create_model_package_group(
            ModelPackageGroupName=f"acme-retail-model{index}-v1"
        )
    backend.stats.reset()

    models = backend.list_models()

    assert len(models) == COUNT
    assert "acme_retail_model229_v1" in models
    assert backend.stats.by_operation == {"ListModelPackageGroups": 3}


def test_all_versions_are_listed(backend: SageMakerBackend) -> None:
    group = backend.native_model_name(MODEL)
    backend.connection.sagemaker().create_model_package_group(
        ModelPackageGroupName=group
    )
    for patch in range(COUNT):
        _package(backend, group, patch)
    backend.stats.reset()

    versions = backend.list_versions(MODEL)

    assert sorted(item.version for item in versions) == [
        SemVer(1, 0, patch) for patch in range(COUNT)
    ]
    assert {item.stage for item in versions} == {Stage.DEVELOPMENT}
    assert backend.stats.by_operation == {
        "ListModelPackages": 3,
        "DescribeModelPackage": COUNT,
    }


def test_all_events_are_listed(backend: SageMakerBackend) -> None:
    from unireg.domain import Event, EventKind, new_id, utc_now

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
        for index in range(1010)
    ]
    for event in events:
        backend.append_event(event)
    backend.stats.reset()

    listed = backend.list_events(MODEL)

    assert listed == events
    assert backend.stats.by_operation["ListObjectsV2"] == 2
