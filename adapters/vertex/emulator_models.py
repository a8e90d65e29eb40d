"""The Vertex AI v1 ModelService, as far as unireg uses it, held in memory.

Requests arrive as the REST transport of google-cloud-aiplatform 2.7.0 sends them:
camelCase JSON, ``@`` percent-encoded in paths, ``$alt=json;enum-encoding=int`` on
every data call, and long-running operations polled under ``/ui/``. Each rule cites
its source; a rule marked "inferred" has no documented behaviour behind it.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .mapping import (
    DEFAULT_ALIAS,
    MAX_LABELS,
    alias_problem,
    label_problem,
)

# Model.DeploymentResourcesType.DEDICATED_RESOURCES and
# ModelSourceInfo.ModelSourceType.CUSTOM, as integers because the client asks for
# enum-encoding=int (aiplatform_v1/types/model.py, google-cloud-aiplatform 2.7.0).
DEDICATED_RESOURCES = 1
CUSTOM_SOURCE = 2

PAGE_SIZE_DEFAULT = 10  # inferred: v1 documents no default page size
PAGE_SIZE_MAX = 100  # inferred


class ApiError(Exception):
    """An error returned as ``{"error": {"code", "status", "message"}}``."""

    def __init__(self, code: int, status: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Version:
    version_id: str
    display_name: str
    description: str
    version_description: str
    labels: dict[str, str]
    aliases: list[str]
    container_spec: dict[str, Any]
    artifact_uri: str
    created: datetime
    updated: datetime
    etag_counter: int = 1
    deployed_models: list[dict[str, str]] = field(default_factory=list)

    @property
    def etag(self) -> str:
        seed = f"{self.version_id}:{self.etag_counter}".encode()
        return hashlib.sha256(seed).hexdigest()[:16]

    def touch(self) -> None:
        self.etag_counter += 1
        self.updated = datetime.now(UTC)


@dataclass
class Model:
    name: str
    created: datetime
    labels: dict[str, str] = field(default_factory=dict)
    versions: dict[str, Version] = field(default_factory=dict)
    next_version: int = 1

    def holder(self, alias: str) -> Version | None:
        return next((v for v in self.versions.values() if alias in v.aliases), None)


@dataclass
class Operation:
    name: str
    done_at: float
    response: dict[str, Any]
    apply: Any = None  # the change made when the operation completes


class ModelService:
    """Models and versions of every project and location, in memory."""

    def __init__(self, clock: Any) -> None:
        self.models: dict[str, Model] = {}
        self.operations: dict[str, Operation] = {}
        self.lock = threading.RLock()
        self.clock = clock
        self.lro_seconds = 0.0
        self._operation_ids = itertools.count(1)

    # Resource names.

    def model(self, name: str) -> Model:
        found = self.models.get(name)
        if found is None:
            raise ApiError(404, "NOT_FOUND", f"Model {name} is not found.")
        return found

    def resolve(self, name: str) -> tuple[Model, Version]:
        """Resolve ``models/ID``, ``models/ID@VERSION`` or ``models/ID@ALIAS``.

        Without ``@`` the default version is returned (GetModelRequest.name,
        aiplatform_v1/types/model_service.py).
        """
        base, _, selector = name.partition("@")
        model = self.model(base)
        if not selector or selector == "-":
            selector = DEFAULT_ALIAS
        version = model.versions.get(selector) or model.holder(selector)
        if version is None:
            raise ApiError(404, "NOT_FOUND", f"Model {name} is not found.")
        return model, version

    def render(self, model: Model, version: Version) -> dict[str, Any]:
        # "Both the model labels and the version labels are merged when a model is
        # returned" (UpdateModelRequest.update_mask, types/model_service.py).
        labels = {**model.labels, **version.labels}
        body: dict[str, Any] = {
            "name": model.name,
            "versionId": version.version_id,
            "versionAliases": list(version.aliases),
            "versionCreateTime": timestamp(version.created),
            "versionUpdateTime": timestamp(version.updated),
            "displayName": version.display_name,
            "description": version.description,
            "versionDescription": version.version_description,
            "containerSpec": version.container_spec,
            "supportedDeploymentResourcesTypes": [DEDICATED_RESOURCES],
            "createTime": timestamp(model.created),
            "updateTime": timestamp(version.updated),
            "etag": version.etag,
            "labels": labels,
            "modelSourceInfo": {"sourceType": CUSTOM_SOURCE},
        }
        if version.artifact_uri:
            body["artifactUri"] = version.artifact_uri
        if version.deployed_models:
            body["deployedModels"] = version.deployed_models
        return body

    # Methods.

    def upload(self, parent: str, body: dict[str, Any]) -> dict[str, Any]:
        spec = body.get("model") or {}
        if not spec.get("displayName"):
            raise ApiError(400, "INVALID_ARGUMENT", "model.display_name is required.")
        # container_spec is required for every model but AutoML ones
        # (Model.container_spec, types/model.py).
        if not (spec.get("containerSpec") or {}).get("imageUri"):
            raise ApiError(
                400, "INVALID_ARGUMENT", "model.container_spec.image_uri is required."
            )
        labels = dict(spec.get("labels") or {})
        _check_labels(labels)
        aliases = list(spec.get("versionAliases") or [])
        for alias in aliases:
            _check_alias(alias)

        parent_model = body.get("parentModel")
        with self.lock:
            if parent_model:
                if not parent_model.startswith(parent + "/models/"):
                    raise ApiError(
                        400, "INVALID_ARGUMENT", "parent_model is not under parent."
                    )
                model = self.model(parent_model)
            else:
                model_id = body.get("modelId") or str(next(self._operation_ids))
                name = f"{parent}/models/{model_id}"
                if name in self.models:
                    raise ApiError(
                        409, "ALREADY_EXISTS", f"Model {name} already exists."
                    )
                model = Model(name=name, created=datetime.now(UTC))
            for alias in aliases:
                # default moves to a new version that names it, as the high-level
                # SDK relies on (is_default_version, aiplatform/models.py). Inferred:
                # any other alias held by another version is rejected rather than
                # moved; the adapter never uploads with one.
                if alias != DEFAULT_ALIAS and model.holder(alias) is not None:
                    raise ApiError(
                        400,
                        "INVALID_ARGUMENT",
                        f"Alias {alias} is already used by another version.",
                    )
            version_id = str(model.next_version)
            now = datetime.now(UTC)
            version = Version(
                version_id=version_id,
                display_name=spec["displayName"],
                description=spec.get("description", ""),
                version_description=spec.get("versionDescription", ""),
                labels=labels,
                aliases=aliases,
                container_spec=spec["containerSpec"],
                artifact_uri=spec.get("artifactUri", ""),
                created=now,
                updated=now,
            )

            def apply() -> None:
                # The first version takes the default alias, and exactly one version
                # carries it (Model.version_aliases, types/model.py).
                if not model.versions and DEFAULT_ALIAS not in version.aliases:
                    version.aliases.insert(0, DEFAULT_ALIAS)
                elif DEFAULT_ALIAS in version.aliases:
                    holder = model.holder(DEFAULT_ALIAS)
                    if holder is not None:
                        holder.aliases.remove(DEFAULT_ALIAS)
                        holder.touch()
                model.versions[version_id] = version
                self.models[model.name] = model

            # The version id is reserved now, so a version never reuses the id of a
            # deleted one ("auto-incrementing", Model.version_id, types/model.py).
            model.next_version += 1
            response = {
                "@type": "type.googleapis.com/"
                "google.cloud.aiplatform.v1.UploadModelResponse",
                "model": model.name,
                "modelVersionId": version_id,
            }
            return self._operation(parent, response, apply)

    def get(self, name: str) -> dict[str, Any]:
        with self.lock:
            return self.render(*self.resolve(name))

    def list_models(self, parent: str, query: dict[str, str]) -> dict[str, Any]:
        with self.lock:
            rows = []
            for name, model in sorted(self.models.items()):
                default = model.holder(DEFAULT_ALIAS)
                if name.startswith(parent + "/models/") and default is not None:
                    rows.append(self.render(model, default))
        rows = [row for row in rows if _matches(row, query.get("filter", ""))]
        return _page(rows, query, "models")

    def list_versions(self, name: str, query: dict[str, str]) -> dict[str, Any]:
        with self.lock:
            model = self.model(name)
            rows = [
                self.render(model, version)
                for _, version in sorted(
                    model.versions.items(), key=lambda item: int(item[0])
                )
            ]
        rows = [row for row in rows if _matches(row, query.get("filter", ""))]
        return _page(rows, query, "models")

    def merge_aliases(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        # The name must include a version id (MergeVersionAliasesRequest.name).
        base, _, version_id = name.partition("@")
        if not version_id.isdigit():
            raise ApiError(
                400, "INVALID_ARGUMENT", "name must include a version id after '@'."
            )
        requested = list(body.get("versionAliases") or [])
        adds = {alias for alias in requested if not alias.startswith("-")}
        removes = {alias[1:] for alias in requested if alias.startswith("-")}
        # "Adding and deleting the same alias in the request ... will be cancelled
        # out" (MergeVersionAliasesRequest.version_aliases).
        adds, removes = adds - removes, removes - adds
        for alias in adds | removes:
            _check_alias(alias)
        with self.lock:
            model, version = self.resolve(f"{base}@{version_id}")
            if DEFAULT_ALIAS in removes and DEFAULT_ALIAS in version.aliases:
                # "One version of a model is required to carry the default alias at
                # all times" (model-alias page). The error code is inferred.
                raise ApiError(
                    400,
                    "FAILED_PRECONDITION",
                    "The default alias cannot be removed; add it to another version.",
                )
            for alias in sorted(adds):
                holder = model.holder(alias)
                # An alias is on one version of a model at a time, so adding it
                # moves it (https://cloud.google.com/vertex-ai/docs/model-registry/
                # model-alias).
                if holder is not None and holder is not version:
                    holder.aliases.remove(alias)
                    holder.touch()
                if alias not in version.aliases:
                    version.aliases.append(alias)
            version.aliases = [a for a in version.aliases if a not in removes]
            version.touch()
            return self.render(model, version)

    def update(
        self, name: str, body: dict[str, Any], update_mask: list[str]
    ) -> dict[str, Any]:
        if not update_mask:
            raise ApiError(400, "INVALID_ARGUMENT", "update_mask is required.")
        version_fields = {"versionDescription"}
        model_fields = {"displayName", "description"}
        selector = name.partition("@")[2]
        is_version = bool(selector) and selector != "-"
        allowed = {"labels"} | (version_fields if is_version else model_fields)
        # "One request cannot update both the model and the version fields"
        # (UpdateModelRequest.update_mask).
        unknown = [path for path in update_mask if path not in allowed]
        if unknown:
            raise ApiError(
                400, "INVALID_ARGUMENT", f"Unsupported update_mask paths: {unknown}."
            )
        with self.lock:
            model, version = self.resolve(name)
            etag = body.get("etag")
            if etag and etag != version.etag:
                # "Used to perform consistent read-modify-write updates"
                # (Model.etag). The ABORTED code is inferred.
                raise ApiError(
                    409, "ABORTED", f"The etag of {name} does not match; read again."
                )
            if "labels" in update_mask:
                labels = dict(body.get("labels") or {})
                _check_labels(labels)
                if is_version:
                    version.labels = labels
                else:
                    model.labels = labels
            if "versionDescription" in update_mask:
                version.version_description = body.get("versionDescription", "")
            if "displayName" in update_mask:
                version.display_name = body.get("displayName", "")
            if "description" in update_mask:
                version.description = body.get("description", "")
            version.touch()
            return self.render(model, version)

    def delete_version(self, name: str) -> dict[str, Any]:
        base, _, version_id = name.partition("@")
        if not version_id.isdigit():
            raise ApiError(
                400, "INVALID_ARGUMENT", "name must include a version id after '@'."
            )
        with self.lock:
            model, version = self.resolve(f"{base}@{version_id}")
            # "Deleting the only version in the Model is not allowed. Use
            # DeleteModel" and "can only be deleted if there are no DeployedModels
            # created from it" (DeleteModelVersionRequest.name).
            if len(model.versions) == 1:
                raise ApiError(
                    400,
                    "FAILED_PRECONDITION",
                    "Cannot delete the only version of a model; delete the model.",
                )
            if version.deployed_models:
                raise ApiError(
                    400,
                    "FAILED_PRECONDITION",
                    "Cannot delete a version that has deployed models.",
                )
            # Inferred from "exactly one default version alias": a version with
            # aliases, default included, cannot be deleted.
            if version.aliases:
                raise ApiError(
                    400,
                    "FAILED_PRECONDITION",
                    f"Cannot delete a version with aliases {version.aliases}; "
                    "remove them first.",
                )

            def apply() -> None:
                model.versions.pop(version_id, None)

            response = {"@type": "type.googleapis.com/google.protobuf.Empty"}
            location = base.rsplit("/models/", 1)[0]
            return self._operation(location, response, apply)

    def get_operation(self, name: str) -> dict[str, Any]:
        with self.lock:
            operation = self.operations.get(name)
            if operation is None:
                raise ApiError(404, "NOT_FOUND", f"Operation {name} is not found.")
            return self._render_operation(operation)

    # Operations.

    def _operation(
        self, location: str, response: dict[str, Any], apply: Any
    ) -> dict[str, Any]:
        name = f"{location}/operations/{next(self._operation_ids)}"
        operation = Operation(name, self.clock() + self.lro_seconds, response, apply)
        self.operations[name] = operation
        return self._render_operation(operation)

    def _render_operation(self, operation: Operation) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": operation.name,
            "metadata": {
                "@type": "type.googleapis.com/"
                "google.cloud.aiplatform.v1.GenericOperationMetadata"
            },
        }
        if self.clock() < operation.done_at:
            body["done"] = False
            return body
        if operation.apply is not None:
            operation.apply()
            operation.apply = None
        body["done"] = True
        body["response"] = operation.response
        return body


def _check_labels(labels: dict[str, str]) -> None:
    # Label rules of Model.labels (types/model.py) and the 64-label limit of
    # https://cloud.google.com/resource-manager/docs/labels-overview#requirements
    if len(labels) > MAX_LABELS:
        raise ApiError(
            400, "INVALID_ARGUMENT", f"At most {MAX_LABELS} labels are allowed."
        )
    for key, value in labels.items():
        problem = label_problem(key, value)
        if problem is not None:
            raise ApiError(400, "INVALID_ARGUMENT", f"Label {key}: {problem}.")


def _check_alias(alias: str) -> None:
    problem = alias_problem(alias)
    if problem is not None:
        raise ApiError(400, "INVALID_ARGUMENT", f"Alias {alias!r}: {problem}.")


def _matches(row: dict[str, Any], expression: str) -> bool:
    """Apply the ``labels.KEY=VALUE`` and ``labels.KEY:*`` filters, joined by AND
    (ListModelVersionsRequest.filter, types/model_service.py)."""
    labels = row.get("labels", {})
    for term in filter(None, (part.strip() for part in expression.split(" AND "))):
        if term.endswith(":*"):
            key = term.removeprefix("labels.")[:-2]
            if key not in labels:
                return False
            continue
        key, sep, value = term.partition("=")
        if not sep or not key.startswith("labels."):
            raise ApiError(400, "INVALID_ARGUMENT", f"Unsupported filter {term!r}.")
        if labels.get(key.removeprefix("labels.").strip()) != value.strip().strip('"'):
            return False
    return True


def _page(
    rows: list[dict[str, Any]], query: dict[str, str], key: str
) -> dict[str, Any]:
    size = int(query.get("pageSize") or PAGE_SIZE_DEFAULT)
    size = max(1, min(size, PAGE_SIZE_MAX))
    start = int(query.get("pageToken") or 0)
    body: dict[str, Any] = {key: rows[start : start + size]}
    if start + size < len(rows):
        body["nextPageToken"] = str(start + size)
    return body
