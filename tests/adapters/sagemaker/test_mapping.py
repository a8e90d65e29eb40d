"""How models, versions and stages land in SageMaker, read back through boto3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from unireg_adapters.sagemaker import mapping
from unireg_adapters.sagemaker.backend import SageMakerBackend
from unireg_adapters.sagemaker.emulator import REGION

from tests.adapters.sagemaker.conftest import MODEL, register
from unireg.domain import SemVer, Stage, StageChange
from unireg.errors import ConflictError, InvalidInputError
from unireg.service import RegistryService


def _sagemaker(backend: SageMakerBackend) -> Any:
    """A boto3 client with the backend's own credentials (the client's account)."""
    return backend.connection.sagemaker()


def _describe(backend: SageMakerBackend, native_id: str) -> dict[str, Any]:
    arn = (
        f"arn:aws:sagemaker:{REGION}:{backend.settings.account_id}:model-package/"
        f"acme-retail-churn-v1/{native_id}"
    )
    return dict(_sagemaker(backend).describe_model_package(ModelPackageName=arn))


def test_model_is_tagged_group(backend: SageMakerBackend, tmp_path: Path) -> None:
    register(backend, tmp_path, "1.0.0", b"w1")

    group = _sagemaker(backend).describe_model_package_group(
        ModelPackageGroupName="acme-retail-churn-v1"
    )
    tags = _sagemaker(backend).list_tags(ResourceArn=group["ModelPackageGroupArn"])
    assert group["ModelPackageGroupArn"] == backend.packages.group_arn(MODEL)
    assert {tag["Key"]: tag["Value"] for tag in tags["Tags"]} == {
        "unireg:model": "acme_retail_churn_v1",
        "unireg:client": "acme",
    }
    assert backend.list_models() == ["acme_retail_churn_v1"]


def test_version_is_versioned_package(
    backend: SageMakerBackend, tmp_path: Path
) -> None:
    created = register(backend, tmp_path, "1.2.0", b"w1")

    described = _describe(backend, created.native_id)

    properties = described["CustomerMetadataProperties"]
    assert created.native_id == "1"
    assert described["ModelPackageVersion"] == 1
    assert properties["unireg:version"] == "1.2.0"
    assert properties["unireg:manifest-uri"] == created.manifest_uri
    assert properties["unireg:manifest-sha256"] == created.manifest_digest
    assert properties["unireg:artifact-sha256"] == created.record.artifact.sha256
    assert properties["team"] == "retention"
    assert created.manifest_uri.startswith(f"s3://{backend.settings.bucket}/registry/")
    assert described["MetadataProperties"] == {
        "CommitId": "0123456789abcdef0123456789abcdef01234567",
        "Repository": "https://git.example.com/agency/churn.git",
        "GeneratedBy": "unireg",
    }
    assert described["SourceUri"] == created.record.artifact.uri
    assert described["ModelPackageDescription"] == created.record.description


@pytest.mark.parametrize(
    ("moves", "lifecycle", "approval"),
    [
        ([], ("Development", "InProgress"), "PendingManualApproval"),
        ([Stage.STAGING], ("Staging", "PendingApproval"), "PendingManualApproval"),
        ([Stage.STAGING, Stage.PRODUCTION], ("Production", "Approved"), "Approved"),
        (
            [Stage.STAGING, Stage.PRODUCTION, Stage.ARCHIVED],
            ("Archived", "Retired"),
            "Rejected",
        ),
        (
            [Stage.STAGING, Stage.PRODUCTION, Stage.DEVELOPMENT],
            ("Development", "InProgress"),
            "Rejected",
        ),
        ([Stage.DEPRECATED], ("Deprecated", "PendingDeletion"), "Rejected"),
    ],
)
def test_stage_sets_lifecycle_and_approval(
    backend: SageMakerBackend,
    tmp_path: Path,
    moves: list[Stage],
    lifecycle: tuple[str, str],
    approval: str,
) -> None:
    created = register(backend, tmp_path, "1.0.0", b"w1")
    current = Stage.DEVELOPMENT
    for target in moves:
        change = StageChange(
            version=SemVer(1, 0, 0), from_stage=current, to_stage=target
        )
        backend.set_stage(MODEL, change)
        current = target

    described = _describe(backend, created.native_id)

    assert described["ModelLifeCycle"]["Stage"] == lifecycle[0]
    assert described["ModelLifeCycle"]["StageStatus"] == lifecycle[1]
    assert described["ModelApprovalStatus"] == approval
    assert backend.get_version(MODEL, SemVer(1, 0, 0)).stage is current


def test_created_in_production_is_approved(
    backend: SageMakerBackend, tmp_path: Path
) -> None:
    created = register(backend, tmp_path, "1.0.0", b"w1", stage=Stage.PRODUCTION)

    assert _describe(backend, created.native_id)["ModelApprovalStatus"] == "Approved"


def test_foreign_lifecycle_is_reported(
    backend: SageMakerBackend, tmp_path: Path
) -> None:
    created = register(backend, tmp_path, "1.0.0", b"w1")
    arn = _describe(backend, created.native_id)["ModelPackageArn"]
    _sagemaker(backend).update_model_package(
        ModelPackageArn=arn, ModelLifeCycle={"Stage": "QA", "StageStatus": "OnHold"}
    )

    with pytest.raises(ConflictError, match="no unireg stage"):
        backend.get_version(MODEL, SemVer(1, 0, 0))


def test_foreign_packages_are_skipped(
    backend: SageMakerBackend, tmp_path: Path
) -> None:
    register(backend, tmp_path, "1.0.0", b"w1")
    _sagemaker(backend).create_model_package(
        ModelPackageGroupName="acme-retail-churn-v1",
        ModelApprovalStatus="PendingManualApproval",
    )
    _sagemaker(backend).create_model_package_group(ModelPackageGroupName="handmade")

    assert [str(item.version) for item in backend.list_versions(MODEL)] == ["1.0.0"]
    assert backend.list_models() == ["acme_retail_churn_v1"]


def test_client_token_is_stable_and_valid() -> None:
    first = mapping.client_token(MODEL, SemVer(1, 0, 0), "a" * 64)
    again = mapping.client_token(MODEL, SemVer(1, 0, 0), "a" * 64)
    other = mapping.client_token(MODEL, SemVer(1, 0, 0), "b" * 64)

    assert first == again
    assert first != other
    assert mapping.CLIENT_TOKEN_PATTERN.fullmatch(first)


def test_actor_is_assumed_role(backend: SageMakerBackend) -> None:
    account = backend.settings.account_id

    assert backend.actor().startswith(f"arn:aws:sts::{account}:assumed-role/unireg/")


def test_s3_artifact_is_described(backend: SageMakerBackend, tmp_path: Path) -> None:
    s3 = backend.connection.s3()
    s3.put_object(Bucket=backend.settings.bucket, Key="models/m.pkl", Body=b"abc")

    digest, size = backend.describe_artifact(
        f"s3://{backend.settings.bucket}/models/m.pkl"
    )

    assert digest == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert size == 3


def test_s3_uri_is_registered_as_is(backend: SageMakerBackend) -> None:
    uri = f"s3://{backend.settings.bucket}/models/m.pkl"
    backend.connection.s3().put_object(
        Bucket=backend.settings.bucket, Key="models/m.pkl", Body=b"abc"
    )
    service = RegistryService(backend, "acme", "acme")
    backend.stats.reset()

    result = service.register(
        str(MODEL),
        uri,
        artifact_format="pickle",
        version="1.0.0",
        capture_lineage=False,
    )

    assert result.version.record.artifact.uri == uri
    assert result.version.record.artifact.size_bytes == 3
    assert "HeadObject" not in backend.stats.by_operation


def test_other_uri_needs_digest(backend: SageMakerBackend) -> None:
    with pytest.raises(InvalidInputError, match="--sha256"):
        backend.describe_artifact("https://example.com/model.pkl")


SETTINGS = {
    "region": "eu-west-1",
    "account_id": "111111111111",
    "bucket": "acme-models",
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"region": "Europe"}, "region"),
        ({"account_id": "1234"}, "account_id"),
        ({"bucket": "Acme_Models"}, "bucket"),
        ({"prefix": "a b"}, "prefix"),
        ({"prefix": "p" * 94}, "prefix"),
        ({"max_attempts": 11}, "max_attempts"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"role_duration_seconds": 899}, "role_duration_seconds"),
        ({"role_duration_seconds": 43201}, "role_duration_seconds"),
        ({"role_arn": "arn:aws:iam::222222222222:role/x"}, "not in account_id"),
        ({"endpoint_url": "ftp://x"}, "endpoint_url"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_invalid_settings_rejected(change: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message) as excinfo:
        SageMakerBackend.from_settings(
            "acme", {**SETTINGS, **change}, source="unireg.yaml: clients.acme.settings"
        )
    assert "unireg.yaml: clients.acme.settings" in str(excinfo.value)


def test_longest_prefix_accepted() -> None:
    backend = SageMakerBackend.from_settings(
        "acme", {**SETTINGS, "prefix": "p" * 93}, source="test"
    )

    assert backend.storage.root == "p" * 93 + "/unireg"


def test_damaged_metadata_is_reported(
    backend: SageMakerBackend, tmp_path: Path
) -> None:
    created = register(backend, tmp_path, "1.0.0", b"w1")
    arn = _describe(backend, created.native_id)["ModelPackageArn"]
    _sagemaker(backend).update_model_package(
        ModelPackageArn=arn, CustomerMetadataPropertiesToRemove=["unireg:manifest-uri"]
    )

    with pytest.raises(ConflictError, match="unireg:manifest-uri"):
        backend.list_versions(MODEL)
