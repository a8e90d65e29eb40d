"""The Azure ML model REST surface that azure-ai-ml 1.35.2 uses, held in memory.

Only workspace models are served: containers (``…/models``) and versions
(``…/models/{name}/versions``), api-version 2023-08-01-preview as the SDK sends it.
Each rule the real service enforces is noted where it is enforced, with its source;
rules read from no source are marked as inferred.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

ARM_PATH = re.compile(
    r"^/subscriptions/(?P<subscription>[^/]+)/resourceGroups/(?P<group>[^/]+)"
    r"/providers/Microsoft\.MachineLearningServices/workspaces/(?P<workspace>[^/]+)"
    r"/models(?:/(?P<name>[^/]+)(?:/versions(?:/(?P<version>[^/]+))?)?)?$",
    re.IGNORECASE,
)

# The message azure-ai-ml compares against to raise AssetPathException
# (azure/ai/ml/_artifacts/_constants.py, ASSET_PATH_ERROR, azure-ai-ml 1.35.2).
ASSET_PATH_MESSAGE = "Asset paths cannot be updated."


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class Workspace:
    """One workspace's models: container name -> version -> stored properties."""

    containers: dict[str, dict[str, Any]] = field(default_factory=dict)
    versions: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    created_order: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class ArmState:
    """Every workspace the emulator serves, keyed by (subscription, group, name)."""

    page_size: int = 10
    # The service's handling of a version PUT that omits ``stage`` is not
    # documented (azure-ai-ml drops it on archive and restore). Keeping the stored
    # stage is inferred; clearing it is the other possibility, kept switchable so
    # the adapter is tested against both.
    clear_stage_on_omit: bool = False
    workspaces: dict[tuple[str, str, str], Workspace] = field(default_factory=dict)
    denied_scopes: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_workspace(self, subscription: str, group: str, name: str) -> None:
        with self.lock:
            key = (subscription.lower(), group.lower(), name.lower())
            self.workspaces.setdefault(key, Workspace())


def handle_arm(state: ArmState, request: Request, principal: str) -> Response:
    match = ARM_PATH.match(request.path)
    if match is None:
        return error(404, "NoRegisteredProviderFound", f"no route {request.path}")
    parts = match.groupdict()
    key = (
        parts["subscription"].lower(),
        parts["group"].lower(),
        parts["workspace"].lower(),
    )
    scope = request.path
    action = _action(request.method, parts)
    if any(scope.lower().startswith(denied.lower()) for denied in state.denied_scopes):
        # Shape of ARM's AuthorizationFailed response:
        # https://learn.microsoft.com/azure/role-based-access-control/troubleshooting
        return error(
            403,
            "AuthorizationFailed",
            f"The client '{principal}' does not have authorization to perform "
            f"action '{action}' over scope '{scope}' or the scope is invalid.",
        )
    with state.lock:
        workspace = state.workspaces.get(key)
        if workspace is None:
            return error(
                404, "ResourceNotFound", f"workspace {parts['workspace']} not found"
            )
        base = request.url_root.rstrip("/") + request.path
        if parts["name"] is None:
            return _list_containers(state, workspace, request, base)
        if parts["version"] is None:
            if request.method == "GET" and request.path.endswith("/versions"):
                return _list_versions(state, workspace, parts["name"], request, base)
            return _container(workspace, parts["name"], request.path)
        if request.method == "PUT":
            return _put_version(state, workspace, parts, request, principal)
        return _get_version(workspace, parts["name"], parts["version"], request.path)


def _action(method: str, parts: dict[str, str | None]) -> str:
    resource = "Microsoft.MachineLearningServices/workspaces/models"
    if parts["version"] is not None or (parts["name"] and method == "GET"):
        resource += "/versions"
    verb = {"GET": "read", "PUT": "write", "DELETE": "delete"}.get(method, "action")
    return f"{resource}/{verb}"


def error(status: int, code: str, message: str) -> Response:
    body = {"error": {"code": code, "message": message}}
    return Response(
        json.dumps(body),
        status=status,
        content_type="application/json",
        headers={"x-ms-error-code": code},
    )


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def _container(workspace: Workspace, name: str, path: str) -> Response:
    container = workspace.containers.get(name)
    if container is None:
        return error(404, "UserError", f"Could not find asset with name {name}")
    return _json(_container_body(workspace, name, container, path))


def _container_body(
    workspace: Workspace, name: str, container: dict[str, Any], path: str
) -> dict[str, Any]:
    order = workspace.created_order.get(name, [])
    latest = order[-1] if order else None
    numeric = [int(v) for v in order if v.isdigit()]
    return {
        "id": path,
        "name": name,
        "type": "Microsoft.MachineLearningServices/workspaces/models",
        "properties": {
            "description": None,
            "tags": {},
            "properties": {},
            "isArchived": container["isArchived"],
            "latestVersion": latest,
            "nextVersion": str(max(numeric, default=0) + 1),
        },
        "systemData": container["systemData"],
    }


