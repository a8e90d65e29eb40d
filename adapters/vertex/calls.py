"""Retries and error translation for calls to Vertex AI and Cloud Storage.

The ModelService methods of google-cloud-aiplatform 2.7.0 are wrapped with no
default retry (``transports/base.py``, ``_prep_wrapped_messages``), so every call
gets the bounded retry built here. Permission errors are never retried.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from unireg.errors import (
    BackendUnavailableError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    RefusedError,
    UniregError,
)

log = logging.getLogger(__name__)

KIND = "vertex"


def bounded_retry(
    initial: float,
    deadline: float,
    on_retry: Callable[[], None],
    predicate: Callable[[Exception], bool] | None = None,
) -> Any:
    """Return a ``Retry`` for transient errors (429, 500, 503, connection resets)
    that gives up after ``deadline`` seconds and calls ``on_retry`` each time."""
    from google.api_core import retry

    def count(exc: Exception) -> None:
        log.warning("retrying after a transient error: %s", exc)
        on_retry()

    return retry.Retry(
        predicate=predicate or retry.if_transient_error,
        initial=initial,
        maximum=max(initial, min(32.0, deadline / 2)),
        multiplier=2.0,
        timeout=deadline,
        on_error=count,
    )


def storage_retry(initial: float, deadline: float, on_retry: Callable[[], None]) -> Any:
    """Return a bounded ``Retry`` with google-cloud-storage's own predicate, which
    also reads the status of upload errors (``InvalidResponse``) that
    ``if_transient_error`` does not recognise."""
    from google.cloud.storage.retry import _should_retry

    return bounded_retry(initial, deadline, on_retry, _should_retry)


def _status(exc: Any) -> str:
    """Return the ``error.status`` of a REST error body, such as FAILED_PRECONDITION."""
    response = getattr(exc, "response", None)
    try:
        payload = response.json() if response is not None else {}
    except ValueError:
        return ""
    error = payload.get("error") if isinstance(payload, dict) else None
    return str(error.get("status", "")) if isinstance(error, dict) else ""


def translate(
    exc: Exception, *, action: str, resource: str, client: str
) -> UniregError:
    """Map an exception of google-api-core, google-auth or requests to unireg's."""
    from google.api_core import exceptions as gexc

    context = {"client": client, "backend": KIND, "resource": resource}
    detail = getattr(exc, "message", None) or str(exc)
    if isinstance(
        exc, gexc.PermissionDenied | gexc.Unauthenticated | gexc.Unauthorized
    ):
        return PermissionDeniedError(
            f"Vertex AI denied {action} on {resource}: grant the client's principal "
            f"the role that allows it ({detail})",
            **context,
        )
    if isinstance(exc, gexc.NotFound):
        return NotFoundError(f"{resource} was not found ({detail})", **context)
    if isinstance(exc, gexc.Conflict | gexc.PreconditionFailed):
        return ConflictError(
            f"{action} on {resource} conflicts with a concurrent change ({detail}); "
            "read it again and retry",
            **context,
        )
    if (
        isinstance(exc, gexc.FailedPrecondition)
        or _status(exc) == "FAILED_PRECONDITION"
    ):
        return RefusedError(
            f"Vertex AI rejected {action} on {resource}: {detail}", **context
        )
    if isinstance(exc, gexc.BadRequest | gexc.InvalidArgument):
        return InvalidInputError(
            f"Vertex AI rejected {action} on {resource} as invalid: {detail}",
            **context,
        )
    if isinstance(exc, gexc.RetryError):
        cause = exc.cause if exc.cause is not None else exc
        return BackendUnavailableError(
            f"{action} on {resource} still failed when its retries ran out: {cause}",
            **context,
        )
    return BackendUnavailableError(
        f"{action} on {resource} failed: {detail}; check the endpoint and try again",
        **context,
    )


def sdk_errors() -> tuple[type[Exception], ...]:
    """Return the exception types raised by the Google SDKs and their transport."""
    import requests
    from google.api_core import exceptions as gexc
    from google.auth import exceptions as auth_exceptions

    return (
        gexc.GoogleAPIError,
        auth_exceptions.GoogleAuthError,
        requests.RequestException,
    )
