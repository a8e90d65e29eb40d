"""The Vertex AI Model Registry backend.

A unireg model is a Vertex ``Model`` whose id is the canonical name. Each version
is a model version, and its service-assigned id is the native id. Every version
carries its stage in the ``unireg_stage`` label. The ``production`` alias, moved in
one MergeVersionAliases call, decides which version is in production, and the
``staging`` alias marks the highest staging version. The version record is a
manifest in the client's bucket. The SDK is imported on first use, because
importing ``google.cloud.aiplatform_v1`` alone takes about 1.5 s.
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

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
from unireg.domain.record import describe
from unireg.errors import (
    BackendUnavailableError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    RefusedError,
    UniregError,
)
from unireg.port import Backend, Capabilities

from .calls import bounded_retry, sdk_errors, storage_retry, translate
from .gcs import Bucket
from .mapping import (
    DEFAULT_ALIAS,
    MODEL_LABEL,
    PRODUCTION_ALIAS,
    STAGE_LABEL,
    STAGING_ALIAS,
    VERSION_LABEL,
    label_problem,
    version_description,
    version_labels,
)
from .settings import VertexSettings
from .versions import VersionState, parse_version

log = logging.getLogger(__name__)

T = TypeVar("T")

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
MAX_ETAG_ATTEMPTS = 5


class VertexBackend(Backend):
    kind = "vertex"
    capabilities = Capabilities(
        delete_version=True,
        atomic_stage_moves=True,
        caller_chooses_native_id=False,
        native_archive=False,
        native_stages=frozenset({Stage.PRODUCTION, Stage.STAGING}),
    )

    def __init__(self, client: str, settings: VertexSettings) -> None:
        super().__init__(client)
        self.settings = settings
        self._credentials: Any = None
        self._models: Any = None
        self._bucket: Bucket | None = None
        self._actor: str | None = None

    @classmethod
    def from_settings(
        cls, client: str, settings: Mapping[str, Any], *, source: str
    ) -> VertexBackend:
        try:
            parsed = VertexSettings.model_validate(dict(settings))
        except ValidationError as exc:
            raise InvalidInputError(f"{source}: {describe(exc)}") from exc
        return cls(client, parsed)

    # Clients, built on first use.

    def _retry(self) -> Any:
        return bounded_retry(
            self.settings.retry_initial_s,
            self.settings.retry_deadline_s,
            self.stats.count_retry,
        )

    def _creds(self) -> Any:
        if self._credentials is not None:
            return self._credentials
        if self.settings.anonymous_credentials:
            from google.auth.credentials import AnonymousCredentials

            self._credentials = AnonymousCredentials()
            return self._credentials
        import google.auth
        from google.auth import exceptions as auth_exceptions

        try:
            source, _ = google.auth.default(scopes=[CLOUD_PLATFORM_SCOPE])
        except auth_exceptions.DefaultCredentialsError as exc:
            raise InvalidInputError(
                f"client {self.client}: no application default credentials were "
                "found; run `gcloud auth application-default login` or set "
                "GOOGLE_APPLICATION_CREDENTIALS"
            ) from exc
        if self.settings.impersonate_service_account is not None:
            from google.auth import impersonated_credentials

            source = impersonated_credentials.Credentials(
                source_credentials=source,
                target_principal=self.settings.impersonate_service_account,
                target_scopes=[CLOUD_PLATFORM_SCOPE],
            )
        self._credentials = source
        return source

    def _vertex(self) -> Any:
        if self._models is None:
            from google.api_core.client_options import ClientOptions
            from google.cloud.aiplatform_v1 import ModelServiceClient

            endpoint = (
                self.settings.api_endpoint
                or f"https://{self.settings.location}-aiplatform.googleapis.com"
            )
            self._models = ModelServiceClient(
                credentials=self._creds(),
                transport="rest",
                client_options=ClientOptions(api_endpoint=endpoint),
            )
        return self._models

    def _gcs(self) -> Bucket:
        if self._bucket is None:
            import google.cloud.storage as storage

            options = (
                {"api_endpoint": self.settings.storage_endpoint}
                if self.settings.storage_endpoint
                else None
            )
            client = storage.Client(
                project=self.settings.project,
                credentials=self._creds(),
                client_options=options,
            )
            retry = storage_retry(
                self.settings.retry_initial_s,
                self.settings.retry_deadline_s,
                self.stats.count_retry,
            )
            self._bucket = Bucket(
                client, self.settings.bucket, self.stats, retry, self.client
            )
        return self._bucket

    def close(self) -> None:
        if self._models is not None:
            self._models.transport.close()
            self._models = None
        self._bucket = None

    def _call(
        self,
        operation: str,
        resource: str,
        method: Callable[..., T],
        *,
        passthrough: tuple[type[BaseException], ...] = (),
        **kwargs: Any,
    ) -> T:
        """Run one Vertex AI call, counted in ``stats`` and translated at the edge;
        exceptions of a ``passthrough`` type are raised untranslated."""
        with self.stats.measure(operation):
            try:
                return method(retry=self._retry(), **kwargs)
            except passthrough:
                raise
            except UniregError:
                raise
            except sdk_errors() as exc:
                raise translate(
                    exc, action=operation, resource=resource, client=self.client
                ) from exc

    # Names.

    def _model_resource(self, name: ModelName) -> str:
        return f"{self.settings.parent}/models/{self.native_model_name(name)}"

    def _manifest_key(self, digest: str) -> str:
        return self.settings.key("manifests", "sha256", f"{digest}.json")

    def _pending_key(self, name: ModelName, version: SemVer) -> str:
        return self.settings.key("operations", str(name), f"{version}.json")

    # Checks made before the first call.

    def _tag_labels(self, record: VersionRecord) -> dict[str, str]:
        return {
            key: record.tags[key]
            for key in self.settings.label_tags
            if key in record.tags
        }

    def check_record(self, name: ModelName, record: VersionRecord) -> None:
        """Check the tags mirrored as labels (``label_tags``) against the label
        rules; unireg's own labels always fit."""
        for key, value in self._tag_labels(record).items():
            problem = label_problem(key, value)
            if problem is not None:
                raise InvalidInputError(
                    f"tag {key}={value!r} of {name} is copied to a Vertex AI label "
                    f"(settings.label_tags), but {problem}: change the tag value or "
                    f"remove {key!r} from label_tags",
                    client=self.client,
                    backend=self.kind,
                )

    # Artifacts.

    def put_artifact(self, name: ModelName, path: Path, artifact: ArtifactRef) -> str:
        bucket = self._gcs()
        key = self.settings.key("artifacts", "sha256", artifact.sha256)
        if not bucket.exists(key):
            bucket.create(key, path, "application/octet-stream")
        return bucket.uri(key)

    def describe_artifact(self, uri: str) -> tuple[str, int]:
        if not uri.startswith("gs://"):
            return super().describe_artifact(uri)
        bucket = self._gcs()
        return bucket.digest(bucket.key_of(uri))

    # Versions.

    def _list(
        self, name: ModelName, label_filter: str = ""
    ) -> list[VersionState] | None:
        """Return every unireg version of ``name`` matching ``label_filter``,
        following pagination; None if the model does not exist."""
        from google.api_core.exceptions import NotFound
        from google.cloud.aiplatform_v1 import ListModelVersionsRequest

        resource = self._model_resource(name)
        request = ListModelVersionsRequest(
            name=resource, filter=label_filter, page_size=self.settings.page_size
        )
        try:
            pager = self._call(
                "ListModelVersions",
                resource,
                self._vertex().list_model_versions,
                passthrough=(NotFound,),
                request=request,
            )
        except NotFound:
            return None
        pages = iter(pager.pages)
        states: list[VersionState] = []
        page = next(pages)
        while page is not None:
            for model in page.models:
                state = parse_version(model, resource, str(name))
                if state is not None:
                    states.append(state)
            page = (
                self._call("ListModelVersions", resource, lambda retry: next(pages))
                if page.next_page_token
                else None
            )
        return states

    def _states(self, name: ModelName) -> dict[SemVer, VersionState]:
        return {state.version: state for state in self._list(name) or []}

    def _find(
        self, name: ModelName, version: SemVer
    ) -> tuple[bool, VersionState | None]:
        """Look a version up by its semver label: (model exists, version or None)."""
        found = self._list(name, f'labels.{VERSION_LABEL}="{version.label}"')
        if found is None:
            return False, None
        if len(found) > 1:
            log.warning(
                "%s %s has %d Vertex AI versions; using the oldest",
                name,
                version,
                len(found),
            )
        return True, min(found, key=lambda s: int(s.version_id), default=None)

    def create_version(
        self, name: ModelName, version: SemVer, record: VersionRecord, stage: Stage
    ) -> ModelVersion:
        self.check_record(name, record)
        self._resume(name, version)
        exists, state = self._find(name, version)
        if state is not None:
            raise ConflictError(
                f"{name} {version} already exists as Vertex AI version "
                f"{state.version_id}",
                client=self.client,
                backend=self.kind,
                resource=state.resource,
            )

        payload = manifest_json(str(name), version, record)
        digest = manifest_digest(payload)
        bucket = self._gcs()
        bucket.create(self._manifest_key(digest), payload, "application/json")
        manifest_uri = bucket.uri(self._manifest_key(digest))

        version_id = self._upload(
            name, version, record, stage, exists, digest, manifest_uri
        )
        if stage is Stage.STAGING:
            self._place_staging_alias(name, self._states(name))
        created = self._get_state(f"{self._model_resource(name)}@{version_id}", name)
        log.info("registered %s %s as Vertex AI version %s", name, version, version_id)
        return ModelVersion(**created.summary.model_dump(), record=record)

    def _upload(
        self,
        name: ModelName,
        version: SemVer,
        record: VersionRecord,
        stage: Stage,
        model_exists: bool,
        digest: str,
        manifest_uri: str,
    ) -> str:
        from google.cloud.aiplatform_v1 import (
            Model,
            ModelContainerSpec,
            UploadModelRequest,
        )

        labels = version_labels(
            str(name), version, stage, digest, self._tag_labels(record)
        )
        # A version created in production takes the production alias and default,
        # which the upload moves from their holders in the same call.
        aliases = [PRODUCTION_ALIAS, DEFAULT_ALIAS] if stage is Stage.PRODUCTION else []
        model = Model(
            display_name=str(name),
            version_description=version_description(version, manifest_uri),
            labels=labels,
            version_aliases=aliases,
            container_spec=ModelContainerSpec(
                image_uri=self.settings.serving_image_uri
            ),
        )
        resource = self._model_resource(name)
        request = UploadModelRequest(parent=self.settings.parent, model=model)
        if model_exists:
            request.parent_model = resource
        else:
            request.model_id = self.native_model_name(name)
        operation = self._call(
            "UploadModel", resource, self._vertex().upload_model, request=request
        )
        response = self._wait(operation, "UploadModel", resource, name, version)
        return str(response.model_version_id)

    def _wait(
        self,
        operation: Any,
        action: str,
        resource: str,
        name: ModelName,
        version: SemVer,
    ) -> Any:
        """Wait for a long-running operation for at most ``operation_timeout_s``.

        On timeout, the operation's name is written to the bucket. The next
        ``create_version`` of the same version reads it and, while that operation
        runs, raises instead of uploading a second version."""
        timeout = self.settings.operation_timeout_s
        try:
            with self.stats.measure(f"{action}.wait"):
                return operation.result(timeout=timeout, retry=self._retry())
        except concurrent.futures.TimeoutError as exc:
            key = self._pending_key(name, version)
            pending = {"operation": operation.operation.name, "resource": resource}
            self._gcs().overwrite(key, json.dumps(pending).encode(), "application/json")
            raise BackendUnavailableError(
                f"{action} of {name} {version} did not finish within {timeout:g} s; "
                f"operation {operation.operation.name} is recorded at "
                f"{self._gcs().uri(key)}: run the command again to resume it",
                client=self.client,
                backend=self.kind,
                resource=resource,
            ) from exc
        except UniregError:
            raise
        except sdk_errors() as exc:
            raise translate(
                exc, action=action, resource=resource, client=self.client
            ) from exc

    def _resume(self, name: ModelName, version: SemVer) -> None:
        """Raise BackendUnavailableError while an earlier, timed-out upload of this
        version still runs."""
        payload = self._gcs().read_if_exists(self._pending_key(name, version))
        if payload is None:
            return
        pending = json.loads(payload)
        operation = self._call(
            "GetOperation",
            pending["operation"],
            self._vertex().get_operation,
            request={"name": pending["operation"]},
        )
        if not operation.done:
            raise BackendUnavailableError(
                f"an earlier upload of {name} {version} (operation "
                f"{pending['operation']}) is still running: try again later",
                client=self.client,
                backend=self.kind,
                resource=pending["resource"],
            )

    def _get_state(self, resource: str, name: ModelName) -> VersionState:
        model = self._call(
            "GetModel", resource, self._vertex().get_model, name=resource
        )
        state = parse_version(model, self._model_resource(name), str(name))
        if state is None:
            raise NotFoundError(
                f"{resource} carries no unireg labels",
                client=self.client,
                backend=self.kind,
                resource=resource,
            )
        return state

    def get_version(self, name: ModelName, version: SemVer) -> ModelVersion:
        _, state = self._find(name, version)
        if state is None:
            raise NotFoundError(
                f"{name} has no version {version} (no Vertex AI version is labelled "
                f"{VERSION_LABEL}={version.label})",
                client=self.client,
                backend=self.kind,
                resource=self._model_resource(name),
            )
        summary = state.summary
        bucket = self._gcs()
        payload = bucket.read(bucket.key_of(summary.manifest_uri))
        record = parse_manifest(payload, summary.manifest_digest, summary.manifest_uri)
        return ModelVersion(**summary.model_dump(), record=record)

    def list_models(self) -> list[str]:
        from google.cloud.aiplatform_v1 import ListModelsRequest

        parent = self.settings.parent
        request = ListModelsRequest(
            parent=parent,
            filter=f"labels.{MODEL_LABEL}:*",
            page_size=self.settings.page_size,
        )
        pager = self._call(
            "ListModels", parent, self._vertex().list_models, request=request
        )
        pages = iter(pager.pages)
        names: set[str] = set()
        page = next(pages)
        while page is not None:
            for model in page.models:
                if not model.name.startswith(parent + "/models/"):
                    raise ConflictError(
                        f"Vertex AI listed {model.name} under {parent}",
                        client=self.client,
                        backend=self.kind,
                    )
                names.add(model.labels[MODEL_LABEL])
            page = (
                self._call("ListModels", parent, lambda retry: next(pages))
                if page.next_page_token
                else None
            )
        return sorted(names)

    def list_versions(self, name: ModelName) -> list[VersionSummary]:
        return [state.summary for state in self._list(name) or []]

    # Stages.

    def set_stage(self, name: ModelName, change: StageChange) -> None:
        self.apply_stage_changes(name, [change])

    def apply_stage_changes(
        self, name: ModelName, changes: Sequence[StageChange]
    ) -> None:
        """Apply the changes with one alias move for production.

        Order: labels of every version but the new production holder, then one
        MergeVersionAliases that moves ``production`` and ``default`` to the new
        holder, then that holder's label, then the ``staging`` alias. Production is
        read from the alias, so an interruption at any step leaves exactly one
        production version or none, and a repeat finishes the work."""
        states = self._states(name)
        pending = self._plan(name, states, changes)
        new_holder = next(
            (c.version for c in pending if c.to_stage is Stage.PRODUCTION), None
        )

        for change in pending:
            if change.version != new_holder:
                states[change.version] = self._set_label(
                    name, states[change.version], change.to_stage
                )

        if new_holder is not None:
            states[new_holder] = self._move_production(name, states, new_holder)
            states[new_holder] = self._set_label(
                name, states[new_holder], Stage.PRODUCTION
            )
        else:
            for change in pending:
                state = states[change.version]
                if PRODUCTION_ALIAS in state.aliases:
                    states[change.version] = self._merge(
                        name, state, [f"-{PRODUCTION_ALIAS}"]
                    )
        self._place_staging_alias(name, states)

    def _plan(
        self,
        name: ModelName,
        states: Mapping[SemVer, VersionState],
        changes: Sequence[StageChange],
    ) -> list[StageChange]:
        """Check every change before the first write; return those still to make,
        including label repairs of changes whose alias already moved."""
        pending = []
        for change in changes:
            state = states.get(change.version)
            if state is None:
                raise NotFoundError(
                    f"{name} has no version {change.version}",
                    client=self.client,
                    backend=self.kind,
                )
            if state.stage is change.to_stage:
                if state.label_stage != change.to_stage.value:
                    pending.append(change)
                continue
            if state.stage is not change.from_stage:
                raise ConflictError(
                    f"{name} {change.version} is in {state.stage}, not "
                    f"{change.from_stage}: another operation moved it; look at "
                    "`unireg history` and try again",
                    client=self.client,
                    backend=self.kind,
                    resource=state.resource,
                )
            pending.append(change)
        return pending

    def _move_production(
        self,
        name: ModelName,
        states: Mapping[SemVer, VersionState],
        holder: SemVer,
    ) -> VersionState:
        state = states[holder]
        aliases = [PRODUCTION_ALIAS, DEFAULT_ALIAS]
        # The labels of the other versions are written by now, so ``states`` shows
        # whether another version stays in staging to take the alias over.
        leaves_staging = STAGING_ALIAS in state.aliases and not any(
            other.stage is Stage.STAGING and version != holder
            for version, other in states.items()
        )
        if leaves_staging:
            aliases.append(f"-{STAGING_ALIAS}")
        if PRODUCTION_ALIAS in state.aliases and DEFAULT_ALIAS in state.aliases:
            return state
        return self._merge(name, state, aliases)

    def _place_staging_alias(
        self, name: ModelName, states: Mapping[SemVer, VersionState]
    ) -> None:
        """Put the ``staging`` alias on the highest staging version, or on none."""
        candidates = [v for v, s in states.items() if s.stage is Stage.STAGING]
        target = max(candidates, default=None)
        holder = next(
            (v for v, s in states.items() if STAGING_ALIAS in s.aliases), None
        )
        if target == holder:
            return
        if target is not None:
            self._merge(name, states[target], [STAGING_ALIAS])
        elif holder is not None:
            self._merge(name, states[holder], [f"-{STAGING_ALIAS}"])

    def _merge(
        self, name: ModelName, state: VersionState, aliases: list[str]
    ) -> VersionState:
        model = self._call(
            "MergeVersionAliases",
            state.resource,
            self._vertex().merge_version_aliases,
            name=state.resource,
            version_aliases=aliases,
        )
        merged = parse_version(model, self._model_resource(name), str(name))
        assert merged is not None  # the labels were read before the merge
        return merged

    def _set_label(
        self, name: ModelName, state: VersionState, stage: Stage
    ) -> VersionState:
        """Write the stage label with the version's etag; on a concurrent change,
        read the version again and retry."""
        # Over REST, an etag mismatch arrives as HTTP 409, which google-api-core
        # raises as Conflict (Aborted is its gRPC twin).
        from google.api_core.exceptions import Conflict
        from google.cloud.aiplatform_v1 import Model
        from google.protobuf.field_mask_pb2 import FieldMask

        for _ in range(MAX_ETAG_ATTEMPTS):
            if state.label_stage == stage.value:
                return state
            labels = {**state.labels, STAGE_LABEL: stage.value}
            model = Model(name=state.resource, labels=labels, etag=state.etag)
            try:
                updated = self._call(
                    "UpdateModel",
                    state.resource,
                    self._vertex().update_model,
                    passthrough=(Conflict,),
                    model=model,
                    update_mask=FieldMask(paths=["labels"]),
                )
            except Conflict:
                log.warning(
                    "labels of %s changed concurrently; reading again", state.resource
                )
                self.stats.count_retry()
                state = self._get_state(state.resource, name)
                continue
            parsed = parse_version(updated, self._model_resource(name), str(name))
            assert parsed is not None  # the update kept the unireg labels
            return parsed
        raise ConflictError(
            f"the labels of {state.resource} changed {MAX_ETAG_ATTEMPTS} times while "
            "unireg updated them: try again",
            client=self.client,
            backend=self.kind,
            resource=state.resource,
        )

    # Deletion.

    def delete_version(self, name: ModelName, version: SemVer) -> None:
        """Delete a version after checking Vertex AI's deletion rules, so that a
        request the service would reject is never sent."""
        states = self._states(name)
        state = states.get(version)
        if state is None:
            raise NotFoundError(
                f"{name} has no version {version}",
                client=self.client,
                backend=self.kind,
            )
        reason = None
        if len(states) == 1:
            reason = (
                "it is the only version of the model (Vertex AI keeps at least one)"
            )
        elif state.deployed:
            reason = "it is deployed to an endpoint: undeploy it first"
        elif state.aliases:
            reason = (
                f"it holds the aliases {', '.join(state.aliases)}; the default alias "
                "moves with production, so promote another version first"
            )
        if reason is not None:
            raise RefusedError(
                f"{name} {version} cannot be deleted: {reason}",
                client=self.client,
                backend=self.kind,
                resource=state.resource,
            )
        operation = self._call(
            "DeleteModelVersion",
            state.resource,
            self._vertex().delete_model_version,
            name=state.resource,
        )
        self._wait(operation, "DeleteModelVersion", state.resource, name, version)
        log.info(
            "deleted %s %s (Vertex AI version %s)", name, version, state.version_id
        )

    # History.

    def _events_prefix(self, name: ModelName | None) -> str:
        if name is None:
            return self.settings.key("events") + "/"
        return self.settings.key("events", str(name)) + "/"

    def append_event(self, event: Event) -> None:
        key = self.settings.key("events", event.model, f"{event.id}.json")
        created = self._gcs().create(
            key, event.model_dump_json().encode(), "application/json"
        )
        if not created:
            raise ConflictError(
                f"event {event.id} already exists",
                client=self.client,
                backend=self.kind,
                resource=self._gcs().uri(key),
            )

    def list_events(self, name: ModelName | None = None) -> list[Event]:
        bucket = self._gcs()
        keys = list(bucket.names(self._events_prefix(name), self.settings.page_size))
        keys.sort(key=lambda key: key.rsplit("/", 1)[-1])
        return [Event.model_validate_json(bucket.read(key)) for key in keys]

    # Identity.

    def actor(self) -> str:
        """Return the principal of the client's credentials: the impersonated
        service account, the service account of the credentials, or, with
        anonymous credentials, the principal the emulator reports."""
        if self._actor is None:
            self._actor = self._principal()
        return self._actor

    def _principal(self) -> str:
        if self.settings.impersonate_service_account is not None:
            return self.settings.impersonate_service_account
        if self.settings.anonymous_credentials:
            return self._emulator_principal()
        credentials = self._creds()
        for attribute in ("service_account_email", "signer_email", "account"):
            value = getattr(credentials, attribute, None)
            if isinstance(value, str) and "@" in value:
                return value
        # NOTE: user credentials from `gcloud auth application-default login`
        # carry no e-mail locally; finding it would need a call to Google's
        # tokeninfo endpoint, which unireg does not make.
        raise InvalidInputError(
            f"client {self.client}: the application default credentials name no "
            "principal; set impersonate_service_account in the client's settings",
            client=self.client,
            backend=self.kind,
        )

    def _emulator_principal(self) -> str:
        import urllib.request

        from .emulator import PRINCIPAL_PATH

        endpoint = self.settings.api_endpoint or ""
        url = endpoint.rstrip("/") + PRINCIPAL_PATH
        with self.stats.measure("EmulatorPrincipal"):
            try:
                # The settings allow anonymous credentials only with a 127.0.0.1
                # endpoint, so this request stays on the machine.
                with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
                    body = json.loads(response.read())
            except OSError as exc:
                raise BackendUnavailableError(
                    f"the emulator at {endpoint} did not report its principal: {exc}",
                    client=self.client,
                    backend=self.kind,
                ) from exc
        return str(body["principal"])
