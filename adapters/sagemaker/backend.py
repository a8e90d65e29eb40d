"""unireg on the SageMaker Model Registry.

A model is a model package group, a version is a versioned model package, and a stage
is the package's ModelLifeCycle with its ModelApprovalStatus. docs/mapping/sagemaker.md
gives the reason for each choice. The version record lives in a JSON manifest in the
client's bucket; the package keeps its URI and SHA-256 in CustomerMetadataProperties.

Finding a version by its semantic version is the job of ``packages.Packages``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from unireg.domain import (
    CLOUD_NAME_RULES,
    ArtifactRef,
    CloudNameRule,
    Event,
    ModelName,
    ModelVersion,
    SemVer,
    Stage,
    StageChange,
    VersionRecord,
    VersionSummary,
    manifest_digest,
    manifest_json,
    parse_manifest,
)
from unireg.errors import ConflictError, InvalidInputError
from unireg.port import Backend, Capabilities

from . import mapping
from .connection import Connection
from .packages import Package, Packages
from .settings import SageMakerSettings, parse_settings
from .storage import Storage

log = logging.getLogger(__name__)


class SageMakerBackend(Backend):
    kind = "sagemaker"
    capabilities = Capabilities(
        delete_version=True,
        atomic_stage_moves=False,
        caller_chooses_native_id=False,
        native_archive=False,
    )

    def __init__(
        self, client: str, settings: SageMakerSettings, *, source: str = "settings"
    ) -> None:
        super().__init__(client)
        self.settings = settings
        self.connection = Connection(client, settings, self.stats, source)
        self.storage = Storage(self.connection)
        self.packages = Packages(
            client, settings, self.connection, self.native_model_name
        )

    @classmethod
    def from_settings(
        cls, client: str, settings: Mapping[str, Any], *, source: str
    ) -> SageMakerBackend:
        return cls(client, parse_settings(settings, source), source=source)

    # Checks before the first call.

    def check_record(self, name: ModelName, record: VersionRecord) -> None:
        self.native_model_name(name)
        mapping.check_record(record)

    # Artifacts.

    def put_artifact(self, name: ModelName, path: Path, artifact: ArtifactRef) -> str:
        return self.storage.put_artifact(path, artifact.sha256)

    def describe_artifact(self, uri: str) -> tuple[str, int]:
        if not uri.startswith("s3://"):
            return super().describe_artifact(uri)
        return self.storage.describe(uri)

    # Versions.

    def create_version(
        self, name: ModelName, version: SemVer, record: VersionRecord, stage: Stage
    ) -> ModelVersion:
        group = self.native_model_name(name)
        mapping.check_record(record)
        payload = manifest_json(str(name), version, record)
        digest = manifest_digest(payload)
        manifest_uri = self.storage.uri(self.storage.manifest_key(digest))
        properties = mapping.customer_metadata(version, record, manifest_uri, digest)
        mapping.check_metadata(properties, "metadata")

        self.packages.ensure_group(name)
        if self.packages.find(name, version) is not None:
            raise ConflictError(
                f"{name} {version} already exists",
                client=self.client,
                backend=self.kind,
                resource=f"{self.packages.group_arn(name)}/{version}",
            )
        self.storage.put_manifest(payload, digest)

        target = mapping.STAGES[stage]
        params: dict[str, Any] = {
            "ModelPackageGroupName": group,
            "ModelPackageDescription": record.description,
            "SourceUri": record.artifact.uri,
            "ModelApprovalStatus": mapping.approval_for(stage, None),
            "ModelLifeCycle": {
                "Stage": target.stage,
                "StageStatus": target.status,
                "StageDescription": f"registered by unireg in {stage}",
            },
            "CustomerMetadataProperties": properties,
            "ClientToken": mapping.client_token(name, version, record.artifact.sha256),
        }
        lineage = {
            "CommitId": record.code.commit,
            "Repository": record.code.repository,
            "GeneratedBy": "unireg",
        }
        params["MetadataProperties"] = {k: v for k, v in lineage.items() if v}
        sagemaker = self.connection.sagemaker()
        created = self.connection.call(
            "CreateModelPackage",
            self.packages.group_arn(name),
            sagemaker.create_model_package,
            **params,
        )
        arn = self.packages.check_arn(created["ModelPackageArn"])
        package = self.packages.describe(arn)
        if package is None or package.version != version:
            raise ConflictError(
                f"SageMaker returned package {created['ModelPackageArn']} for "
                f"{name} {version}, which holds another version",
                client=self.client,
                backend=self.kind,
                resource=created["ModelPackageArn"],
            )
        self._settle_race(name, package)
        self.packages.remember(group, package)
        log.info("created %s for %s %s", package.arn, name, version)
        return ModelVersion(**package.summary(name).model_dump(), record=record)

    def _settle_race(self, name: ModelName, package: Package) -> None:
        """Delete the new package if a concurrent registration made the same version
        first, and raise ConflictError naming the winner.

        SageMaker has no unique key on customer metadata, so two processes can both
        pass the existence check. One list after the create shows any package this
        process has not described; the lowest version number keeps the semantic
        version, matching what reads pick.
        """
        group = self.native_model_name(name)
        known = self.packages.known_arns(group) | {package.arn}
        for arn in self.packages.package_arns(name):
            if arn in known:
                continue
            other = self.packages.describe(arn, missing_ok=True)
            if other is None or other.version != package.version:
                continue
            if other.native_id > package.native_id:
                continue
            sagemaker = self.connection.sagemaker()
            self.connection.call(
                "DeleteModelPackage",
                package.arn,
                sagemaker.delete_model_package,
                ModelPackageName=package.arn,
            )
            self.packages.remember(group, other)
            raise ConflictError(
                f"{name} {package.version} was registered concurrently as "
                f"{other.arn}; this registration's package was deleted",
                client=self.client,
                backend=self.kind,
                resource=other.arn,
            )

    def get_version(self, name: ModelName, version: SemVer) -> ModelVersion:
        package = self.packages.require(name, version)
        payload = self.storage.read(package.manifest_uri)
        record = parse_manifest(payload, package.manifest_digest, package.manifest_uri)
        return ModelVersion(**package.summary(name).model_dump(), record=record)

    def list_models(self) -> list[str]:
        rule = self.native_rule()
        names = []
        groups = self.packages.pages(
            "ListModelPackageGroups",
            self.packages.group_arn_prefix() + "*",
            "ModelPackageGroupSummaryList",
        )
        for group in groups:
            if group.get("ModelPackageGroupStatus") in ("Deleting", "DeleteFailed"):
                continue
            try:
                names.append(str(rule.canonical(group["ModelPackageGroupName"])))
            except InvalidInputError:
                log.debug("skipping group %s", group["ModelPackageGroupName"])
        return names

    def list_versions(self, name: ModelName) -> list[VersionSummary]:
        return [package.summary(name) for package in self.packages.scan(name).values()]

    def set_stage(self, name: ModelName, change: StageChange) -> None:
        package = self.packages.require(name, change.version)
        if package.stage == change.to_stage:
            return
        if package.stage != change.from_stage:
            raise ConflictError(
                f"{name} {change.version} is in {package.stage}, not "
                f"{change.from_stage}: another operation moved it; look at "
                "`unireg history` and try again",
                client=self.client,
                backend=self.kind,
                resource=package.arn,
            )
        target = mapping.STAGES[change.to_stage]
        params: dict[str, Any] = {
            "ModelPackageArn": package.arn,
            "ModelLifeCycle": {
                "Stage": target.stage,
                "StageStatus": target.status,
                "StageDescription": f"moved from {change.from_stage} by unireg",
            },
        }
        approval = mapping.approval_for(change.to_stage, package.approval)
        if approval != package.approval:
            params["ModelApprovalStatus"] = approval
            params["ApprovalDescription"] = f"{change.to_stage} in unireg"
        sagemaker = self.connection.sagemaker()
        self.connection.call(
            "UpdateModelPackage", package.arn, sagemaker.update_model_package, **params
        )
        log.info(
            "moved %s %s from %s to %s",
            name,
            change.version,
            change.from_stage,
            change.to_stage,
        )

    def delete_version(self, name: ModelName, version: SemVer) -> None:
        package = self.packages.require(name, version)
        sagemaker = self.connection.sagemaker()
        self.connection.call(
            "DeleteModelPackage",
            package.arn,
            sagemaker.delete_model_package,
            ModelPackageName=package.arn,
        )
        self.packages.forget(name, version)
        log.info("deleted %s, which held %s %s", package.arn, name, version)

    # History and identity.

    def append_event(self, event: Event) -> None:
        self.storage.append_event(event)

    def list_events(self, name: ModelName | None = None) -> list[Event]:
        return self.storage.list_events(name)

    def actor(self) -> str:
        """Return the ARN that STS GetCallerIdentity reports for this client."""
        return self.connection.caller_arn()

    def close(self) -> None:
        self.connection.close()

    def native_rule(self) -> CloudNameRule:
        return CLOUD_NAME_RULES[self.kind]
