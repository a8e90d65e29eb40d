from __future__ import annotations

from typing import Any

import pytest

from tests.records import artifact_ref, full_record_fields
from unireg.domain import VersionRecord
from unireg.domain.checklist import (
    ChecklistPolicy,
    CheckStatus,
    GatePolicy,
    MetricRule,
    direction_of,
    evaluate_checklist,
    evaluate_gates,
)

ALL_RECORDED = {
    "integration-tests": (True, "ci run 12"),
    "fairness": (True, "bias report"),
    "rollback-procedure": (True, "runbook"),
}


def _record(**changes: Any) -> VersionRecord:
    fields = full_record_fields()
    for key, value in changes.items():
        fields[key] = value
    return VersionRecord.model_validate(
        {**fields, "artifact": artifact_ref(b"w").model_dump()}
    )


def _statuses(result) -> dict[str, CheckStatus]:
    return {check.name: check.status for check in result.checks}


def _evaluate(candidate, policy=None, production=None, recorded=None):
    return evaluate_checklist(
        "acme_retail_churn_v1",
        "1.1.0",
        candidate,
        policy or ChecklistPolicy(),
        production,
        ALL_RECORDED if recorded is None else recorded,
    )


def test_complete_version_passes() -> None:
    policy = ChecklistPolicy(
        metrics={"auc": MetricRule(threshold=0.9)},
        latency_metric="latency_p95_ms",
        max_latency_ms=20,
    )

    result = _evaluate(_record(), policy, ("1.0.0", _record()))

    assert result.passed
    assert result.production_version == "1.0.0"
    assert set(_statuses(result).values()) == {CheckStatus.PASSED}


def test_threshold_failure_shows_numbers() -> None:
    policy = ChecklistPolicy(metrics={"auc": MetricRule(threshold=0.95)})

    result = _evaluate(_record(), policy)

    assert not result.passed
    failure = result.failures[0]
    assert failure.name == "metric auc threshold"
    assert failure.detail == "auc = 0.9132, required >= 0.95"


def test_lower_is_better_threshold() -> None:
    policy = ChecklistPolicy(metrics={"rmse": MetricRule(threshold=50)})

    result = _evaluate(_record(metrics={"rmse": 55.0}), policy)

    assert result.failures[0].detail == "rmse = 55, required <= 50"


def test_missing_metric_fails_by_name() -> None:
    policy = ChecklistPolicy(metrics={"precision": MetricRule(threshold=0.5)})

    result = _evaluate(_record(), policy)

    assert result.failures[0].name == "metric precision"
    assert "precision is missing" in result.failures[0].detail


def test_regression_against_production_fails() -> None:
    policy = ChecklistPolicy(metrics={"auc": MetricRule(tolerance=0.01)})
    production = _record(metrics={"auc": 0.93, "f1": 0.8, "latency_p95_ms": 10})

    within = _evaluate(_record(metrics={"auc": 0.921}), policy, ("1.0.0", production))
    beyond = _evaluate(_record(metrics={"auc": 0.91}), policy, ("1.0.0", production))

    assert _statuses(within)["metric auc against production"] is CheckStatus.PASSED
    assert _statuses(beyond)["metric auc against production"] is CheckStatus.FAILED
    assert "production 0.93" in beyond.failures[0].detail


def test_comparison_without_production_not_evaluated() -> None:
    result = _evaluate(_record())

    assert _statuses(result)["per-segment metrics"] is CheckStatus.NOT_EVALUATED
    assert result.passed


def test_segment_regression_fails() -> None:
    production = _record(segment_metrics={"region=eu": {"auc": 0.9, "mae": 1.0}})
    candidate = _record(segment_metrics={"region=eu": {"auc": 0.95, "mae": 1.2}})

    result = _evaluate(candidate, None, ("1.0.0", production))

    assert _statuses(result)["per-segment metrics"] is CheckStatus.FAILED
    assert "region=eu mae 1.2 vs 1" in result.failures[0].detail


def test_missing_segment_fails() -> None:
    production = _record(segment_metrics={"class=1": {"recall": 0.7}})
    candidate = _record(segment_metrics={})

    result = _evaluate(candidate, None, ("1.0.0", production))

    assert "class=1 recall missing" in result.failures[0].detail


def test_latency_bound() -> None:
    policy = ChecklistPolicy(latency_metric="latency_p95_ms", max_latency_ms=10)

    result = _evaluate(_record(), policy)

    assert result.failures[0].name == "inference latency"
    assert result.failures[0].detail == "latency_p95_ms = 12.5 ms, bound 10 ms"


def test_missing_latency_metric_fails() -> None:
    result = _evaluate(_record(), ChecklistPolicy(max_latency_ms=10))

    assert "latency_ms is missing" in result.failures[0].detail


@pytest.mark.parametrize(
    "check", ["integration-tests", "fairness", "rollback-procedure"]
)
def test_unrecorded_check_fails(check: str) -> None:
    recorded = {
        name: outcome for name, outcome in ALL_RECORDED.items() if name != check
    }

    result = _evaluate(_record(), recorded=recorded)

    assert [failure.name for failure in result.failures] == [f"{check} recorded"]


def test_check_recorded_as_failed_fails() -> None:
    recorded = {**ALL_RECORDED, "fairness": (False, "gap of 8 points")}

    result = _evaluate(_record(), recorded=recorded)

    assert result.failures[0].detail == "recorded as failed (gap of 8 points)"


def test_incomplete_model_card_fails() -> None:
    card = {"purpose": "churn", "training_data": "q3", "performance": "ok"}

    result = _evaluate(_record(model_card=card))

    assert result.failures[0].detail == (
        "empty sections: limitations, ethical_considerations"
    )


def test_gates_check_thresholds_only() -> None:
    gates = GatePolicy(metrics={"auc": MetricRule(threshold=0.9), "f1": MetricRule()})

    results = evaluate_gates(_record(), gates)

    assert [r.status for r in results] == [CheckStatus.PASSED, CheckStatus.PASSED]


def test_direction_guessed_from_name() -> None:
    assert direction_of("rmse") == "lower"
    assert direction_of("val_loss") == "lower"
    assert direction_of("latency_ms") == "lower"
    assert direction_of("auc") == "higher"
    assert direction_of("rmse", MetricRule(direction="higher")) == "higher"
