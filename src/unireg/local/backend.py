"""The embedded registry: SQLite (standard library) plus a content-addressed store.

Each client has one directory with ``registry.sqlite3`` and ``objects/``. Every write is
one ``BEGIN IMMEDIATE`` transaction, so two unireg processes at once are serialized by
SQLite's lock, and a crash rolls back a half-written registration. A partial unique
index keeps at most one production version per model even if the service's ordering
were bypassed.
"""

from __future__ import annotations

import getpass
import json
import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

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
    manifest_json,
    parse_manifest,
    utc_now,
)
from unireg.domain.record import describe
from unireg.errors import ConflictError, InvalidInputError, NotFoundError
from unireg.port import Backend, Capabilities

from .store import ContentStore

_SCHEMA = """
CREATE TABLE IF NOT EXISTS models (
    name TEXT PRIMARY KEY,
    last_native_id INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS versions (
    name TEXT NOT NULL REFERENCES models (name),
    version TEXT NOT NULL,
    native_id INTEGER NOT NULL,
    stage TEXT NOT NULL CHECK (stage IN
        ('development', 'staging', 'production', 'archived', 'deprecated')),
    manifest_uri TEXT NOT NULL,
    manifest_digest TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (name, version),
    UNIQUE (name, native_id)
);
CREATE UNIQUE INDEX IF NOT EXISTS one_production_version
    ON versions (name) WHERE stage = 'production';
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_model ON events (model, id);
"""


class LocalSettings(BaseModel):
    """Settings of an embedded registry: its directory."""

    model_config = ConfigDict(extra="forbid")

    path: Path | None = None


def default_home() -> Path:
    """Return ``$UNIREG_HOME``, else ``$XDG_DATA_HOME/unireg`` or ~/.local/share."""
    if home := os.environ.get("UNIREG_HOME"):
        return Path(home).expanduser()
    data = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data) / "unireg"


