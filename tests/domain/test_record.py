from __future__ import annotations

import json
import math

import pytest

from tests.records import artifact_ref, full_record
from unireg.domain import (
    ModelCard,
    SemVer,
    manifest_digest,
    manifest_json,
    parse_record,
)
from unireg.domain.record import parse_manifest
from unireg.errors import ConflictError, InvalidInputError

ARTIFACT = artifact_ref(b"weights").model_dump()


def _record(**fields):
    return parse_record({"artifact": ARTIFACT, **fields})


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_metric_is_named(bad: float) -> None:
    with pytest.raises(InvalidInputError, match="metric 'auc' is"):
        _record(metrics={"auc": bad, "f1": 0.5})


def test_non_finite_segment_metric_is_named() -> None:
    with pytest.raises(InvalidInputError, match="segment 'region=eu' metric 'auc'"):
        _record(segment_metrics={"region=eu": {"auc": math.nan}})


def test_text_metric_is_rejected() -> None:
    with pytest.raises(InvalidInputError, match="metric 'auc' is 'high'"):
        _record(metrics={"auc": "high"})


def test_non_finite_hyperparameter_is_rejected() -> None:
    with pytest.raises(InvalidInputError, match=r"hyperparameters\.lr contains nan"):
        _record(hyperparameters={"lr": math.nan})


def test_inverted_feature_range_is_rejected() -> None:
    with pytest.raises(InvalidInputError, match=r"minimum 5\.0 exceeds maximum 1\.0"):
        _record(
            feature_schema=[{"name": "x", "dtype": "float", "minimum": 5, "maximum": 1}]
        )


def test_unknown_field_is_rejected() -> None:
    with pytest.raises(InvalidInputError, match="metricz"):
        _record(metricz={"auc": 0.9})


def test_bad_digest_is_rejected() -> None:
    with pytest.raises(InvalidInputError, match=r"artifact\.sha256"):
        parse_record({"artifact": {**ARTIFACT, "sha256": "abc"}})


def test_missing_card_sections_are_listed() -> None:
    card = ModelCard(purpose="churn", performance="auc 0.9")

    assert card.missing_sections() == [
        "training_data",
        "limitations",
        "ethical_considerations",
    ]


def test_manifest_is_canonical() -> None:
    record = full_record(artifact_ref(b"weights"))

    first = manifest_json("acme_retail_churn_v1", SemVer(1, 0, 0), record)
    second = manifest_json("acme_retail_churn_v1", SemVer(1, 0, 0), record)

    assert first == second
    canonical = json.dumps(
        json.loads(first), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert first == canonical.encode("utf-8")
    assert parse_manifest(first, manifest_digest(first), "test") == record


def test_changed_manifest_is_detected() -> None:
    record = full_record(artifact_ref(b"weights"))
    payload = manifest_json("acme_retail_churn_v1", SemVer(1, 0, 0), record)
    digest = manifest_digest(payload)

    with pytest.raises(ConflictError, match="changed after registration"):
        parse_manifest(payload.replace(b"0.9132", b"0.9999"), digest, "s3://b/m.json")
