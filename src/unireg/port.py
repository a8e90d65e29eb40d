"""The backend port: what every registry backend provides to the service layer.

A backend is one client's registry: the embedded local registry or a cloud adapter.
It is found by name through the ``unireg.backends`` entry-point group and built with
``from_settings``. The service layer owns the rules (semantic versions, the stage
table, one production version, the history); a backend stores and reads.

Shapes chosen so that all three clouds fit:

- SageMaker and Vertex AI number versions themselves and Azure lets the caller name
  them, so a version is addressed by its semantic version and the cloud's own id is
  returned as ``native_id``.
- No cloud's key/value metadata can hold the whole version record, so a backend
  stores it as a JSON manifest next to the artifact and keeps the manifest's location
  and digest in the registry (see ``unireg.domain.record``).
- Differences between clouds are declared in ``Capabilities``, never discovered by
  catching an exception.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from unireg.domain import (
    CLOUD_NAME_RULES,
    ArtifactRef,
    Event,
    ModelName,
    ModelVersion,
    SemVer,
    Stage,
    StageChange,
    VersionRecord,
    VersionSummary,
)
from unireg.errors import InvalidInputError, RefusedError


@dataclass(frozen=True)
class Capabilities:
    """The abilities a backend declares up front.

    delete_version: a version can be deleted (Azure ML offers archive only).
    atomic_stage_moves: moving a unique stage (production, staging) from one version
        to another is a single call on the registry (Vertex AI aliases), so no reader
        ever sees two holders or none.
    caller_chooses_native_id: the caller names the cloud's version (Azure ML); elsewhere
        the service assigns it.
    native_archive: the cloud has its own archived state, which hides versions from
        its default lists (Azure ML).
    native_stages: the stages the cloud's own stage field or alias can express.
    """

    delete_version: bool
    atomic_stage_moves: bool
    caller_chooses_native_id: bool
    native_archive: bool
    native_stages: frozenset[Stage] = field(default_factory=lambda: frozenset(Stage))


@dataclass
class CallStats:
    """Counts of a backend's calls to its cloud, for budgets and health reports."""

    calls: int = 0
    errors: int = 0
    retries: int = 0
    seconds: float = 0.0
    by_operation: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @contextmanager
    def measure(self, operation: str) -> Iterator[None]:
        """Count one call of ``operation`` and its duration; count it as an error if
        it raises."""
        started = time.perf_counter()
        try:
            yield
        except BaseException:
            with self._lock:
                self.errors += 1
            raise
        finally:
            elapsed = time.perf_counter() - started
            with self._lock:
                self.calls += 1
                self.seconds += elapsed
                self.by_operation[operation] = self.by_operation.get(operation, 0) + 1

    def count_retry(self) -> None:
        with self._lock:
            self.retries += 1

    def reset(self) -> None:
        with self._lock:
            self.calls = self.errors = self.retries = 0
            self.seconds = 0.0
            self.by_operation = {}


class Backend(ABC):
    """One client's registry.

    Every method that writes is safe to call again after an interruption: a second
    ``put_artifact`` of the same bytes stores nothing new, ``apply_stage_changes``
    skips a change already made, and ``create_version`` of an existing version raises
    ``ConflictError`` instead of writing twice.
    """

    kind: ClassVar[str]
    capabilities: ClassVar[Capabilities]

    def __init__(self, client: str) -> None:
        self.client = client
        self.stats = CallStats()

    @classmethod
    @abstractmethod
    def from_settings(
        cls, client: str, settings: Mapping[str, Any], *, source: str
    ) -> Backend:
        """Build the backend from the client's ``settings`` mapping.

        ``source`` names where the settings came from (file and field) for errors.
        """

    # Checks made before the first call to the registry.

    def native_model_name(self, name: ModelName) -> str:
        """Return the registry's identifier for ``name`` or raise InvalidInputError."""
        rule = CLOUD_NAME_RULES.get(self.kind)
        return rule.native(name) if rule else str(name)

    def check_record(  # noqa: B027 - optional hook, empty by default
        self, name: ModelName, record: VersionRecord
    ) -> None:
        """Raise InvalidInputError if the registry's documented limits reject this
        version's metadata. Called before any call to the registry.

        Versions need no check here: ``MAJOR.MINOR.PATCH`` with at most nine digits
        a part fits every cloud's tag, label and metadata limits.
        """

    # Artifacts.

    @abstractmethod
    def put_artifact(self, name: ModelName, path: Path, artifact: ArtifactRef) -> str:
        """Store a local file whose digest is ``artifact.sha256`` and return its URI.

        Storage is content-addressed: the same bytes are stored once.
        """

    def describe_artifact(self, uri: str) -> tuple[str, int]:
        """Return the SHA-256 and size of an artifact already in storage."""
        raise InvalidInputError(
            f"artifact {uri!r} is not a local file and backend {self.kind} cannot "
            "read it: pass its digest with --sha256"
        )

    # Versions.

    @abstractmethod
    def create_version(
        self, name: ModelName, version: SemVer, record: VersionRecord, stage: Stage
    ) -> ModelVersion:
        """Write the manifest, then the registry entry. Raise ConflictError if the
        version exists."""

    @abstractmethod
    def get_version(self, name: ModelName, version: SemVer) -> ModelVersion:
        """Return the version with its record, or raise NotFoundError."""

    @abstractmethod
    def list_models(self) -> list[str]:
        """Return the canonical names of every model, following pagination."""

    @abstractmethod
    def list_versions(self, name: ModelName) -> list[VersionSummary]:
        """Return every version of ``name`` in any stage, archived included."""

    @abstractmethod
    def set_stage(self, name: ModelName, change: StageChange) -> None:
        """Move one version from ``change.from_stage`` to ``change.to_stage``.

        Does nothing if the version is already in ``to_stage``; raises ConflictError
        if it is in neither stage (someone else moved it).
        """

    def apply_stage_changes(
        self, name: ModelName, changes: Sequence[StageChange]
    ) -> None:
        """Apply changes in the given order.

        The service orders them so that an interruption never leaves two holders of
        a unique stage. A backend with atomic stage moves may apply them in one call.
        """
        for change in changes:
            self.set_stage(name, change)

    def delete_version(self, name: ModelName, version: SemVer) -> None:
        """Delete a version; only backends whose capabilities allow it."""
        raise RefusedError(
            f"backend {self.kind} cannot delete versions; archive {name} {version} "
            "instead",
            client=self.client,
            backend=self.kind,
        )

    # History.

    @abstractmethod
    def append_event(self, event: Event) -> None:
        """Append an event to the client's history; never overwrite one."""

    @abstractmethod
    def list_events(self, name: ModelName | None = None) -> list[Event]:
        """Return the events of one model, or of every model, oldest first."""

    # Identity.

    @abstractmethod
    def actor(self) -> str:
        """Return the identity that the registry authenticates for this client."""

    def close(self) -> None:  # noqa: B027 - optional hook, empty by default
        """Release connections."""
