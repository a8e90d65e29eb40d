"""Use cases on one client's registry: register, read, promote, roll back, repair."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from unireg.domain import (
    ArtifactRef,
    Bump,
    Event,
    EventKind,
    ModelName,
    ModelVersion,
    SemVer,
    Stage,
    StageChange,
    VersionRecord,
    VersionSummary,
    check_format,
    check_transition,
    new_id,
    next_version,
    parse_model_name,
    parse_record,
    utc_now,
)
from unireg.domain.checklist import (
    ChecklistResult,
    CheckStatus,
    RecordedCheck,
    evaluate_checklist,
    evaluate_gates,
)
from unireg.domain.roles import Action
from unireg.domain.stages import INITIAL_STAGE
from unireg.errors import (
    ConflictError,
    IncompleteOperationError,
    InvalidInputError,
    NotFoundError,
    RefusedError,
)
from unireg.files import sha256_file
from unireg.port import Backend

from . import lineage
from .governance import Governance

log = logging.getLogger(__name__)

_BUMP_ATTEMPTS = 5
_SHA256 = re.compile(r"[0-9a-f]{64}")

_URI_SCHEMES = ("s3://", "gs://", "azureml://", "https://", "file://", "http://")


@dataclass(frozen=True)
class Registration:
    """The outcome of ``register``: the version, and whether this call created it.

    ``ignored_fields`` names the record fields of an existing version that this
    call gave differently; the stored record is kept, since a version never changes.
    """

    version: ModelVersion
    created: bool
    ignored_fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Transition:
    """The outcome of ``promote`` or ``rollback``."""

    operation_id: str
    changes: tuple[StageChange, ...]
    incident_id: str | None = None
    abandoned: str | None = None


@dataclass(frozen=True)
class PendingOperation:
    """A promotion or rollback that started and did not finish."""

    started: Event


class RegistryService:
    """The use cases of one client, over that client's backend."""

    def __init__(
        self,
        backend: Backend,
        client: str,
        name_prefix: str,
        governance: Governance | None = None,
    ) -> None:
        self.backend = backend
        self.client = client
        self.name_prefix = name_prefix
        self.governance = governance or Governance()
        self._actor: str | None = None

    @property
    def actor(self) -> str:
        """Return the identity the backend authenticates, asked once per service."""
        if self._actor is None:
            self._actor = self.backend.actor()
        return self._actor

    def authorize(self, action: Action) -> None:
        """Raise AccessDeniedError unless the actor's role allows ``action``."""
        self.governance.authorize(self.actor, action, self.client)

    # Names.

    def model_name(self, text: str) -> ModelName:
        """Parse a model name and check it belongs to this client and its cloud."""
        name = parse_model_name(text)
        if name.client != self.name_prefix:
            raise InvalidInputError(
                f"model name {text!r} starts with {name.client!r}, but models of "
                f"client {self.client!r} start with {self.name_prefix!r}: rename it "
                f"to {self.name_prefix}_{name.domain}_{name.task}_{name.variant}"
            )
        self.backend.native_model_name(name)
        return name

    # Registration.

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
            if field not in ("artifact", "code", "dependencies")
            and getattr(given, field) != getattr(existing.record, field)
        )
        if ignored:
            log.warning(
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
        """Return the highest version if it holds the same artifact.

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

    # Reads.

    def list_models(self) -> list[str]:
        self.authorize(Action.VIEW)
        return sorted(self.backend.list_models())

    def list_versions(self, name: str) -> list[VersionSummary]:
        """Return every version of a model, ordered by semantic version."""
        model = self.model_name(name)
        self.authorize(Action.VIEW)
        return sorted(self.backend.list_versions(model), key=lambda item: item.version)

    def show(self, name: str, selector: str) -> ModelVersion:
        """Return one version by semantic version, or the holder of a stage.

        ``selector`` is a version such as ``1.2.0``, or ``production`` or ``staging``
        for the highest version in that stage.
        """
        model = self.model_name(name)
        self.authorize(Action.VIEW)
        if selector in {stage.value for stage in Stage}:
            holders = [
                item
                for item in self.backend.list_versions(model)
                if item.stage == selector
            ]
            if not holders:
                raise NotFoundError(f"{model} has no version in {selector}")
            return self.backend.get_version(
                model, max(holders, key=_by_version).version
            )
        try:
            version = SemVer.parse(selector)
        except InvalidInputError:
            stages = ", ".join(stage.value for stage in Stage)
            raise InvalidInputError(
                f"{selector!r} is neither a version such as 1.4.0 nor a stage "
                f"({stages})"
            ) from None
        return self.backend.get_version(model, version)

    def history(self, name: str) -> list[Event]:
        model = self.model_name(name)
        self.authorize(Action.VIEW)
        return self.backend.list_events(model)

    # Transitions.

    def promote(
        self,
        name: str,
        version: str,
        stage: Stage | str,
        reason: str = "",
        *,
        override: bool = False,
    ) -> Transition:
        """Move a version to ``stage``; promoting to production archives the
        current production version in the same operation.

        A promotion to production runs the checklist first and is refused on any
        failure, unless ``override`` is set by a role allowed to override, with a
        reason; the checklist result and the override are recorded with it.
        """
        model = self.model_name(name)
        target_version = SemVer.parse(version)
        target = _parse_stage(stage)
        if override and not reason.strip():
            raise InvalidInputError("an override needs a reason: pass --reason TEXT")
        self.authorize(_promote_action(target))
        self._raise_if_pending(model)

        versions = {item.version: item for item in self.backend.list_versions(model)}
        if target_version not in versions:
            raise NotFoundError(f"{model} has no version {target_version}")
        current = versions[target_version]
        if current.stage == target:
            raise RefusedError(f"{model} {target_version} is already in {target}")
        check_transition(str(target_version), current.stage, target)

        changes: list[StageChange] = []
        if target is Stage.PRODUCTION:
            # Demote first: an interruption between the two steps leaves no
            # production version, never two.
            changes += [
                StageChange(
                    version=item.version,
                    from_stage=Stage.PRODUCTION,
                    to_stage=Stage.ARCHIVED,
                )
                for item in versions.values()
                if item.stage is Stage.PRODUCTION
            ]
        changes.append(
            StageChange(
                version=target_version, from_stage=current.stage, to_stage=target
            )
        )
        details: dict[str, Any] = {}
        if target is Stage.PRODUCTION:
            details = self._production_gate(model, target_version, override, reason)
        result = self._transition(model, changes, reason, details=details)
        self._notify(
            "promoted", model, str(target_version), target, reason=reason, **details
        )
        return result

    def _production_gate(
        self, model: ModelName, version: SemVer, override: bool, reason: str
    ) -> dict[str, Any]:
        """Run the checklist; return what the transition records, or raise."""
        checklist = self.run_checklist(str(model), str(version))
        details: dict[str, Any] = {"checklist": checklist.model_dump(mode="json")}
        if checklist.passed:
            return details

        failures = "; ".join(
            f"{check.name}: {check.detail}" for check in checklist.failures
        )
        if not override:
            self._notify(
                "checklist-failed",
                model,
                str(version),
                Stage.STAGING,
                failures=[check.model_dump() for check in checklist.failures],
            )
            raise RefusedError(
                f"{model} {version} failed the checklist for production: {failures}. "
                "Fix the version, or override with --override --reason TEXT",
                client=self.client,
                backend=self.backend.kind,
                resource=f"{model}/{version}",
            )
        override_roles = frozenset(
            self.governance.policy(str(model)).checklist.override_roles
        )
        self.governance.authorize(
            self.actor, Action.OVERRIDE, self.client, override_roles
        )
        details["override"] = {
            "actor": self.actor,
            "role": self.governance.role_of(self.actor),
            "reason": reason,
            "failed": [check.name for check in checklist.failures],
        }
        log.warning("%s overrode the checklist of %s %s", self.actor, model, version)
        return details

    def run_checklist(self, name: str, version: str) -> ChecklistResult:
        """Evaluate the checklist of a version and record the run in the history."""
        model = self.model_name(name)
        self.authorize(Action.VIEW)
        candidate = self.backend.get_version(model, SemVer.parse(version))
        production = None
        holders = [
            item
            for item in self.backend.list_versions(model)
            if item.stage is Stage.PRODUCTION and item.version != candidate.version
        ]
        if holders:
            current = self.backend.get_version(model, holders[0].version)
            production = (str(current.version), current.record)

        result = evaluate_checklist(
            str(model),
            str(candidate.version),
            candidate.record,
            self.governance.policy(str(model)).checklist,
            production,
            self._recorded_checks(model, candidate.version),
        )
        self._append(
            EventKind.CHECKLIST_RUN,
            model,
            version=candidate.version,
            details={
                "checklist": result.model_dump(mode="json"),
                "passed": result.passed,
            },
        )
        return result

    def record_check(
        self,
        name: str,
        version: str,
        check: RecordedCheck | str,
        passed: bool,
        evidence: str = "",
    ) -> Event:
        """Record the outcome of a check people run: integration tests with the
        serving infrastructure, fairness and bias checks, the rollback procedure."""
        model = self.model_name(name)
        semver = SemVer.parse(version)
        try:
            kind = RecordedCheck(check)
        except ValueError:
            names = ", ".join(item.value for item in RecordedCheck)
            raise InvalidInputError(
                f"check {check!r} is invalid: use one of {names}"
            ) from None
        self.authorize(Action.RECORD_CHECK)
        self.backend.get_version(model, semver)
        return self._append(
            EventKind.CHECK_RECORDED,
            model,
            version=semver,
            details={"check": kind.value, "passed": passed, "evidence": evidence},
        )

    def _recorded_checks(
        self, model: ModelName, version: SemVer
    ) -> dict[str, tuple[bool, str]]:
        """Return the latest recorded outcome of each check for ``version``."""
        outcomes: dict[str, tuple[bool, str]] = {}
        for event in self.backend.list_events(model):
            if event.kind is EventKind.CHECK_RECORDED and event.version == version:
                outcomes[event.details["check"]] = (
                    bool(event.details["passed"]),
                    str(event.details.get("evidence", "")),
                )
        return outcomes

    def rollback(self, name: str, reason: str) -> Transition:
        """Restore the most recently archived version to production, send the
        current one to development, and write an incident record."""
        if not reason.strip():
            raise InvalidInputError("a rollback needs a reason: pass --reason TEXT")
        model = self.model_name(name)
        self.authorize(Action.ROLLBACK)
        self._raise_if_pending(model)

        versions = {item.version: item for item in self.backend.list_versions(model)}
        current = [item for item in versions.values() if item.stage is Stage.PRODUCTION]
        if not current:
            raise RefusedError(f"{model} has no production version to roll back")
        restored = self._rollback_target(model, versions)

        changes = (
            StageChange(
                version=current[0].version,
                from_stage=Stage.PRODUCTION,
                to_stage=Stage.DEVELOPMENT,
            ),
            StageChange(
                version=restored, from_stage=Stage.ARCHIVED, to_stage=Stage.PRODUCTION
            ),
        )
        result = self._transition(model, changes, reason, incident_id=new_id())
        self._notify(
            "rolled-back",
            model,
            str(restored),
            Stage.PRODUCTION,
            reason=reason,
            demoted=str(current[0].version),
            incident_id=result.incident_id,
        )
        return result

    def _rollback_target(
        self, model: ModelName, versions: Mapping[SemVer, VersionSummary]
    ) -> SemVer:
        archived = {v for v, item in versions.items() if item.stage is Stage.ARCHIVED}
        if not archived:
            raise RefusedError(
                f"{model} has no archived version to roll back to; promote a "
                "staging version instead"
            )
        # The most recently archived version: the last one a completed transition
        # moved from production to archived. Versions archived before any history
        # was kept fall back to semantic order.
        for event in reversed(self._completed_transitions(model)):
            for change in event.changes:
                if change.to_stage is Stage.ARCHIVED and change.version in archived:
                    return change.version
        return max(archived)

    def _transition(
        self,
        model: ModelName,
        changes: Sequence[StageChange],
        reason: str,
        incident_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> Transition:
        operation_id = new_id()
        started = self._append(
            EventKind.TRANSITION_STARTED,
            model,
            changes=tuple(changes),
            reason=reason,
            operation_id=operation_id,
            incident_id=incident_id,
            details=details or {},
        )
        try:
            self.backend.apply_stage_changes(model, changes)
        except ConflictError as exc:
            # Another operation moved a version first: close this one so that it
            # does not block the model, then report the conflict.
            self._abandon(started, exc.message)
            raise
        self._finish(started)
        return Transition(operation_id, tuple(changes), incident_id)

    def _abandon(self, started: Event, why: str) -> None:
        self._append(
            EventKind.TRANSITION_ABANDONED,
            parse_model_name(started.model),
            changes=started.changes,
            reason=why,
            operation_id=started.operation_id,
            incident_id=started.incident_id,
        )
        log.warning(
            "abandoned operation %s on %s: %s", started.operation_id, started.model, why
        )

    def _finish(self, started: Event) -> None:
        model = parse_model_name(started.model)
        self._append(
            EventKind.TRANSITION_COMPLETED,
            model,
            changes=started.changes,
            reason=started.reason,
            operation_id=started.operation_id,
            incident_id=started.incident_id,
            details=started.details,
        )
        if started.incident_id is not None:
            demoted = started.changes[0].version
            restored = started.changes[-1].version
            self._append(
                EventKind.ROLLBACK,
                model,
                version=restored,
                changes=started.changes,
                reason=started.reason,
                operation_id=started.operation_id,
                incident_id=started.incident_id,
                details={"demoted": str(demoted), "restored": str(restored)},
            )
        log.info(
            "applied %s to %s for client %s",
            ", ".join(
                f"{c.version} {c.from_stage}->{c.to_stage}" for c in started.changes
            ),
            model,
            self.client,
        )

    # Interrupted operations.

    def pending(self, name: str) -> list[PendingOperation]:
        """Return the promotions and rollbacks of a model that never completed."""
        return self._pending(self.model_name(name))

    def repair(self, name: str) -> list[Transition]:
        """Finish every interrupted operation of a model, in the order it started.

        An operation that another one has overtaken (one of its versions is no
        longer in the stage it expected) is closed as abandoned instead.
        """
        model = self.model_name(name)
        self.authorize(Action.REPAIR)
        repaired = []
        for operation in self._pending(model):
            started = operation.started
            assert started.operation_id is not None
            try:
                # Check every change first, so that an overtaken operation is not
                # half-applied on a backend that applies changes one by one.
                self._check_changes(model, started.changes)
                self.backend.apply_stage_changes(model, started.changes)
            except ConflictError as exc:
                why = f"overtaken by a later change: {exc.message}"
                self._abandon(started, why)
                repaired.append(
                    Transition(
                        started.operation_id,
                        started.changes,
                        started.incident_id,
                        abandoned=why,
                    )
                )
                continue
            self._finish(started)
            repaired.append(
                Transition(started.operation_id, started.changes, started.incident_id)
            )
        return repaired

    def _check_changes(self, model: ModelName, changes: Sequence[StageChange]) -> None:
        """Raise ConflictError unless each version is in its change's from or to
        stage."""
        stages = {
            item.version: item.stage for item in self.backend.list_versions(model)
        }
        for change in changes:
            current = stages.get(change.version)
            if current not in (change.from_stage, change.to_stage):
                raise ConflictError(
                    f"{model} {change.version} is in {current or 'no stage'}, not "
                    f"{change.from_stage}",
                    client=self.client,
                    backend=self.backend.kind,
                    resource=f"{model}/{change.version}",
                )

    def _pending(self, model: ModelName) -> list[PendingOperation]:
        events = self.backend.list_events(model)
        closed = {
            event.operation_id
            for event in events
            if event.kind
            in (EventKind.TRANSITION_COMPLETED, EventKind.TRANSITION_ABANDONED)
        }
        return [
            PendingOperation(event)
            for event in events
            if event.kind is EventKind.TRANSITION_STARTED
            and event.operation_id not in closed
        ]

    def _raise_if_pending(self, model: ModelName) -> None:
        pending = self._pending(model)
        if pending:
            started = pending[0].started
            raise IncompleteOperationError(
                f"an earlier operation on {model} (started "
                f"{started.at:%Y-%m-%d %H:%M:%SZ} by {started.actor}) did not "
                f"finish: run `unireg repair --client {self.client} {model}` first",
                client=self.client,
                backend=self.backend.kind,
                resource=str(model),
            )

    def _completed_transitions(self, model: ModelName) -> list[Event]:
        return [
            event
            for event in self.backend.list_events(model)
            if event.kind is EventKind.TRANSITION_COMPLETED
        ]

    def _notify(
        self, event: str, model: ModelName, version: str, stage: Stage, **extra: Any
    ) -> None:
        self.governance.notify(
            event,
            {
                "client": self.client,
                "backend": self.backend.kind,
                "model": str(model),
                "version": version,
                "stage": str(stage),
                "actor": self.actor,
                "at": utc_now().isoformat(),
                "responsible": self.governance.owner(str(model)),
                **extra,
            },
        )

    def _append(self, kind: EventKind, model: ModelName, **fields: Any) -> Event:
        event = Event(
            id=new_id(),
            kind=kind,
            at=utc_now(),
            actor=self.actor,
            client=self.client,
            model=str(model),
            **fields,
        )
        self.backend.append_event(event)
        return event


def _check_sha256(sha256: str) -> None:
    if not _SHA256.fullmatch(sha256):
        raise InvalidInputError(
            f"--sha256 {sha256!r} is not a SHA-256 digest: give 64 lowercase "
            "hexadecimal characters"
        )


def _promote_action(target: Stage) -> Action:
    if target in (Stage.STAGING, Stage.DEVELOPMENT):
        return Action.PROMOTE_STAGING
    return Action.PROMOTE_PRODUCTION


def _by_version(item: VersionSummary) -> SemVer:
    return item.version


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


def _parse_stage(value: Stage | str) -> Stage:
    try:
        return Stage(value)
    except ValueError:
        names = ", ".join(stage.value for stage in Stage)
        raise InvalidInputError(
            f"stage {value!r} is invalid: use one of {names}"
        ) from None
