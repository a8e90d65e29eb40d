"""Per-client settings of the Azure ML adapter, validated before any call."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from unireg.domain.record import describe
from unireg.errors import InvalidInputError

# Name rules of the Azure resources a client names, from the ARM resource types
# (Microsoft.MachineLearningServices/workspaces: 3-33 characters; resource groups:
# https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules;
# blob containers: https://learn.microsoft.com/rest/api/storageservices/naming-and-referencing-containers--blobs--and-metadata).
_GUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_GROUP = r"^[-\w._()]{0,89}[-\w_()]$"
_WORKSPACE = r"^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$"
_CONTAINER = r"^[a-z0-9]([a-z0-9]|-[a-z0-9]){1,62}$"
_PREFIX = r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$|^$"
LOOPBACK = "127.0.0.1"


class AzureMLSettings(BaseModel):
    """The location of one client's Azure ML workspace and blob container."""

    model_config = ConfigDict(extra="forbid")

    subscription_id: Annotated[str, Field(pattern=_GUID)]
    resource_group: Annotated[str, Field(pattern=_GROUP)]
    workspace: Annotated[str, Field(pattern=_WORKSPACE)]
    storage_account_url: str
    storage_container: Annotated[str, Field(pattern=_CONTAINER)]
    prefix: Annotated[str, Field(pattern=_PREFIX)] = ""
    credential: Literal["default", "emulator"] = "default"
    endpoint: str | None = None
    ca_bundle: Path | None = None
    principal: str | None = None
    retry_total: Annotated[int, Field(ge=0, le=10)] = 4
    retry_backoff_factor: Annotated[float, Field(ge=0, le=10)] = 0.8
    retry_backoff_max: Annotated[float, Field(gt=0, le=120)] = 20.0
    timeout_seconds: Annotated[float, Field(gt=0, le=600)] = 60.0

    @model_validator(mode="after")
    def _check_endpoints(self) -> AzureMLSettings:
        storage = urlsplit(self.storage_account_url)
        if storage.scheme != "https" or not storage.hostname:
            raise ValueError(
                f"storage_account_url {self.storage_account_url!r} must be an https "
                "URL such as https://ACCOUNT.blob.core.windows.net"
            )
        if self.endpoint is not None:
            endpoint = urlsplit(self.endpoint)
            if endpoint.scheme != "https" or endpoint.hostname != LOOPBACK:
                raise ValueError(
                    f"endpoint {self.endpoint!r} must be https://127.0.0.1:PORT: "
                    "the override exists for the local emulator only"
                )
        if self.credential == "emulator" and (
            self.endpoint is None or storage.hostname != LOOPBACK
        ):
            raise ValueError(
                "credential 'emulator' is allowed only with an endpoint and a "
                "storage_account_url on 127.0.0.1; use credential 'default' for Azure"
            )
        if self.principal is not None and self.credential != "emulator":
            raise ValueError(
                "principal names the emulator's test identity; remove it or set "
                "credential: emulator"
            )
        return self

    @property
    def storage_account(self) -> str:
        """The storage URL without a trailing slash."""
        return self.storage_account_url.rstrip("/")

    @property
    def workspace_scope(self) -> str:
        """The ARM id of the workspace, the scope of every model call."""
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/"
            f"{self.resource_group}/providers/Microsoft.MachineLearningServices/"
            f"workspaces/{self.workspace}"
        )


def parse_settings(settings: Mapping[str, Any], source: str) -> AzureMLSettings:
    if "registry" in settings:
        raise InvalidInputError(
            f"{source}: registry: Azure ML registries are not supported by this "
            "adapter; name the client's workspace in 'workspace' instead"
        )
    try:
        return AzureMLSettings.model_validate(dict(settings))
    except ValidationError as exc:
        raise InvalidInputError(f"{source}: {describe(exc)}") from exc
