"""Exceptions raised by unireg.

Every error derives from ``UniregError`` and carries an exit code for the CLI:

    UniregError                 exit 1
    +-- InvalidInputError       exit 2: a name, version, record, flag or config value
    +-- NotFoundError           exit 1: a model, version or client does not exist
    +-- ConflictError           exit 1: the change contradicts the registry's content
    +-- RefusedError            exit 1: a rule of the registry forbids the operation
    +-- PermissionDeniedError   exit 1: the backend denied an action on a resource
    +-- BackendUnavailableError exit 1: the backend failed or could not be reached
    +-- IncompleteOperationError exit 1: an earlier operation was interrupted

Adapters translate their SDK's exceptions into these at the edge.
"""

from __future__ import annotations


class UniregError(Exception):
    """Root of unireg's errors; ``str(error)`` is the message shown to the user."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        client: str | None = None,
        backend: str | None = None,
        resource: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.client = client
        self.backend = backend
        self.resource = resource


class InvalidInputError(UniregError, ValueError):
    """A value given by the caller breaks a rule; nothing was written."""

    exit_code = 2


class NotFoundError(UniregError, LookupError):
    """A model, version, client or backend does not exist."""


class ConflictError(UniregError):
    """The change contradicts the registry's current content."""


class RefusedError(UniregError):
    """The stage table or another registry rule forbids the operation."""


class PermissionDeniedError(UniregError):
    """The backend denied an action on a resource; never retried."""


class BackendUnavailableError(UniregError):
    """The backend failed, timed out or ran out of retries."""


class IncompleteOperationError(UniregError):
    """An earlier operation on the model stopped half-way and needs ``repair``."""
