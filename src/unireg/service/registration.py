"""Registration: check everything, upload the artifact, then create the version."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from unireg.domain import (
    ArtifactRef,
    Bump,
    EventKind,
    ModelName,
    ModelVersion,
    SemVer,
    Stage,
    StageChange,
    VersionRecord,
    VersionSummary,
    check_format,
    next_version,
    parse_record,
)
from unireg.domain.checklist import (
    CheckStatus,
    evaluate_gates,
)
from unireg.domain.roles import Action
from unireg.domain.stages import INITIAL_STAGE
from unireg.errors import (
    ConflictError,
    InvalidInputError,
)
from unireg.files import sha256_file

from . import lineage
from .core import Registration, ServiceCore

log = logging.getLogger(__name__)

_BUMP_ATTEMPTS = 5
_SHA256 = re.compile(r"[0-9a-f]{64}")

_URI_SCHEMES = ("s3://", "gs://", "azureml://", "https://", "file://", "http://")


class RegistrationUseCases(ServiceCore):
    """Registering a version and moving it through the automated staging gates."""

    def register(
        self,
        name: str,
        artifact: str,
        *,
        artifact_format: str,
        version: str | None = None,
        bump: Bump | str | None = None,
        record: Mapping[str, Any] | None = None,
        sha256: str | None = None,
        capture_lineage: bool = True,
        workdir: Path | None = None,
    ) -> Registration:
        """Register a version in development, or return it if it already exists.

        All input is checked before the first write. The artifact is uploaded before
        the registry entry is created, so an interruption leaves at most an unused
        stored file, never a version without its artifact.
        """
        model = self.model_name(name)
        check_format(artifact_format)
        policy = self.governance.policy(str(model))
        if (version is None) == (bump is None):
            raise InvalidInputError(
                "give exactly one of a version (for example 1.2.0) or a bump "
                "(major, minor or patch)"
            )
        explicit = SemVer.parse(version) if version is not None else None
        part = _parse_bump(bump) if bump is not None else None

        local_path, artifact_ref = self._artifact(artifact, artifact_format, sha256)
        draft = self._record(record or {}, artifact_ref, capture_lineage, workdir)
        self.backend.check_record(model, draft)
        self.authorize(Action.REGISTER)

        if local_path is not None:
            uri = self.backend.put_artifact(model, local_path, artifact_ref)
            draft = draft.model_copy(
                update={"artifact": artifact_ref.model_copy(update={"uri": uri})}
            )

        # With --bump, a registration that loses the version to a concurrent one
        # takes the next version instead, a bounded number of times.
        attempts = 1 if explicit is not None else _BUMP_ATTEMPTS
        for attempt in range(1, attempts + 1):
            existing = self.backend.list_versions(model)
            if explicit is not None:
                target = explicit
            else:
                assert part is not None
                found = self._same_artifact_at_top(model, existing, artifact_ref)
                if found is not None:
                    return self._unchanged(found, draft)
                target = next_version((item.version for item in existing), part)
            if any(item.version == target for item in existing):
                return self._unchanged(
                    self._existing(model, target, artifact_ref), draft
                )
            try:
                created = self.backend.create_version(
                    model, target, draft, INITIAL_STAGE
                )
                break
            except ConflictError:
                # Another process registered the same version in the meantime.
                if explicit is not None or attempt == attempts:
                    return self._unchanged(
                        self._existing(model, target, artifact_ref), draft
                    )
                log.info("%s %s was taken concurrently; bumping again", model, target)
        self._append(
            EventKind.REGISTERED,
            model,
            version=target,
            details={"artifact_sha256": draft.artifact.sha256},
        )
        log.info("registered %s %s for client %s", model, target, self.client)
        self._notify("registered", model, str(target), created.stage)
        if policy.staging_gates.metrics:
            created = self._apply_staging_gates(model, created)
        return Registration(created, True)

    def _apply_staging_gates(
        self, model: ModelName, version: ModelVersion
    ) -> ModelVersion:
        """Move a new version to staging if it passes every automated gate."""
        gates = self.governance.policy(str(model)).staging_gates
        results = evaluate_gates(version.record, gates)
        failed = [r.detail for r in results if r.status is CheckStatus.FAILED]
        if failed:
            log.info("%s %s stays in development: %s", model, version.version, failed)
            return version
        reason = "passed the automated staging gates: " + "; ".join(
            result.detail for result in results
        )
        change = StageChange(
            version=version.version, from_stage=version.stage, to_stage=Stage.STAGING
        )
        self._transition(model, [change], reason, details={"automated": True})
        self._notify(
            "promoted",
            model,
            str(version.version),
            Stage.STAGING,
            reason=reason,
            automated=True,
        )
        return self.backend.get_version(model, version.version)

    def _unchanged(self, existing: ModelVersion, given: VersionRecord) -> Registration:
        """Return an existing version, naming the record fields given differently.

        Lineage captured from the environment (code, dependencies) and the
        artifact's location are left out: they change between runs of one pipeline.
        """
        ignored = tuple(
            field
            for field in VersionRecord.model_fields
            if field in given.model_fields_set
            and field not in ("artifact", "code", "dependencies")
            and getattr(given, field) != getattr(existing.record, field)
        )
        if ignored:
            log.info(
                "%s %s exists; the given %s differ from the stored record and were "
                "not applied",
                existing.name,
                existing.version,
                ", ".join(ignored),
            )
        return Registration(existing, False, ignored)

    def _same_artifact_at_top(
        self,
        model: ModelName,
        existing: Sequence[VersionSummary],
        artifact: ArtifactRef,
    ) -> ModelVersion | None:
        """Return the highest version if its artifact has the same digest.

        A retried pipeline run with --bump must not register the same artifact
        twice.
        """
        highest = max((item.version for item in existing), default=None)
        if highest is None:
            return None
        latest = self.backend.get_version(model, highest)
        return latest if latest.record.artifact.sha256 == artifact.sha256 else None

    def _existing(
        self, model: ModelName, version: SemVer, artifact: ArtifactRef
    ) -> ModelVersion:
        current = self.backend.get_version(model, version)
        if current.record.artifact.sha256 != artifact.sha256:
            raise ConflictError(
                f"{model} {version} is already registered with artifact digest "
                f"{current.record.artifact.sha256}, not {artifact.sha256}: register "
                "the new artifact under a new version",
                client=self.client,
                backend=self.backend.kind,
                resource=f"{model}/{version}",
            )
        return current

    def _artifact(
        self, artifact: str, artifact_format: str, sha256: str | None
    ) -> tuple[Path | None, ArtifactRef]:
        if artifact.startswith(_URI_SCHEMES):
            if sha256 is not None:
                _check_sha256(sha256)
            if sha256 is None:
                sha256, size = self.backend.describe_artifact(artifact)
            else:
                size = None
            return None, _artifact_ref(artifact, sha256, artifact_format, size)

        path = Path(artifact).expanduser()
        if not path.is_file():
            raise InvalidInputError(
                f"artifact {artifact!r} is not a file: give the path of the "
                "serialized model, or a URI such as s3://bucket/key"
            )
        digest, size = sha256_file(path)
        if sha256 is not None:
            _check_sha256(sha256)
        if sha256 is not None and sha256 != digest:
            raise InvalidInputError(
                f"artifact {artifact!r} has digest {digest}, not the {sha256} given "
                "with --sha256"
            )
        return path, _artifact_ref(
            path.resolve().as_uri(), digest, artifact_format, size
        )

    def _record(
        self,
        given: Mapping[str, Any],
        artifact: ArtifactRef,
        capture_lineage: bool,
        workdir: Path | None,
    ) -> VersionRecord:
        if "artifact" in given:
            raise InvalidInputError(
                "the version record must not contain 'artifact': pass the artifact "
                "as an argument and unireg fills it in"
            )
        data = dict(given)
        if capture_lineage:
            code = lineage.capture_code(workdir or Path.cwd())
            data["code"] = {**code, **dict(data.get("code") or {})}
            dependencies = lineage.capture_dependencies()
            data["dependencies"] = {
                **dependencies,
                **dict(data.get("dependencies") or {}),
            }
        data["artifact"] = artifact.model_dump()
        return parse_record(data)


def _check_sha256(sha256: str) -> None:
    if not _SHA256.fullmatch(sha256):
        raise InvalidInputError(
            f"--sha256 {sha256!r} is not a SHA-256 digest: give 64 lowercase "
            "hexadecimal characters"
        )


def _artifact_ref(
    uri: str, sha256: str, artifact_format: str, size: int | None
) -> ArtifactRef:
    return parse_record(
        {
            "artifact": {
                "uri": uri,
                "sha256": sha256,
                "format": artifact_format,
                "size_bytes": size,
            }
        },
        "artifact",
    ).artifact


def _parse_bump(value: Bump | str) -> Bump:
    try:
        return Bump(value)
    except ValueError:
        raise InvalidInputError(
            f"bump {value!r} is invalid: use major, minor or patch"
        ) from None