class LocalBackend(Backend):
    kind = "local"
    capabilities = Capabilities(
        delete_version=True,
        atomic_stage_moves=True,
        caller_chooses_native_id=False,
        native_archive=False,
    )

    def __init__(self, client: str, root: Path) -> None:
        super().__init__(client)
        self.root = root
        self.store = ContentStore(root / "objects")
        self._connection: sqlite3.Connection | None = None

    @classmethod
    def from_settings(
        cls, client: str, settings: Mapping[str, Any], *, source: str
    ) -> LocalBackend:
        try:
            parsed = LocalSettings.model_validate(dict(settings))
        except ValidationError as exc:
            raise InvalidInputError(f"{source}: {describe(exc)}") from exc
        root = parsed.path.expanduser() if parsed.path else None
        return cls(client, root or default_home() / "clients" / client)

    # Connection and transactions.

    @property
    def _exists(self) -> bool:
        """Whether the registry file exists; reads of a missing one create nothing."""
        return self._connection is not None or (self.root / "registry.sqlite3").exists()

    def _db(self) -> sqlite3.Connection:
        if self._connection is None:
            self.root.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                self.root / "registry.sqlite3",
                timeout=30.0,
                isolation_level=None,
                check_same_thread=False,
            )
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
            connection.execute("PRAGMA foreign_keys=ON")
            connection.executescript(_SCHEMA)
            self._connection = connection
        return self._connection

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """Run a write transaction that takes SQLite's write lock up front."""
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    # Artifacts.

    def put_artifact(self, name: ModelName, path: Path, artifact: ArtifactRef) -> str:
        with self.stats.measure("put_artifact"):
            return self.store.put_file(path, artifact.sha256)

    def describe_artifact(self, uri: str) -> tuple[str, int]:
        prefix = self.store.root.resolve().as_uri() + "/sha256/"
        if not uri.startswith(prefix):
            return super().describe_artifact(uri)
        sha256 = uri[len(prefix) :].replace("/", "")
        return sha256, len(self.store.get_bytes(sha256))

    # Versions.

    def create_version(
        self, name: ModelName, version: SemVer, record: VersionRecord, stage: Stage
    ) -> ModelVersion:
        payload = manifest_json(str(name), version, record)
        with self.stats.measure("create_version"):
            digest, uri = self.store.put_bytes(payload)
            now = utc_now().isoformat()
            with self._write() as db:
                db.execute(
                    "INSERT OR IGNORE INTO models (name, created_at) VALUES (?, ?)",
                    (str(name), now),
                )
                if self._row(db, name, version) is not None:
                    raise ConflictError(
                        f"{name} {version} already exists",
                        client=self.client,
                        backend=self.kind,
                        resource=f"{name}/{version}",
                    )
                native_id = db.execute(
                    "UPDATE models SET last_native_id = last_native_id + 1 "
                    "WHERE name = ? RETURNING last_native_id",
                    (str(name),),
                ).fetchone()[0]
                db.execute(
                    "INSERT INTO versions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        str(name),
                        str(version),
                        native_id,
                        stage.value,
                        uri,
                        digest,
                        now,
                        now,
                    ),
                )
        return self.get_version(name, version)

    def get_version(self, name: ModelName, version: SemVer) -> ModelVersion:
        with self.stats.measure("get_version"):
            row = self._row(self._db(), name, version) if self._exists else None
            if row is None:
                raise NotFoundError(
                    f"{name} has no version {version}",
                    client=self.client,
                    backend=self.kind,
                    resource=f"{name}/{version}",
                )
            summary = _summary(row)
            payload = self.store.get_bytes(summary.manifest_digest)
        record = parse_manifest(payload, summary.manifest_digest, summary.manifest_uri)
        return ModelVersion(**summary.model_dump(), record=record)

    def list_models(self) -> list[str]:
        with self.stats.measure("list_models"):
            if not self._exists:
                return []
            rows = self._db().execute("SELECT name FROM models ORDER BY name")
            return [row["name"] for row in rows]

    def list_versions(self, name: ModelName) -> list[VersionSummary]:
        with self.stats.measure("list_versions"):
            if not self._exists:
                return []
            rows = self._db().execute(
                "SELECT * FROM versions WHERE name = ?", (str(name),)
            )
            return [_summary(row) for row in rows]

    def set_stage(self, name: ModelName, change: StageChange) -> None:
        self.apply_stage_changes(name, [change])

    def apply_stage_changes(
        self, name: ModelName, changes: Sequence[StageChange]
    ) -> None:
        """Apply every change in one transaction: all of them or none."""
        with self.stats.measure("apply_stage_changes"), self._write() as db:
            now = utc_now().isoformat()
            for change in changes:
                row = self._row(db, name, change.version)
                if row is None:
                    raise NotFoundError(
                        f"{name} has no version {change.version}",
                        client=self.client,
                        backend=self.kind,
                    )
                if row["stage"] == change.to_stage:
                    continue
                if row["stage"] != change.from_stage:
                    raise ConflictError(
                        f"{name} {change.version} is in {row['stage']}, not "
                        f"{change.from_stage}: another operation moved it; "
                        "look at `unireg history` and try again",
                        client=self.client,
                        backend=self.kind,
                    )
                db.execute(
                    "UPDATE versions SET stage = ?, updated_at = ? "
                    "WHERE name = ? AND version = ?",
                    (change.to_stage.value, now, str(name), str(change.version)),
                )

    def delete_version(self, name: ModelName, version: SemVer) -> None:
        with self.stats.measure("delete_version"), self._write() as db:
            deleted = db.execute(
                "DELETE FROM versions WHERE name = ? AND version = ?",
                (str(name), str(version)),
            ).rowcount
        if not deleted:
            raise NotFoundError(f"{name} has no version {version}")

    def _row(
        self, db: sqlite3.Connection, name: ModelName, version: SemVer
    ) -> sqlite3.Row | None:
        row: sqlite3.Row | None = db.execute(
            "SELECT * FROM versions WHERE name = ? AND version = ?",
            (str(name), str(version)),
        ).fetchone()
        return row

    # History.

    def append_event(self, event: Event) -> None:
        with self.stats.measure("append_event"), self._write() as db:
            try:
                db.execute(
                    "INSERT INTO events (id, model, body) VALUES (?, ?, ?)",
                    (event.id, event.model, event.model_dump_json()),
                )
            except sqlite3.IntegrityError as exc:
                raise ConflictError(f"event {event.id} already exists") from exc

    def list_events(self, name: ModelName | None = None) -> list[Event]:
        with self.stats.measure("list_events"):
            if not self._exists:
                return []
            db = self._db()
            if name is None:
                rows = db.execute("SELECT body FROM events ORDER BY id")
            else:
                rows = db.execute(
                    "SELECT body FROM events WHERE model = ? ORDER BY id",
                    (str(name),),
                )
            return [Event.model_validate(json.loads(row["body"])) for row in rows]

    # Identity.

    def actor(self) -> str:
        """Return the operating-system user running this process."""
        return getpass.getuser()


def _summary(row: sqlite3.Row) -> VersionSummary:
    return VersionSummary(
        name=row["name"],
        version=SemVer.parse(row["version"]),
        stage=Stage(row["stage"]),
        native_id=str(row["native_id"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
        manifest_uri=row["manifest_uri"],
        manifest_digest=row["manifest_digest"],
    )
