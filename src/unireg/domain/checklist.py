"""The pre-promotion checklist: policy, evaluation and result. Pure, no I/O.

A version may go to production only when every check passes or is not evaluated:

- each configured metric meets its threshold, and is no worse than the production
  version's value beyond the tolerance;
- no per-class or per-segment metric regresses against production;
- inference latency is within its bound;
- integration tests with the serving infrastructure and fairness checks are recorded
  as passed, and the rollback procedure is recorded as documented and tested;
- the model card has every required section.

A missing metric is a failure that names it, never a silent pass. A comparison with
production is "not evaluated" when there is no production version.
"""

from __future__ import annotations

import math
import re
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .record import VersionRecord
from .roles import Role

Direction = Literal["higher", "lower"]

# Metric names whose lower values are better, when the policy gives no direction.
_LOWER_IS_BETTER = re.compile(r"(rmse|mse|mae|mape|loss|error|latency|log_?loss)", re.I)

MODEL_CARD_SECTIONS = (
    "purpose",
    "training_data",
    "performance",
    "limitations",
    "ethical_considerations",
)


class RecordedCheck(StrEnum):
    """Checks whose outcome people record, since unireg cannot run them."""

    INTEGRATION_TESTS = "integration-tests"
    FAIRNESS = "fairness"
    ROLLBACK_PROCEDURE = "rollback-procedure"


class _Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MetricRule(_Policy):
    """A metric's direction, its threshold and the tolerated regression."""

    direction: Direction | None = None
    threshold: float | None = None
    tolerance: float = Field(default=0.0, ge=0)


class ChecklistPolicy(_Policy):
    """The checks required before production."""

    metrics: dict[str, MetricRule] = {}
    segment_tolerance: float | None = Field(default=0.0, ge=0)
    latency_metric: str = "latency_ms"
    max_latency_ms: float | None = Field(default=None, gt=0)
    recorded_checks: list[RecordedCheck] = list(RecordedCheck)
    model_card_sections: list[str] = list(MODEL_CARD_SECTIONS)
    override_roles: list[Role] = [Role.AGENCY_ADMIN]


class GatePolicy(_Policy):
    """Metric thresholds that move a new version to staging automatically."""

    metrics: dict[str, MetricRule] = {}


