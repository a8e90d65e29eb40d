"""The azure-core and azure-ai-ml pieces the adapter builds: transport, retries,
clients and the translation of SDK errors. Imported only when an adapter is used."""

from __future__ import annotations

import warnings
from typing import Any

import requests
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.core.pipeline.policies import RetryPolicy
from azure.core.pipeline.transport import RequestsTransport
from azure.storage.blob import ExponentialRetry
from requests.adapters import HTTPAdapter

from unireg.errors import (
    BackendUnavailableError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    UniregError,
)
from unireg.port import CallStats

from .fake_arm import ASSET_PATH_MESSAGE

ARM_ENDPOINT = "https://management.azure.com"


class CountingRetryPolicy(RetryPolicy):
    """azure-core's RetryPolicy, counting each retry it decides to make.

    It retries 408, 429, 500, 502-504 and 506+ on idempotent methods and honours
    Retry-After (azure/core/pipeline/policies/_retry.py, azure-core 1.41); 401 and
    403 are never retried.
    """

    def __init__(self, stats: CallStats, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._stats = stats

    def increment(self, settings: Any, response: Any = None, error: Any = None) -> bool:
        retrying = bool(super().increment(settings, response=response, error=error))
        if retrying:
            self._stats.count_retry()
        return retrying


class CountingStorageRetry(ExponentialRetry):
    """azure-storage-blob's exponential retry, counting each retry it makes.

    The blob client needs its own policy: the storage pipeline passes a ``hosts``
    option that only its retry policies consume (azure-storage-blob 12.x,
    _shared/policies.py StorageRetryPolicy).
    """

    def __init__(self, stats: CallStats, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._stats = stats

    def increment(
        self, settings: Any, request: Any, response: Any = None, error: Any = None
    ) -> bool:
        retrying = bool(super().increment(settings, request, response, error))
        if retrying:
            self._stats.count_retry()
        return retrying


class _EndpointAdapter(HTTPAdapter):
    """Sends Azure Resource Manager requests to the emulator's endpoint."""

    def __init__(self, endpoint: str, ca_bundle: str | None) -> None:
        super().__init__()
        self._endpoint = endpoint.rstrip("/")
        self._ca_bundle = ca_bundle

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if request.url.startswith(ARM_ENDPOINT):
            request.url = self._endpoint + request.url[len(ARM_ENDPOINT) :]
        if not request.url.startswith(self._endpoint):
            raise ServiceRequestError(
                f"request to {request.url} rejected: this client is bound to "
                f"{self._endpoint}"
            )
        if self._ca_bundle:
            kwargs["verify"] = self._ca_bundle
        return super().send(request, **kwargs)


def endpoint_transport(endpoint: str, ca_bundle: str | None) -> RequestsTransport:
    """Return a transport that sends every request to ``endpoint`` and nowhere else.

    Rewriting in the transport keeps the override per client: azure-ai-ml's own
    knobs are process-wide (the ``AZUREML_DEV_URL_MFE`` variable and custom-cloud
    registration, which keeps the first port registered under a cloud name).
    """
    session = requests.Session()
    adapter = _EndpointAdapter(endpoint, ca_bundle)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return RequestsTransport(session=session, session_owner=True)


def translate(
    exc: Exception, *, operation: str, resource: str, client: str, backend: str
) -> UniregError:
    """Map an azure-core or azure-ai-ml exception to unireg's, most specific first."""
    where = {"client": client, "backend": backend, "resource": resource}
    status = getattr(exc, "status_code", None)
    if isinstance(exc, ResourceNotFoundError) or status == 404:
        return NotFoundError(f"{resource} does not exist ({operation})", **where)
    if isinstance(exc, ClientAuthenticationError) and status is None:
        return PermissionDeniedError(
            f"no Azure credential could sign {operation} on {resource}: {exc}. "
            "Sign in with `az login` or set AZURE_CLIENT_ID, AZURE_TENANT_ID and "
            "AZURE_CLIENT_SECRET",
            **where,
        )
    if status in (401, 403):
        return PermissionDeniedError(
            f"Azure denied {operation} on scope {resource} (HTTP {status}): grant "
            "the identity a role that allows this action on that scope, such as "
            "AzureML Data Scientist on the workspace and Storage Blob Data "
            f"Contributor on the container. Azure said: {_message(exc)}",
            **where,
        )
    if isinstance(exc, ResourceExistsError | ResourceModifiedError) or status in (
        409,
        412,
    ):
        return ConflictError(f"{resource} already exists ({operation})", **where)
    if ASSET_PATH_MESSAGE in str(exc) or type(exc).__name__ == "AssetPathException":
        return ConflictError(
            f"{resource} already exists with another artifact path; Azure never "
            "changes an asset's path: register a new version",
            **where,
        )
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return BackendUnavailableError(
            f"Azure could not be reached for {operation} on {resource}: {exc}",
            **where,
        )
    if isinstance(exc, HttpResponseError) and status is not None and status < 500:
        if status == 429:
            return BackendUnavailableError(
                f"Azure throttled {operation} on {resource} and the retries ran "
                "out: wait a minute and try again",
                **where,
            )
        return InvalidInputError(
            f"Azure rejected {operation} on {resource} (HTTP {status}): "
            f"{_message(exc)}",
            **where,
        )
    if isinstance(exc, HttpResponseError):
        return BackendUnavailableError(
            f"Azure failed {operation} on {resource} (HTTP {status}) and the "
            f"retries ran out: {_message(exc)}",
            **where,
        )
    if type(exc).__module__.startswith("azure.ai.ml"):
        # azure-ai-ml's own ValidationException and MlException: checks the SDK
        # makes before sending anything.
        return InvalidInputError(
            f"azure-ai-ml rejected {operation} on {resource}: {exc}", **where
        )
    return BackendUnavailableError(
        f"{operation} on {resource} failed: {type(exc).__name__}: {exc}", **where
    )


def _message(exc: Exception) -> str:
    error = getattr(exc, "error", None)
    message = getattr(error, "message", None)
    return str(message or getattr(exc, "message", None) or exc).splitlines()[0]


def load_azure_ai_ml() -> None:
    """Import azure-ai-ml once, silencing the deprecation warnings its import
    raises (marshmallow 3 schema options in azure-ai-ml 1.35.2), which no caller
    can act on."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        import azure.ai.ml
        import azure.ai.ml.entities  # noqa: F401


def sdk_errors() -> tuple[type[Exception], ...]:
    """Return the exception types the adapter translates."""
    from azure.core.exceptions import AzureError

    load_azure_ai_ml()
    from azure.ai.ml.exceptions import MlException

    return (AzureError, MlException)
