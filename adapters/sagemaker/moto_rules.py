"""Registry rules that moto 5.2 gets wrong or leaves out, patched into its classes.

``install()`` patches moto's SageMaker and S3 classes in this process, so the rules
hold both under ``mock_aws`` and in the server that ``emulator.serve`` runs. Each rule
names its source; a rule marked "inferred" has no documentation behind it and is the
most plausible reading of the API.

AWS documents: CreateModelPackage
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModelPackage.html),
UpdateModelPackage (.../API_UpdateModelPackage.html), DeleteModelPackage
(.../API_DeleteModelPackage.html) and the botocore 1.44 SageMaker service model for
the limits.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from moto.s3.exceptions import S3ClientError
from moto.s3.models import s3_backends
from moto.s3.responses import S3Response
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import ModelPackage, SageMakerModelBackend
from moto.sagemaker.responses import SageMakerResponse
from moto.utilities.utils import get_partition

from . import mapping

_installed = False
_lock = threading.Lock()

# The approval transitions AWS lists on
# https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-approve.html.
# Inferred: the service rejects the transitions the page does not list.
_APPROVALS = {
    None: {mapping.PENDING, mapping.APPROVED, mapping.REJECTED},
    mapping.PENDING: {mapping.APPROVED, mapping.REJECTED},
    mapping.REJECTED: {mapping.APPROVED},
    mapping.APPROVED: {mapping.REJECTED},
}
_VERSIONED_NAME = re.compile(r"([a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})/([0-9]{1,9})")


def install() -> None:
    """Patch moto once per process."""
    global _installed
    with _lock:
        if _installed:
            return
        _patch_sagemaker()
        _patch_s3()
        _installed = True


# Validation in the words of AWS's ValidationException.


def _invalid(field: str, value: Any, constraint: str) -> ValidationError:
    return ValidationError(
        f"1 validation error detected: Value {value!r} at '{field}' failed to "
        f"satisfy constraint: {constraint}"
    )


def _check_length(field: str, value: str | None, maximum: int) -> None:
    if value is not None and len(value) > maximum:
        raise _invalid(
            field, value, f"Member must have length less than or equal to {maximum}"
        )


def _check_entity_name(field: str, value: str | None) -> None:
    if value is not None and not mapping.ENTITY_NAME_PATTERN.fullmatch(value):
        raise _invalid(
            field,
            value,
            "Member must satisfy regular expression pattern: "
            "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
        )


def _check_description(field: str, value: str | None, maximum: int) -> None:
    _check_length(field, value, maximum)
    if value is not None and not all(map(mapping.is_description_character, value)):
        raise _invalid(
            field,
            value,
            "Member must satisfy regular expression pattern: "
            "[\\p{L}\\p{M}\\p{Z}\\p{S}\\p{N}\\p{P}]*",
        )


def _check_metadata(properties: dict[str, str] | None) -> None:
    """botocore:CustomerMetadataMap, CustomerMetadataKey, CustomerMetadataValue."""
    if properties is None:
        return
    if len(properties) > mapping.MAX_METADATA_ENTRIES:
        raise _invalid(
            "customerMetadataProperties",
            f"{len(properties)} entries",
            "Map value must have length less than or equal to 50",
        )
    for key, value in properties.items():
        for text, maximum in ((key, 128), (value, 256)):
            if not 1 <= len(text) <= maximum or not all(
                map(mapping.is_metadata_character, text)
            ):
                raise _invalid(
                    "customerMetadataProperties",
                    text,
                    f"Member must have length between 1 and {maximum} and satisfy "
                    "regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@]*",
                )


def _check_lifecycle(lifecycle: dict[str, str] | None) -> None:
    """botocore:ModelLifeCycle: Stage and StageStatus are required EntityNames."""
    if lifecycle is None:
        return
    for member in ("Stage", "StageStatus"):
        if member not in lifecycle:
            raise _invalid(f"modelLifeCycle.{member.lower()}", None, "required")
        _check_entity_name(f"modelLifeCycle.{member.lower()}", lifecycle[member])
    description = lifecycle.get("StageDescription")
    _check_length("modelLifeCycle.stageDescription", description, 1024)
    if description is not None and ("\n" in description or "\r" in description):
        raise _invalid(
            "modelLifeCycle.stageDescription",
            description,
            "Member must satisfy regular expression pattern: .{0,1024}",
        )


# SageMaker.


def _patch_sagemaker() -> None:
    _patch_package_fields()
    original_describe = SageMakerModelBackend.describe_model_package

    def describe_model_package(
        self: SageMakerModelBackend, model_package_name: str
    ) -> ModelPackage:
        # The name may be "group/3" (botocore:VersionedArnOrName); moto only takes
        # ARNs and bare names.
        match = _VERSIONED_NAME.fullmatch(model_package_name)
        if match:
            model_package_name = _package_arn(self, match.group(1), match.group(3))
        return original_describe(self, model_package_name)

    SageMakerModelBackend.describe_model_package = describe_model_package  # type: ignore[method-assign]

    original_resource = SageMakerModelBackend._get_resource_from_arn

    def get_resource_from_arn(self: SageMakerModelBackend, arn: str) -> Any:
        # Tags work on version ARNs (AddTags, ListTags and DeleteTags take any
        # SageMaker ARN); moto splits a resource on "/" into exactly two parts.
        if ":model-package/" in arn and arn.count("/") == 2:
            package = self.model_packages.get(arn)
            if package is None:
                raise ValidationError(f"Model package {arn} not found")
            if package.tags is None:
                package.tags = []
            return package
        return original_resource(self, arn)

    SageMakerModelBackend._get_resource_from_arn = get_resource_from_arn  # type: ignore[method-assign]

    SageMakerResponse.create_model_package_group = _create_group  # type: ignore[method-assign]
    SageMakerResponse.create_model_package = _create_package  # type: ignore[method-assign]
    SageMakerResponse.update_model_package = _update_package  # type: ignore[method-assign]
    SageMakerResponse.delete_model_package = _delete_package  # type: ignore[attr-defined]


def _patch_package_fields() -> None:
    """Store and return ModelLifeCycle and SourceUri, which moto drops."""
    original = ModelPackage.gen_response_object

    def gen_response_object(self: ModelPackage) -> dict[str, Any]:
        response = original(self)
        for attribute, key in (
            ("model_life_cycle", "ModelLifeCycle"),
            ("source_uri", "SourceUri"),
        ):
            value = getattr(self, attribute, None)
            if value is not None:
                response[key] = value
        return response

    ModelPackage.gen_response_object = gen_response_object  # type: ignore[method-assign]


def _package_arn(backend: SageMakerModelBackend, group: str, version: Any) -> str:
    # moto lowercases the group in version ARNs (moto/sagemaker/models.py 5.2).
    return (
        f"arn:{get_partition(backend.region_name)}:sagemaker:{backend.region_name}:"
        f"{backend.account_id}:model-package/{group.lower()}/{version}"
    )


def _versions(backend: SageMakerModelBackend) -> dict[str, int]:
    """The highest version number ever given in each group of this backend."""
    counters: dict[str, int] | None = getattr(backend, "_unireg_versions", None)
    if counters is None:
        counters = {}
        backend._unireg_versions = counters  # type: ignore[attr-defined]
    return counters


def _create_group(self: SageMakerResponse) -> Any:
    name = self._get_param("ModelPackageGroupName")
    _check_length("modelPackageGroupName", name, 63)
    _check_entity_name("modelPackageGroupName", name)
    _check_description(
        "modelPackageGroupDescription",
        self._get_param("ModelPackageGroupDescription"),
        1024,
    )
    backend = self.sagemaker_backend
    if name in backend.model_package_groups:
        # moto overwrites an existing group. Inferred: SageMaker rejects the name.
        raise ValidationError(
            "Model Package Group already exists: "
            f"{backend.model_package_groups[name].arn}"
        )
    return _ORIGINAL_CREATE_GROUP(self)


def _create_package(self: SageMakerResponse) -> Any:
    from moto.core.responses import ActionResult

    backend = self.sagemaker_backend
    group = self._get_param("ModelPackageGroupName")
    if not group:
        return _ORIGINAL_CREATE_PACKAGE(self)

    properties = self._get_param("CustomerMetadataProperties")
    lifecycle = self._get_param("ModelLifeCycle")
    token = self._get_param("ClientToken")
    _check_description(
        "modelPackageDescription", self._get_param("ModelPackageDescription"), 1024
    )
    _check_metadata(properties)
    _check_lifecycle(lifecycle)
    _check_length("sourceUri", self._get_param("SourceUri"), 1024)
    for key, value in (self._get_param("MetadataProperties") or {}).items():
        _check_length(f"metadataProperties.{key}", value, 1024)
    if token is not None and not mapping.CLIENT_TOKEN_PATTERN.fullmatch(token):
        raise _invalid(
            "clientToken", token, "Member must satisfy pattern [a-zA-Z0-9-]{1,36}"
        )
    if self._get_param("Tags"):
        # Documented: with ModelPackageGroupName the package takes the group's tags
        # "and you cannot supply a tag argument".
        raise ValidationError(
            "Tags cannot be specified for a versioned model package; it takes the "
            "tags of its model package group"
        )
    if group not in backend.model_package_groups:
        raise ValidationError(
            f"ModelPackageGroup {group} does not exist."  # moto's wording
        )
    status = self._get_param("ModelApprovalStatus")
    if status is not None and status not in _APPROVALS[None]:
        raise _invalid("modelApprovalStatus", status, "Member must be an enum value")

    if token is not None:
        # Inferred from the ClientToken documentation ("ensures idempotency"): the
        # same token in the same group returns the package it created first.
        for package in backend.model_packages.values():
            same_group = package.model_package_group_name == group
            if same_group and package.client_token == token:
                return ActionResult({"ModelPackageArn": package.arn})

    # Documented: the version "starts at 1 and is incremented with each new model
    # package", so numbers are never reused after a delete; moto counts the
    # packages left in the group instead.
    counters = _versions(backend)
    existing = [
        package.model_package_version or 0
        for package in backend.model_packages.values()
        if package.model_package_group_name == group
    ]
    version = max([counters.get(group, 0), *existing]) + 1
    counters[group] = version
    package = ModelPackage(
        model_package_name=group,
        model_package_group_name=group,
        model_package_version=version,
        model_package_description=self._get_param("ModelPackageDescription"),
        inference_specification=self._get_param("InferenceSpecification"),
        source_algorithm_specification=None,
        validation_specification=None,
        certify_for_marketplace=False,
        model_approval_status=status,
        metadata_properties=self._get_param("MetadataProperties"),
        model_metrics=self._get_param("ModelMetrics"),
        approval_description=None,
        customer_metadata_properties=properties,
        drift_check_baselines=None,
        domain=self._get_param("Domain"),
        task=self._get_param("Task"),
        sample_payload_url=self._get_param("SamplePayloadUrl"),
        additional_inference_specifications=self._get_param(
            "AdditionalInferenceSpecifications"
        ),
        client_token=token,
        region_name=backend.region_name,
        account_id=backend.account_id,
        model_package_type="Versioned",
        # Documented: a versioned package "uses the tags associated with the model
        # group".
        tags=list(backend.model_package_groups[group].tags or []),
    )
    package.model_life_cycle = lifecycle  # type: ignore[attr-defined]
    package.source_uri = self._get_param("SourceUri")  # type: ignore[attr-defined]
    backend.model_packages[package.arn] = package
    backend.model_package_name_mapping[package.arn] = package.arn
    backend.model_package_name_mapping[group] = package.arn
    return ActionResult({"ModelPackageArn": package.arn})


def _find_package(backend: SageMakerModelBackend, name: str) -> ModelPackage:
    match = _VERSIONED_NAME.fullmatch(name)
    if match:
        name = _package_arn(backend, match.group(1), match.group(3))
    arn = backend.model_package_name_mapping.get(name, name)
    package = backend.model_packages.get(arn)
    if package is None:
        raise ValidationError(f"Model package {name} not found")
    return package


def _update_package(self: SageMakerResponse) -> Any:
    """Change only the fields sent; moto 5.2 resets every field it was not sent."""
    from moto.core.responses import ActionResult

    package = _find_package(self.sagemaker_backend, self._get_param("ModelPackageArn"))
    status = self._get_param("ModelApprovalStatus")
    description = self._get_param("ApprovalDescription")
    properties = self._get_param("CustomerMetadataProperties")
    to_remove = self._get_param("CustomerMetadataPropertiesToRemove") or []
    lifecycle = self._get_param("ModelLifeCycle")
    source_uri = self._get_param("SourceUri")

    _check_length("approvalDescription", description, 1024)
    _check_lifecycle(lifecycle)
    _check_length("sourceUri", source_uri, 1024)
    # Inferred: CustomerMetadataProperties are merged into the existing ones, since
    # the API has a separate CustomerMetadataPropertiesToRemove.
    merged = {**(package.customer_metadata_properties or {}), **(properties or {})}
    for key in to_remove:
        merged.pop(key, None)
    _check_metadata(merged or None)
    current = package.model_approval_status
    if status is not None and status != current:
        allowed = _APPROVALS.get(current, set())
        if status not in allowed:
            raise ValidationError(
                f"ModelApprovalStatus cannot change from {current} to {status}; "
                f"allowed: {', '.join(sorted(allowed)) or 'none'}"
            )

    if status is not None:
        package.set_model_approval_status(status)
    if description is not None:
        package.approval_description = description
    if properties is not None or to_remove:
        package.customer_metadata_properties = merged or None
    if lifecycle is not None:
        package.model_life_cycle = lifecycle  # type: ignore[attr-defined]
    if source_uri is not None:
        package.source_uri = source_uri  # type: ignore[attr-defined]
    package.add_additional_inference_specifications(
        self._get_param("AdditionalInferenceSpecificationsToAdd")
    )
    package.modifications_done()
    return ActionResult({"ModelPackageArn": package.arn})


def _delete_package(self: SageMakerResponse) -> Any:
    """DeleteModelPackage, which moto 5.2 does not implement."""
    from moto.core.responses import EmptyResult

    backend = self.sagemaker_backend
    package = _find_package(backend, self._get_param("ModelPackageName"))
    del backend.model_packages[package.arn]
    for name, arn in list(backend.model_package_name_mapping.items()):
        if arn == package.arn:
            del backend.model_package_name_mapping[name]
    return EmptyResult()


_ORIGINAL_CREATE_GROUP = SageMakerResponse.create_model_package_group
_ORIGINAL_CREATE_PACKAGE = SageMakerResponse.create_model_package


# S3.


class _BucketOwnerMismatch(S3ClientError):
    code = "AccessDenied"

    def __init__(self) -> None:
        super().__init__("AccessDenied", "Access Denied")


def _patch_s3() -> None:
    """Honour ExpectedBucketOwner, which moto 5.2 ignores on object calls.

    Documented: a request whose ExpectedBucketOwner is not the bucket's account
    fails with 403 Access Denied
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html).
    """
    for method in ("_key_response", "_bucket_response"):
        original = getattr(S3Response, method)
        setattr(S3Response, method, _owner_checked(original))


def _owner_checked(original: Any) -> Any:
    def checked(self: S3Response, request: Any, full_url: str) -> Any:
        expected = request.headers.get("x-amz-expected-bucket-owner")
        if expected:
            bucket = self.parse_bucket_name_from_url(request, full_url)
            owner = s3_backends.bucket_accounts.get(bucket)
            if owner is not None and owner[1] != expected:
                raise _BucketOwnerMismatch()
        return original(self, request, full_url)

    return checked