class CheckStatus(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_EVALUATED = "not-evaluated"


class CheckResult(_Policy):
    """One check: its status and the numbers or reason behind it."""

    name: str
    status: CheckStatus
    detail: str


class ChecklistResult(_Policy):
    """Every check run for one version, against the production version if any."""

    model: str
    version: str
    production_version: str | None
    checks: list[CheckResult]

    @property
    def passed(self) -> bool:
        return all(check.status is not CheckStatus.FAILED for check in self.checks)

    @property
    def failures(self) -> list[CheckResult]:
        return [check for check in self.checks if check.status is CheckStatus.FAILED]


def direction_of(metric: str, rule: MetricRule | None = None) -> Direction:
    """Return the rule's direction, else guess from the name (rmse, loss: lower)."""
    if rule is not None and rule.direction is not None:
        return rule.direction
    return "lower" if _LOWER_IS_BETTER.search(metric) else "higher"


def _worse(
    direction: Direction, value: float, reference: float, tolerance: float
) -> bool:
    if direction == "higher":
        return value < reference - tolerance
    return value > reference + tolerance


def _threshold_check(name: str, value: float, rule: MetricRule) -> CheckResult:
    direction = direction_of(name, rule)
    assert rule.threshold is not None
    if direction == "higher":
        ok, relation = value >= rule.threshold, ">="
    else:
        ok, relation = value <= rule.threshold, "<="
    status = CheckStatus.PASSED if ok else CheckStatus.FAILED
    return CheckResult(
        name=f"metric {name} threshold",
        status=status,
        detail=f"{name} = {value:g}, required {relation} {rule.threshold:g}",
    )


def check_metrics(
    candidate: VersionRecord,
    rules: dict[str, MetricRule],
    production: VersionRecord | None,
) -> list[CheckResult]:
    """Check each configured metric's threshold, then compare it with production."""
    results = []
    for name, rule in sorted(rules.items()):
        value = candidate.metrics.get(name)
        if value is None or not math.isfinite(value):
            results.append(
                CheckResult(
                    name=f"metric {name}",
                    status=CheckStatus.FAILED,
                    detail=f"metric {name} is missing from the version record",
                )
            )
            continue
        if rule.threshold is not None:
            results.append(_threshold_check(name, value, rule))
        else:
            results.append(
                CheckResult(
                    name=f"metric {name}",
                    status=CheckStatus.PASSED,
                    detail=f"{name} = {value:g}, no threshold",
                )
            )
        if production is None:
            continue
        reference = production.metrics.get(name)
        label = f"metric {name} against production"
        if reference is None:
            results.append(
                CheckResult(
                    name=label,
                    status=CheckStatus.NOT_EVALUATED,
                    detail=f"the production version has no {name}",
                )
            )
            continue
        direction = direction_of(name, rule)
        worse = _worse(direction, value, reference, rule.tolerance)
        results.append(
            CheckResult(
                name=label,
                status=CheckStatus.FAILED if worse else CheckStatus.PASSED,
                detail=(
                    f"{name} = {value:g}, production {reference:g}, {direction} is "
                    f"better, tolerance {rule.tolerance:g}"
                ),
            )
        )
    return results


def _segments(
    candidate: VersionRecord,
    production: VersionRecord | None,
    policy: ChecklistPolicy,
) -> CheckResult:
    name = "per-segment metrics"
    if policy.segment_tolerance is None:
        return CheckResult(
            name=name, status=CheckStatus.NOT_EVALUATED, detail="disabled by policy"
        )
    if production is None:
        return CheckResult(
            name=name,
            status=CheckStatus.NOT_EVALUATED,
            detail="no production version to compare with",
        )
    if not production.segment_metrics:
        return CheckResult(
            name=name,
            status=CheckStatus.NOT_EVALUATED,
            detail="the production version records no per-segment metrics",
        )

    problems = []
    for segment, metrics in sorted(production.segment_metrics.items()):
        for metric, reference in sorted(metrics.items()):
            value = candidate.segment_metrics.get(segment, {}).get(metric)
            if value is None:
                problems.append(f"{segment} {metric} missing")
                continue
            direction = direction_of(metric, policy.metrics.get(metric))
            if _worse(direction, value, reference, policy.segment_tolerance):
                problems.append(f"{segment} {metric} {value:g} vs {reference:g}")
    if problems:
        return CheckResult(
            name=name,
            status=CheckStatus.FAILED,
            detail="regressed: " + "; ".join(problems),
        )
    count = sum(len(metrics) for metrics in production.segment_metrics.values())
    return CheckResult(
        name=name,
        status=CheckStatus.PASSED,
        detail=f"{count} segment metrics no worse than production "
        f"(tolerance {policy.segment_tolerance:g})",
    )


def _latency(candidate: VersionRecord, policy: ChecklistPolicy) -> CheckResult:
    name = "inference latency"
    if policy.max_latency_ms is None:
        return CheckResult(
            name=name, status=CheckStatus.NOT_EVALUATED, detail="no bound configured"
        )
    value = candidate.metrics.get(policy.latency_metric)
    if value is None:
        return CheckResult(
            name=name,
            status=CheckStatus.FAILED,
            detail=f"metric {policy.latency_metric} is missing from the version record",
        )
    ok = value <= policy.max_latency_ms
    return CheckResult(
        name=name,
        status=CheckStatus.PASSED if ok else CheckStatus.FAILED,
        detail=(
            f"{policy.latency_metric} = {value:g} ms, "
            f"bound {policy.max_latency_ms:g} ms"
        ),
    )


def _recorded(
    check: RecordedCheck, outcomes: dict[str, tuple[bool, str]]
) -> CheckResult:
    name = f"{check.value} recorded"
    if check.value not in outcomes:
        return CheckResult(
            name=name,
            status=CheckStatus.FAILED,
            detail=f"no {check.value} result recorded: run `unireg record-check`",
        )
    passed, evidence = outcomes[check.value]
    verdict = "passed" if passed else "failed"
    return CheckResult(
        name=name,
        status=CheckStatus.PASSED if passed else CheckStatus.FAILED,
        detail=f"recorded as {verdict}" + (f" ({evidence})" if evidence else ""),
    )


def _model_card(candidate: VersionRecord, policy: ChecklistPolicy) -> CheckResult:
    card = candidate.model_card.model_dump()
    missing = [
        section
        for section in policy.model_card_sections
        if not str(card.get(section, "")).strip()
    ]
    if missing:
        return CheckResult(
            name="model card complete",
            status=CheckStatus.FAILED,
            detail="empty sections: " + ", ".join(missing),
        )
    return CheckResult(
        name="model card complete",
        status=CheckStatus.PASSED,
        detail=f"{len(policy.model_card_sections)} sections filled",
    )


def evaluate_checklist(
    model: str,
    version: str,
    candidate: VersionRecord,
    policy: ChecklistPolicy,
    production: tuple[str, VersionRecord] | None,
    recorded: dict[str, tuple[bool, str]],
) -> ChecklistResult:
    """Run every check of ``policy`` on ``candidate``.

    ``production`` is the current production version and its record, if any;
    ``recorded`` maps each recorded check to its latest outcome and evidence.
    """
    reference = production[1] if production else None
    checks = check_metrics(candidate, policy.metrics, reference)
    checks.append(_segments(candidate, reference, policy))
    checks.append(_latency(candidate, policy))
    checks += [_recorded(check, recorded) for check in policy.recorded_checks]
    checks.append(_model_card(candidate, policy))
    return ChecklistResult(
        model=model,
        version=version,
        production_version=production[0] if production else None,
        checks=checks,
    )


def evaluate_gates(candidate: VersionRecord, gates: GatePolicy) -> list[CheckResult]:
    """Check the staging gates: thresholds only, no comparison with production."""
    return check_metrics(candidate, gates.metrics, None)
