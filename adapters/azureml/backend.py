"""The Azure Machine Learning adapter: unireg's registry on a client's workspace.

The workspace's model registry stores versions and stages, and the client's blob
container stores artifacts, manifests, the history and the version claims (see
``mapping`` for how each concept is spelled). azure-ai-ml is imported on the first
call, because importing it takes about 2 s.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from unireg.domain import (
    ArtifactRef,
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
from unireg.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    UniregError,
)
from unireg.port import Backend, Capabilities

from . import mapping
from .settings import AzureMLSettings, parse_settings
from .storage import BlobStore, require_key

log = logging.getLogger(__name__)
T = TypeVar("T")

# Where a model path may point: https blob URLs and azureml:// URIs are taken as
# they are by azure-ai-ml (_utils/utils.py is_url, azure-ai-ml 1.35.2); the others
# listed in https://learn.microsoft.com/azure/machine-learning/how-to-manage-models.
ARTIFACT_SCHEMES = ("https://", "azureml://", "wasbs://", "abfss://")
TOKEN_SCOPE = "https://management.azure.com/.default"  # noqa: S105 - a scope
# How long a registration waits for a competing registration of the same version
# to appear before reporting the conflict.
COMPETITOR_WAIT_S = 5.0
MAX_NATIVE_CLAIMS = 100


class AzureMLBackend(Backend):
    kind = "azureml"
    capabilities = Capabilities(
        delete_version=False,
        atomic_stage_moves=False,
        caller_chooses_native_id=True,
        native_archive=True,
    )

    def __init__(
        self,
        client: str,
        settings: AzureMLSettings,
        *,
        credential: Any = None,
        transport_factory: Callable[[], Any] | None = None,
    ) -> None:
        super().__init__(client)
        self.settings = settings
        self._credential = credential
        self._transport_factory = transport_factory
        self._ml: Any = None
        self._store: BlobStore | None = None
        self._actor: str | None = None

    @classmethod
    def from_settings(
        cls, client: str, settings: Mapping[str, Any], *, source: str
    ) -> AzureMLBackend:
        return cls(client, parse_settings(settings, source))

    # Clients, built on first use.

    def _credential_object(self) -> Any:
        if self._credential is None:
            if self.settings.credential == "emulator":
                from .identity import EMULATOR_PRINCIPAL, EmulatorCredential

                principal = self.settings.principal or EMULATOR_PRINCIPAL
                self._credential = EmulatorCredential(principal)
            else:
                from azure.identity import DefaultAzureCredential

                self._credential = DefaultAzureCredential(
                    exclude_interactive_browser_credential=True
                )
        return self._credential

    def _pipeline_options(self, *, storage: bool) -> dict[str, Any]:
        """Return the retry policy and transport of one SDK client."""
        from .sdk import CountingRetryPolicy, CountingStorageRetry, endpoint_transport

        retry: Any
        if storage:
            retry = CountingStorageRetry(
                self.stats,
                initial_backoff=self.settings.retry_backoff_factor,
                increment_base=2,
                retry_total=self.settings.retry_total,
                random_jitter_range=0,
            )
        else:
            retry = CountingRetryPolicy(
                self.stats,
                retry_total=self.settings.retry_total,
                retry_backoff_factor=self.settings.retry_backoff_factor,
                retry_backoff_max=self.settings.retry_backoff_max,
                timeout=self.settings.timeout_seconds,
            )
        options: dict[str, Any] = {"retry_policy": retry}
        if self._transport_factory is not None:
            options["transport"] = self._transport_factory()
        elif self.settings.endpoint is not None:
            ca_bundle = (
                str(self.settings.ca_bundle) if self.settings.ca_bundle else None
            )
            options["transport"] = endpoint_transport(self.settings.endpoint, ca_bundle)
        return options

    @property
    def ml(self) -> Any:
        if self._ml is None:
            from .sdk import load_azure_ai_ml

            load_azure_ai_ml()
            from azure.ai.ml import MLClient

            self._ml = MLClient(
                credential=self._credential_object(),
                subscription_id=self.settings.subscription_id,
                resource_group_name=self.settings.resource_group,
                workspace_name=self.settings.workspace,
                enable_telemetry=False,
                **self._pipeline_options(storage=False),
            )
        return self._ml

    @property
    def store(self) -> BlobStore:
        if self._store is None:
            from azure.storage.blob import BlobServiceClient

            service = BlobServiceClient(
                self.settings.storage_account,
                credential=self._credential_object(),
                **self._pipeline_options(storage=True),
            )
            container = service.get_container_client(self.settings.storage_container)
            self._store = BlobStore(container, self.settings.prefix, self._call)
        return self._store

    def _call(self, operation: str, resource: str, call: Callable[[], T]) -> T:
        """Run one SDK call, measured, translating its errors."""
        from .sdk import sdk_errors, translate

        started = time.perf_counter()
        try:
            with self.stats.measure(operation):
                result = call()
        except sdk_errors() as exc:
            raise translate(
                exc,
                operation=operation,
                resource=resource,
                client=self.client,
                backend=self.kind,
            ) from exc
        log.debug(
            "%s %s for client %s took %.3f s",
            operation,
            resource,
            self.client,
            time.perf_counter() - started,
        )
        return result

    def _version_scope(self, native_name: str, native_id: str | None = None) -> str:
        scope = f"{self.settings.workspace_scope}/models/{native_name}"
        return f"{scope}/versions/{native_id}" if native_id else scope

    # Checks made before the first call.

    def check_record(self, name: ModelName, record: VersionRecord) -> None:
        self.native_model_name(name)
        mapping.check_tags(dict(record.tags))
        self._check_artifact_uri(record.artifact.uri, local_ok=True)

    def _check_artifact_uri(self, uri: str, *, local_ok: bool) -> None:
        # A file:// URI names a local file that put_artifact uploads first.
        if local_ok and uri.startswith("file://"):
            return
        if not uri.startswith(ARTIFACT_SCHEMES):
            raise InvalidInputError(
                f"artifact {uri!r} cannot be an Azure ML model path: use a local "
                f"file or a URI starting with {', '.join(ARTIFACT_SCHEMES)}"
            )

    # Artifacts.

    def put_artifact(self, name: ModelName, path: Path, artifact: ArtifactRef) -> str:
        key = self.store.key("artifacts", "sha256", artifact.sha256)
        self.store.upload_file(key, path)
        return self.store.uri(key)

    def describe_artifact(self, uri: str) -> tuple[str, int]:
        if uri.startswith("azureml://"):
            raise InvalidInputError(
                f"artifact {uri!r} is an Azure ML datastore URI, which unireg cannot "
                "read: pass its digest with --sha256"
            )
        return self.store.digest(require_key(self.store, uri))

    # Versions.

    def create_version(
        self, name: ModelName, version: SemVer, record: VersionRecord, stage: Stage
    ) -> ModelVersion:
        native_name = self.native_model_name(name)
        mapping.check_tags(dict(record.tags))
        self._check_artifact_uri(record.artifact.uri, local_ok=False)
        payload = manifest_json(str(name), version, record)
        digest = manifest_digest(payload)
        manifest_key = self.store.key("manifests", "sha256", f"{digest}.json")
        self.store.put_once(manifest_key, payload)

        native_id = self._claim(name, native_name, version, digest)
        resource = self._version_scope(native_name, native_id)
        # create_or_update replaces an existing version silently (azure-ai-ml
        # 1.35.2 issues a plain PUT), so the adapter reads first.
        existing = self._rest_version(native_name, native_id, missing_ok=True)
        if existing is not None:
            raise ConflictError(
                f"{name} {version} already exists as Azure ML version {native_id}",
                client=self.client,
                backend=self.kind,
                resource=resource,
            )

        from azure.ai.ml.entities import Model

        model = Model(
            name=native_name,
            version=native_id,
            path=record.artifact.uri,
            type="custom_model",
            description=record.description or None,
            tags=mapping.version_tags(name, version, stage, digest, record),
            properties={
                mapping.TAG_VERSION: str(version),
                mapping.TAG_MANIFEST_SHA256: digest,
                mapping.PROPERTY_MANIFEST_URI: self.store.uri(manifest_key),
            },
            stage=mapping.azure_stage(stage),
        )
        self._call(
            "ModelVersions.CreateOrUpdate",
            resource,
            lambda: self.ml.models.create_or_update(model),
        )
        log.info("created %s %s as %s for %s", name, version, resource, self.client)
        if stage in mapping.ARCHIVED_STAGES:
            self._set_archived(native_name, native_id, stage, archived=True)
        rest = self._rest_version(native_name, native_id)
        return ModelVersion(**self._summary(rest).model_dump(), record=record)

    def _claim(
        self, name: ModelName, native_name: str, version: SemVer, digest: str
    ) -> str:
        """Reserve an Azure version id for ``version`` and return it.

        Two create-only blobs make concurrent registrations safe, because neither
        auto-numbering nor create_or_update is atomic on Azure: one claim per Azure
        id (first writer wins the number) and one per semantic version (first
        writer wins the version). A claim left by an interrupted registration of the
        same manifest is resumed.
        """
        version_key = self._claim_key(name, version)
        claimed = self._read_claim(version_key)
        if claimed is not None:
            return self._resume(name, version, claimed, digest)

        listed = self._list_rest(native_name)
        if any(self._tag(item, mapping.TAG_VERSION) == str(version) for item in listed):
            raise ConflictError(
                f"{name} {version} already exists",
                client=self.client,
                backend=self.kind,
                resource=self._version_scope(native_name),
            )
        numbers = [mapping.parse_native_id(item["name"]) for item in listed]
        candidate = max((n for n in numbers if n is not None), default=0) + 1
        for _ in range(MAX_NATIVE_CLAIMS):
            body = json.dumps({"version": str(version)}).encode()
            if self.store.create(
                self.store.key("claims", str(name), "ids", str(candidate)), body
            ):
                break
            candidate += 1
        else:
            raise ConflictError(
                f"no free Azure ML version id for {name} after {MAX_NATIVE_CLAIMS} "
                "tries: too many registrations at once; try again",
                client=self.client,
                backend=self.kind,
            )
        claim = {"native_id": str(candidate), "manifest_sha256": digest}
        if self.store.create(version_key, json.dumps(claim).encode()):
            return str(candidate)
        claimed = self._read_claim(version_key)
        assert claimed is not None
        return self._resume(name, version, claimed, digest)

    def _resume(
        self, name: ModelName, version: SemVer, claim: dict[str, str], digest: str
    ) -> str:
        if claim.get("manifest_sha256") == digest:
            return claim["native_id"]
        # Another registration of this version, with a different record, owns the
        # claim. Wait for it to finish so the caller can compare artifacts.
        deadline = time.monotonic() + COMPETITOR_WAIT_S
        native_name = self.native_model_name(name)
        while time.monotonic() < deadline:
            if self._rest_version(native_name, claim["native_id"], missing_ok=True):
                break
            time.sleep(0.2)
        raise ConflictError(
            f"{name} {version} is already registered, or being registered, with a "
            f"different record (Azure ML version {claim['native_id']})",
            client=self.client,
            backend=self.kind,
            resource=self._version_scope(native_name, claim["native_id"]),
        )

    def _claim_key(self, name: ModelName, version: SemVer) -> str:
        return self.store.key("claims", str(name), "versions", f"{version}.json")

    def _read_claim(self, key: str) -> dict[str, str] | None:
        try:
            claim: dict[str, str] = json.loads(self.store.read(key))
        except NotFoundError:
            return None
        return claim

    def _native_id(self, name: ModelName, version: SemVer) -> str:
        claim = self._read_claim(self._claim_key(name, version))
        if claim is None:
            raise NotFoundError(
                f"{name} has no version {version}",
                client=self.client,
                backend=self.kind,
                resource=f"{name}/{version}",
            )
        return claim["native_id"]

    def get_version(self, name: ModelName, version: SemVer) -> ModelVersion:
        native_name = self.native_model_name(name)
        native_id = self._native_id(name, version)
        rest = self._rest_version(native_name, native_id, missing_ok=True)
        if rest is None or self._tag(rest, mapping.TAG_VERSION) != str(version):
            raise NotFoundError(
                f"{name} has no version {version}",
                client=self.client,
                backend=self.kind,
                resource=self._version_scope(native_name, native_id),
            )
        summary = self._summary(rest)
        key = require_key(self.store, summary.manifest_uri)
        payload = self.store.read(key)
        record = parse_manifest(payload, summary.manifest_digest, summary.manifest_uri)
        return ModelVersion(**summary.model_dump(), record=record)

    def list_models(self) -> list[str]:
        from azure.ai.ml.constants import ListViewType

        containers = self._call(
            "ModelContainers.List",
            f"{self.settings.workspace_scope}/models",
            lambda: list(self.ml.models.list(list_view_type=ListViewType.ALL)),
        )
        rule_names = []
        for container in containers:
            try:
                name = self._name_rule().canonical(container.name)
            except InvalidInputError:
                continue  # a model registered outside unireg
            rule_names.append(str(name))
        return rule_names

    def list_versions(self, name: ModelName) -> list[VersionSummary]:
        native_name = self.native_model_name(name)
        return [
            self._summary(item)
            for item in self._list_rest(native_name)
            if self._tag(item, mapping.TAG_VERSION) is not None
        ]

    def set_stage(self, name: ModelName, change: StageChange) -> None:
        native_name = self.native_model_name(name)
        native_id = self._native_id(name, change.version)
        rest = self._rest_version(native_name, native_id)
        properties = rest["properties"]
        current = mapping.stage_from_tags(
            dict(properties.get("tags") or {}), properties.get("stage")
        )
        target = change.to_stage
        archived = target in mapping.ARCHIVED_STAGES
        if current is not target:
            if current is not change.from_stage:
                raise ConflictError(
                    f"{name} {change.version} is in {current}, not "
                    f"{change.from_stage}: another operation moved it; look at "
                    "`unireg history` and try again",
                    client=self.client,
                    backend=self.kind,
                    resource=self._version_scope(native_name, native_id),
                )
            # The tag is written first: it decides the stage for unireg, so an
            # interruption before the archive call below leaves the version in its
            # new stage, and a retry only fixes Azure's archived flag.
            self._relabel(native_name, native_id, target, rest)
        if bool(properties.get("isArchived")) != archived:
            self._set_archived(native_name, native_id, target, archived)

    def _relabel(
        self, native_name: str, native_id: str, stage: Stage, rest: Any
    ) -> Any:
        """Write the stage tag and field of ``rest`` with one full-document PUT."""
        rest["properties"]["tags"] = {
            **dict(rest["properties"].get("tags") or {}),
            mapping.TAG_STAGE: stage.value,
        }
        rest["properties"]["stage"] = mapping.azure_stage(stage)
        return self._put_rest(native_name, native_id, rest)

    def _set_archived(
        self, native_name: str, native_id: str, stage: Stage, archived: bool
    ) -> None:
        """Archive or restore, then make sure the stage field survived.

        azure-ai-ml 1.35.2 drops ``stage`` from the archive and restore PUT
        (_utils/_asset_utils.py, _archive_restore_body with drop_stage=True), and
        whether the service then clears it is undocumented, so it is read back and
        written again if lost.
        """
        resource = self._version_scope(native_name, native_id)
        operation = "ModelVersions.Archive" if archived else "ModelVersions.Restore"
        action = self.ml.models.archive if archived else self.ml.models.restore
        self._call(operation, resource, lambda: action(native_name, version=native_id))
        rest = self._rest_version(native_name, native_id)
        if rest["properties"].get("stage") != mapping.azure_stage(stage):
            written = self._relabel(native_name, native_id, stage, rest)
            if written["properties"].get("stage") != mapping.azure_stage(stage):
                raise ConflictError(
                    f"Azure ML did not keep stage {stage} on {resource}",
                    client=self.client,
                    backend=self.kind,
                    resource=resource,
                )

    # REST-level reads and writes. azure-ai-ml's Model entity carries no archived
    # flag and its create_or_update always sends isArchived=false, so stage writes
    # use the generated operations that ModelOperations itself wraps
    # (ml_client.models._model_versions_operation, a private attribute).

    def _versions_operation(self) -> Any:
        return self.ml.models._model_versions_operation

    def _scope_kwargs(self) -> dict[str, str]:
        return {
            "resource_group_name": self.settings.resource_group,
            "workspace_name": self.settings.workspace,
        }

    def _rest_version(
        self, native_name: str, native_id: str, *, missing_ok: bool = False
    ) -> Any:
        resource = self._version_scope(native_name, native_id)
        try:
            rest = self._call(
                "ModelVersions.Get",
                resource,
                lambda: self._versions_operation().get(
                    name=native_name, version=native_id, **self._scope_kwargs()
                ),
            )
        except NotFoundError:
            if missing_ok:
                return None
            raise
        return self._checked(rest, resource)

    def _put_rest(self, native_name: str, native_id: str, rest: Any) -> Any:
        resource = self._version_scope(native_name, native_id)
        result = self._call(
            "ModelVersions.CreateOrUpdate",
            resource,
            lambda: self._versions_operation().create_or_update(
                name=native_name, version=native_id, body=rest, **self._scope_kwargs()
            ),
        )
        return self._checked(result, resource)

    def _list_rest(self, native_name: str) -> list[Any]:
        resource = self._version_scope(native_name)
        items: list[Any] = self._call(
            "ModelVersions.List",
            resource,
            lambda: list(
                self._versions_operation().list(
                    name=native_name, list_view_type="All", **self._scope_kwargs()
                )
            ),
        )
        return [
            self._checked(item, f"{resource}/versions/{item['name']}") for item in items
        ]

    def _checked(self, rest: Any, resource: str) -> Any:
        """Refuse a response for another workspace than this client's."""
        returned = str(rest.get("id") or "")
        if returned and returned.lower() != resource.lower():
            raise PermissionDeniedError(
                f"Azure returned {returned} for {resource}: the response is outside "
                "this client's workspace, so it is refused",
                client=self.client,
                backend=self.kind,
                resource=resource,
            )
        return rest

    @staticmethod
    def _tag(rest: Any, key: str) -> str | None:
        tags = rest["properties"].get("tags") or {}
        value = tags.get(key)
        return str(value) if value is not None else None

    def _summary(self, rest: Any) -> VersionSummary:
        properties = rest["properties"]
        tags = dict(properties.get("tags") or {})
        written = dict(properties.get("properties") or {})
        stage = mapping.stage_from_tags(tags, properties.get("stage"))
        if stage is None or mapping.TAG_VERSION not in tags:
            raise UniregError(
                f"Azure ML version {rest['id']} has no readable unireg stage or "
                "version tag: it was changed outside unireg",
                client=self.client,
                backend=self.kind,
                resource=str(rest["id"]),
            )
        system = rest.get("systemData") or {}
        created = _utc(system.get("createdAt"))
        return VersionSummary(
            name=tags.get(mapping.TAG_MODEL) or str(rest["id"]).split("/")[-3],
            version=SemVer.parse(tags[mapping.TAG_VERSION]),
            stage=stage,
            native_id=str(rest["name"]),
            created_at=created,
            updated_at=_utc(system.get("lastModifiedAt"))
            if system.get("lastModifiedAt")
            else created,
            manifest_uri=written.get(mapping.PROPERTY_MANIFEST_URI, ""),
            manifest_digest=tags.get(mapping.TAG_MANIFEST_SHA256)
            or written.get(mapping.TAG_MANIFEST_SHA256, ""),
        )

    def _name_rule(self) -> Any:
        from unireg.domain import CLOUD_NAME_RULES

        return CLOUD_NAME_RULES[self.kind]

    # History.

    def append_event(self, event: Event) -> None:
        key = self.store.key("events", event.model, f"{event.id}.json")
        if not self.store.create(key, event.model_dump_json().encode()):
            raise ConflictError(
                f"event {event.id} already exists",
                client=self.client,
                backend=self.kind,
                resource=self.store.uri(key),
            )

    def list_events(self, name: ModelName | None = None) -> list[Event]:
        prefix = (
            self.store.key("events", str(name)) + "/"
            if name
            else self.store.key("events") + "/"
        )
        names = self.store.names(prefix)
        events = [
            Event.model_validate_json(self.store.read(key))
            for key in names
            if key.endswith(".json")
        ]
        return sorted(events, key=lambda event: event.id)

    # Identity.

    def actor(self) -> str:
        """Return the principal named in the token Azure accepts for this client."""
        if self._actor is None:
            from .identity import principal_of

            credential = self._credential_object()
            token = self._call(
                "GetToken", TOKEN_SCOPE, lambda: credential.get_token(TOKEN_SCOPE)
            )
            try:
                self._actor = principal_of(token.token)
            except ValueError as exc:
                raise PermissionDeniedError(
                    f"cannot name the Azure identity: {exc}",
                    client=self.client,
                    backend=self.kind,
                ) from exc
        return self._actor

    def close(self) -> None:
        if self._ml is not None:
            self._ml = None
        self._store = None


def _utc(text: Any) -> datetime:
    if isinstance(text, datetime):
        value = text
    else:
        value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