def _page(
    items: list[dict[str, Any]], request: Request, base: str, page_size: int
) -> Response:
    """Return one page and a nextLink carrying ``$skipToken``.

    Workspace lists are paged through ``nextLink`` (azure-ai-ml follows it through
    ItemPaged); the token's format is the service's own and is opaque here.
    """
    skip = int(request.args.get("$skipToken", "0") or 0)
    top = request.args.get("$top")
    size = min(page_size, int(top)) if top else page_size
    page = items[skip : skip + size]
    body: dict[str, Any] = {"value": page}
    if skip + size < len(items) and not top:
        query = {k: v for k, v in request.args.items() if k != "$skipToken"}
        query["$skipToken"] = str(skip + size)
        body["nextLink"] = f"{base}?{urlencode(query)}"
    return _json(body)


def _view_filter(request: Request, archived: bool) -> bool:
    # ListViewType ActiveOnly (the default) hides archived assets: "Archived models
    # are hidden by default from list queries"
    # (https://learn.microsoft.com/azure/machine-learning/how-to-manage-models).
    view = request.args.get("listViewType", "ActiveOnly")
    if view == "All":
        return True
    if view == "ArchivedOnly":
        return archived
    return not archived


def _list_containers(
    state: ArmState, workspace: Workspace, request: Request, base: str
) -> Response:
    items = [
        _container_body(workspace, name, container, f"{request.path}/{name}")
        for name, container in sorted(workspace.containers.items())
        if _view_filter(request, container["isArchived"])
    ]
    return _page(items, request, base, state.page_size)


def _list_versions(
    state: ArmState, workspace: Workspace, name: str, request: Request, base: str
) -> Response:
    stored = workspace.versions.get(name, {})
    # Newest first. The service documents "latest" as the most recently created
    # version (azure-ai-ml _model_operations.py, _get_latest_version); applying the
    # same order to unsorted lists is inferred.
    order = list(reversed(workspace.created_order.get(name, [])))
    stage = request.args.get("stage")
    items = []
    for version in order:
        body = stored[version]
        properties = body["properties"]
        if not _view_filter(request, properties["isArchived"]):
            continue
        if stage is not None and properties.get("stage") != stage:
            continue
        items.append(body)
    return _page(items, request, base, state.page_size)


def _get_version(workspace: Workspace, name: str, version: str, path: str) -> Response:
    body = workspace.versions.get(name, {}).get(version)
    if body is None:
        return error(
            404, "UserError", f"Could not find asset with name {name} version {version}"
        )
    return _json(body)


def _put_version(
    state: ArmState,
    workspace: Workspace,
    parts: dict[str, str],
    request: Request,
    principal: str,
) -> Response:
    name, version = parts["name"], parts["version"]
    payload = request.get_json(silent=True) or {}
    incoming = payload.get("properties") or {}
    now = _now()
    existing = workspace.versions.get(name, {}).get(version)

    if existing is not None:
        stored = existing["properties"]
        # "Asset paths cannot be updated." is the service's response to a PUT that
        # changes modelUri (azure-ai-ml 1.35.2 _artifacts/_constants.py,
        # ASSET_PATH_ERROR).
        if incoming.get("modelUri") not in (None, stored["modelUri"]):
            return error(400, "UserError", ASSET_PATH_MESSAGE)
        merged = dict(stored)
        for key in ("description", "tags", "isArchived"):
            if key in incoming:
                merged[key] = incoming[key]
        if "stage" in incoming:
            merged["stage"] = incoming["stage"]
        elif state.clear_stage_on_omit:
            merged["stage"] = None
        # Properties are write-once: "only description and tags can be updated"
        # (https://learn.microsoft.com/azure/machine-learning/how-to-manage-models).
        # Ignoring a changed value instead of rejecting it is inferred.
        existing["properties"] = merged
        existing["systemData"]["lastModifiedAt"] = now
        existing["systemData"]["lastModifiedBy"] = principal
        return _json(existing)

    container = workspace.containers.setdefault(
        name,
        {"isArchived": False, "systemData": _system_data(principal, now)},
    )
    properties = {
        "description": incoming.get("description"),
        "tags": incoming.get("tags") or {},
        "properties": incoming.get("properties") or {},
        # azure-ai-ml's Model._from_rest_object calls flavors.items(), so the
        # service always returns a mapping here.
        "flavors": incoming.get("flavors") or {},
        "modelType": incoming.get("modelType") or "custom_model",
        "modelUri": incoming.get("modelUri"),
        "stage": incoming.get("stage"),
        "jobName": incoming.get("jobName"),
        "isAnonymous": bool(incoming.get("isAnonymous", False)),
        # "If you create a new model version under an archived model container,
        # that new version will automatically be set as archived as well."
        # (https://learn.microsoft.com/azure/machine-learning/how-to-manage-models)
        "isArchived": bool(incoming.get("isArchived")) or container["isArchived"],
        "provisioningState": "Succeeded",
    }
    body = {
        "id": request.path,
        "name": version,
        "type": "Microsoft.MachineLearningServices/workspaces/models/versions",
        "properties": properties,
        "systemData": _system_data(principal, now),
    }
    workspace.versions.setdefault(name, {})[version] = body
    workspace.created_order.setdefault(name, []).append(version)
    return _json(body, status=201)


def _system_data(principal: str, now: str) -> dict[str, str]:
    return {
        "createdAt": now,
        "createdBy": principal,
        "createdByType": "User",
        "lastModifiedAt": now,
        "lastModifiedBy": principal,
        "lastModifiedByType": "User",
    }
