"""The registry rules the emulator adds to moto, checked through plain boto3."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from unireg_adapters.sagemaker.emulator import REGION

GROUP = "acme-retail-churn-v1"
LIFECYCLE = {"Stage": "Development", "StageStatus": "InProgress"}


@pytest.fixture
def sagemaker(provision: Any) -> Any:
    client = boto3.client("sagemaker", region_name=REGION)
    client.create_model_package_group(
        ModelPackageGroupName=GROUP, Tags=[{"Key": "team", "Value": "retention"}]
    )
    return client


def _create(sagemaker: Any, **params: Any) -> str:
    params.setdefault("CustomerMetadataProperties", {"a": "1", "b": "2"})
    params.setdefault("ModelApprovalStatus", "PendingManualApproval")
    params.setdefault("ModelLifeCycle", LIFECYCLE)
    response = sagemaker.create_model_package(ModelPackageGroupName=GROUP, **params)
    return str(response["ModelPackageArn"])


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return str(excinfo.value.response["Error"]["Code"])


def test_update_changes_only_fields_sent(sagemaker: Any) -> None:
    arn = _create(sagemaker)

    sagemaker.update_model_package(
        ModelPackageArn=arn, CustomerMetadataProperties={"a": "X"}
    )
    sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    sagemaker.update_model_package(
        ModelPackageArn=arn, CustomerMetadataPropertiesToRemove=["b"]
    )

    described = sagemaker.describe_model_package(ModelPackageName=arn)
    assert described["CustomerMetadataProperties"] == {"a": "X"}
    assert described["ModelApprovalStatus"] == "Approved"
    assert described["ModelLifeCycle"] == LIFECYCLE


def test_lifecycle_is_stored_and_listed(sagemaker: Any) -> None:
    arn = _create(sagemaker, SourceUri="s3://bucket/model.pkl")
    production = {"Stage": "Production", "StageStatus": "Approved"}

    sagemaker.update_model_package(ModelPackageArn=arn, ModelLifeCycle=production)

    described = sagemaker.describe_model_package(ModelPackageName=arn)
    listed = sagemaker.list_model_packages(ModelPackageGroupName=GROUP)
    assert described["ModelLifeCycle"] == production
    assert described["SourceUri"] == "s3://bucket/model.pkl"
    assert described["ModelApprovalStatus"] == "PendingManualApproval"
    assert listed["ModelPackageSummaryList"][0]["ModelLifeCycle"] == production


def test_delete_never_reuses_numbers(sagemaker: Any) -> None:
    first = _create(sagemaker)
    second = _create(sagemaker)

    sagemaker.delete_model_package(ModelPackageName=second)
    third = _create(sagemaker)
    sagemaker.delete_model_package(ModelPackageName=first)

    with pytest.raises(ClientError) as excinfo:
        sagemaker.describe_model_package(ModelPackageName=second)
    assert _error(excinfo) == "ValidationException"
    versions = [
        item["ModelPackageVersion"]
        for item in sagemaker.list_model_packages(ModelPackageGroupName=GROUP)[
            "ModelPackageSummaryList"
        ]
    ]
    assert versions == [3]
    assert third.endswith("/3")


def test_versioned_name_is_described(sagemaker: Any) -> None:
    arn = _create(sagemaker)

    described = sagemaker.describe_model_package(ModelPackageName=f"{GROUP}/1")

    assert described["ModelPackageArn"] == arn


def test_version_arn_takes_tags(sagemaker: Any) -> None:
    arn = _create(sagemaker)

    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "reviewed", "Value": "yes"}])

    listed = sagemaker.list_tags(ResourceArn=arn)["Tags"]
    tags = {tag["Key"]: tag["Value"] for tag in listed}
    assert tags == {"team": "retention", "reviewed": "yes"}


def test_tags_on_versioned_create_rejected(sagemaker: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        _create(sagemaker, Tags=[{"Key": "k", "Value": "v"}])

    assert _error(excinfo) == "ValidationException"


def test_client_token_returns_first_package(sagemaker: Any) -> None:
    first = _create(sagemaker, ClientToken="token-1")
    again = _create(sagemaker, ClientToken="token-1")
    other = _create(sagemaker, ClientToken="token-2")

    assert again == first
    assert other != first


def test_duplicate_group_rejected(sagemaker: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)

    assert _error(excinfo) == "ValidationException"
    assert "already exists" in str(excinfo.value)


@pytest.mark.parametrize(
    "name", ["acme_retail", "a" * 64, "trailing-", "-leading", "dot.ted"]
)
def test_invalid_group_name_rejected(sagemaker: Any, name: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        sagemaker.create_model_package_group(ModelPackageGroupName=name)

    assert _error(excinfo) == "ValidationException"


def test_group_name_at_limit_accepted(sagemaker: Any) -> None:
    sagemaker.create_model_package_group(ModelPackageGroupName="a" * 63)


@pytest.mark.parametrize(
    ("properties", "accepted"),
    [
        ({f"k{i}": "v" for i in range(50)}, True),
        ({f"k{i}": "v" for i in range(51)}, False),
        ({"k" * 128: "v"}, True),
        ({"k" * 129: "v"}, False),
        ({"k": "v" * 256}, True),
        ({"k": "v" * 257}, False),
        ({"k": "a,b"}, False),
        ({"k!": "v"}, False),
    ],
)
def test_metadata_limits_enforced(
    sagemaker: Any, properties: dict[str, str], accepted: bool
) -> None:
    if accepted:
        _create(sagemaker, CustomerMetadataProperties=properties)
        return
    with pytest.raises(ClientError) as excinfo:
        _create(sagemaker, CustomerMetadataProperties=properties)
    assert _error(excinfo) == "ValidationException"


@pytest.mark.parametrize(
    ("description", "accepted"),
    [("d" * 1024, True), ("d" * 1025, False), ("line\nbreak", False)],
)
def test_description_limits_enforced(
    sagemaker: Any, description: str, accepted: bool
) -> None:
    if accepted:
        _create(sagemaker, ModelPackageDescription=description)
        return
    with pytest.raises(ClientError):
        _create(sagemaker, ModelPackageDescription=description)


def test_approval_cannot_return_to_pending(sagemaker: Any) -> None:
    arn = _create(sagemaker)
    sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")

    with pytest.raises(ClientError) as excinfo:
        sagemaker.update_model_package(
            ModelPackageArn=arn, ModelApprovalStatus="PendingManualApproval"
        )

    assert _error(excinfo) == "ValidationException"
    described = sagemaker.describe_model_package(ModelPackageName=arn)
    assert described["ModelApprovalStatus"] == "Approved"


def test_invalid_lifecycle_stage_rejected(sagemaker: Any) -> None:
    with pytest.raises(ClientError):
        _create(sagemaker, ModelLifeCycle={"Stage": "In Review", "StageStatus": "x"})


def test_bucket_owner_condition_enforced(provision: Any) -> None:
    settings = provision("acme")
    s3 = boto3.client("s3", region_name=REGION)
    # Moto's default credentials are in account 123456789012, not the client's.
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(
            Bucket=settings["bucket"],
            Key="k",
            Body=b"x",
            ExpectedBucketOwner="123456789012",
        )
    assert _error(excinfo) == "AccessDenied"

    s3.put_object(
        Bucket=settings["bucket"],
        Key="k",
        Body=b"x",
        ExpectedBucketOwner=settings["account_id"],
    )
