"""The model package groups and packages of one client's account.

SageMaker numbers packages itself and cannot filter a list by metadata, so finding a
semantic version lists the group's packages and describes each. The semantic version of
a package never changes, so ``Packages`` remembers which package has which version for
as long as it lives, and checks that package on each use.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from unireg.domain import ModelName, SemVer, Stage, VersionSummary
from unireg.errors import ConflictError, InvalidInputError, NotFoundError

from . import mapping
from .connection import Connection
from .settings import SageMakerSettings
from .storage import parallel_map

log = logging.getLogger(__name__)

# ListModelPackages and ListModelPackageGroups return at most 100 a page
# (botocore:MaxResults, 1-100).
PAGE_SIZE = 100


@dataclass(frozen=True)
class Package:
    """A versioned model package as DescribeModelPackage returns it."""

    arn: str
    native_id: int
    version: SemVer
    stage: Stage
    approval: str | None
    manifest_uri: str
    manifest_digest: str
    created_at: datetime
    updated_at: datetime

    def summary(self, name: ModelName) -> VersionSummary:
        return VersionSummary(
            name=str(name),
            version=self.version,
            stage=self.stage,
            native_id=str(self.native_id),
            created_at=self.created_at,
            updated_at=self.updated_at,
            manifest_uri=self.manifest_uri,
            manifest_digest=self.manifest_digest,
        )


class Packages:
    """Groups and packages, found by unireg's names and semantic versions.

    Every ARN is built from the client's region and account, and every ARN SageMaker
    returns is checked against them.
    """

    def __init__(
        self,
        client: str,
        settings: SageMakerSettings,
        connection: Connection,
        native_name: Callable[[ModelName], str],
    ) -> None:
        self.client = client
        self.settings = settings
        self.connection = connection
        self.native_name = native_name
        self._arns: dict[tuple[str, SemVer], str] = {}
        self._arns_lock = threading.Lock()

    # ARNs, built from this client's settings only.

    def group_arn_prefix(self) -> str:
        return (
            f"arn:aws:sagemaker:{self.settings.region}:{self.settings.account_id}:"
            "model-package-group/"
        )

    def group_arn(self, name: ModelName) -> str:
        return self.group_arn_prefix() + self.native_name(name)

    def check_arn(self, arn: str) -> str:
        """Raise unless ``arn`` is in this client's region and account."""
        parts = arn.split(":")
        if len(parts) < 6 or parts[3:5] != [
            self.settings.region,
            self.settings.account_id,
        ]:
            raise ConflictError(
                f"SageMaker returned {arn}, outside region {self.settings.region} and "
                f"account {self.settings.account_id} of client {self.client}",
                client=self.client,
                backend="sagemaker",
                resource=arn,
            )
        return arn

    # Groups and packages.

    def ensure_group(self, name: ModelName) -> None:
        """Create the model's group, tagged with its canonical name, if missing."""
        group = self.native_name(name)
        sagemaker = self.connection.sagemaker()
        try:
            self.connection.call(
                "DescribeModelPackageGroup",
                self.group_arn(name),
                sagemaker.describe_model_package_group,
                ModelPackageGroupName=group,
            )
            return
        except NotFoundError:
            pass
        try:
            self.connection.call(
                "CreateModelPackageGroup",
                self.group_arn(name),
                sagemaker.create_model_package_group,
                ModelPackageGroupName=group,
                ModelPackageGroupDescription=f"unireg model {name}",
                Tags=[
                    {"Key": mapping.MODEL_TAG, "Value": str(name)},
                    {"Key": mapping.CLIENT_TAG, "Value": self.client},
                ],
            )
        except (ConflictError, InvalidInputError) as exc:
            # Another process created the group in the meantime. NOTE: SageMaker's
            # error for an existing group is inferred to be a ValidationException
            # saying "already exists".
            if "already exists" not in str(exc):
                raise
        log.info("created model package group %s for %s", group, name)

    def pages(
        self, operation: str, resource: str, key: str, **params: Any
    ) -> list[Any]:
        """Follow NextToken to the last page, whatever each page holds."""
        sagemaker = self.connection.sagemaker()
        method = getattr(sagemaker, _snake(operation))
        items: list[Any] = []
        token: str | None = None
        while True:
            page_params = {**params, "MaxResults": PAGE_SIZE}
            if token:
                page_params["NextToken"] = token
            page = self.connection.call(operation, resource, method, **page_params)
            items.extend(page.get(key, []))
            token = page.get("NextToken")
            if not token:
                return items

    def package_arns(self, name: ModelName) -> list[str]:
        try:
            summaries = self.pages(
                "ListModelPackages",
                self.group_arn(name),
                "ModelPackageSummaryList",
                ModelPackageGroupName=self.native_name(name),
                ModelPackageType="Versioned",
            )
        except NotFoundError:
            return []
        return [
            self.check_arn(item["ModelPackageArn"])
            for item in summaries
            if item.get("ModelPackageStatus") not in ("Deleting", "Failed")
        ]

    def scan(self, name: ModelName) -> dict[SemVer, Package]:
        """Describe every package of the model; return them by semantic version.

        Two packages with one semantic version can only come from two registrations
        racing; the older one (lower version number) is the version.
        """
        packages = parallel_map(
            lambda arn: self.describe(arn, missing_ok=True), self.package_arns(name)
        )
        found: dict[SemVer, Package] = {}
        for package in sorted(
            (item for item in packages if item is not None),
            key=lambda item: item.native_id,
        ):
            if package.version in found:
                log.warning(
                    "%s also has %s %s; using the older %s",
                    package.arn,
                    name,
                    package.version,
                    found[package.version].arn,
                )
                continue
            found[package.version] = package
        group = self.native_name(name)
        for package in found.values():
            self.remember(group, package)
        return found

    def find(self, name: ModelName, version: SemVer) -> Package | None:
        group = self.native_name(name)
        with self._arns_lock:
            arn = self._arns.get((group, version))
        if arn is not None:
            package = self.describe(arn, missing_ok=True)
            if package is not None and package.version == version:
                return package
        return self.scan(name).get(version)

    def require(self, name: ModelName, version: SemVer) -> Package:
        package = self.find(name, version)
        if package is None:
            raise NotFoundError(
                f"{name} has no version {version}",
                client=self.client,
                backend="sagemaker",
                resource=f"{self.group_arn(name)}/{version}",
            )
        return package

    def known_arns(self, group: str) -> set[str]:
        """Return the ARNs of this group's packages already described."""
        with self._arns_lock:
            return {arn for (known, _), arn in self._arns.items() if known == group}

    def remember(self, group: str, package: Package) -> None:
        with self._arns_lock:
            self._arns[(group, package.version)] = package.arn

    def describe(self, arn: str, missing_ok: bool = False) -> Package | None:
        """Describe one package; None if unireg did not create it (or, with
        ``missing_ok``, if it no longer exists)."""
        sagemaker = self.connection.sagemaker()
        try:
            response = self.connection.call(
                "DescribeModelPackage",
                arn,
                sagemaker.describe_model_package,
                ModelPackageName=arn,
            )
        except NotFoundError:
            if missing_ok:
                return None
            raise
        return self._package(response)

    def _package(self, response: dict[str, Any]) -> Package | None:
        arn = response["ModelPackageArn"]
        properties = response.get("CustomerMetadataProperties") or {}
        if mapping.VERSION_KEY not in properties:
            log.debug("skipping %s: no %s", arn, mapping.VERSION_KEY)
            return None
        missing = [key for key in mapping.UNIREG_KEYS if key not in properties]
        if missing:
            raise self._damaged(arn, f"lacks the metadata entry {missing[0]!r}")
        try:
            version = SemVer.parse(properties[mapping.VERSION_KEY])
        except InvalidInputError:
            value = properties[mapping.VERSION_KEY]
            raise self._damaged(
                arn, f"has {mapping.VERSION_KEY} {value!r}, not a semantic version"
            ) from None
        stage = mapping.stage_from_lifecycle(response.get("ModelLifeCycle"))
        if stage is None:
            raise ConflictError(
                f"{arn} has ModelLifeCycle {response.get('ModelLifeCycle')!r}, which "
                f"is no unireg stage: set its Stage to one of "
                f"{', '.join(item.stage for item in mapping.STAGES.values())}",
                client=self.client,
                backend="sagemaker",
                resource=arn,
            )
        created = _utc(response["CreationTime"])
        return Package(
            arn=arn,
            native_id=int(response["ModelPackageVersion"]),
            version=version,
            stage=stage,
            approval=response.get("ModelApprovalStatus"),
            manifest_uri=properties[mapping.MANIFEST_URI_KEY],
            manifest_digest=properties[mapping.MANIFEST_SHA256_KEY],
            created_at=created,
            updated_at=_utc(response.get("LastModifiedTime") or created),
        )

    def _damaged(self, arn: str, problem: str) -> ConflictError:
        return ConflictError(
            f"{arn} {problem}: unireg wrote it, so someone changed it since; restore "
            "the entry or delete the package",
            client=self.client,
            backend="sagemaker",
            resource=arn,
        )

    def forget(self, name: ModelName, version: SemVer) -> None:
        """Drop the remembered package of a deleted version."""
        with self._arns_lock:
            self._arns.pop((self.native_name(name), version), None)


def _snake(operation: str) -> str:
    """Return the boto3 method name of an API operation: ListModelPackages ->
    list_model_packages."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()


def _utc(value: datetime) -> datetime:
    """botocore returns timestamps with tzlocal or tzutc; make them UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
