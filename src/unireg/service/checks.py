"""The pre-promotion checklist: running it, recording checks, gating production."""

from __future__ import annotations

import logging
from typing import Any

from unireg.domain import (
    Event,
    EventKind,
    ModelName,
    SemVer,
    Stage,
)
from unireg.domain.checklist import (
    ChecklistResult,
    RecordedCheck,
    evaluate_checklist,
)
from unireg.domain.roles import Action
from unireg.errors import (
    InvalidInputError,
    RefusedError,
)

from .core import ServiceCore

log = logging.getLogger(__name__)


class ChecklistUseCases(ServiceCore):
    """Checks before production, and the outcomes people record."""

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
