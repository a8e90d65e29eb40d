"""Vertex AI limits, checked before the first call: at the limit and one past."""

from __future__ import annotations

import pytest
from unireg_adapters.vertex import mapping
from unireg_adapters.vertex.backend import VertexBackend

from unireg.domain import SemVer, Stage
from unireg.errors import InvalidInputError

SETTINGS = {
    "project": "acme-project",
    "location": "us-central1",
    "bucket": "unireg-acme",
}


def test_label_value_length_limit() -> None:
    assert mapping.label_problem("team", "a" * 63) is None
    assert "at most 63" in (mapping.label_problem("team", "a" * 64) or "")


def test_label_key_length_limit() -> None:
    assert mapping.label_problem("k" * 63, "") is None
    assert "1 to 63" in (mapping.label_problem("k" * 64, "") or "")
    assert mapping.label_problem("", "x") is not None


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("Team", "x"),
        ("1team", "x"),
        ("te.am", "x"),
        ("team", "CHURN-12"),
        ("team", "1.2.0"),
        ("team", "a b"),
    ],
)
def test_label_characters_rejected(key: str, value: str) -> None:
    assert mapping.label_problem(key, value) is not None


def test_label_count_limit() -> None:
    at_limit = {f"k{i}": "v" for i in range(64)}
    mapping.check_labels(at_limit, "test")
    with pytest.raises(InvalidInputError, match="more than the 64"):
        mapping.check_labels({**at_limit, "k64": "v"}, "test")


def test_alias_pattern() -> None:
    assert mapping.alias_problem("ab") is None
    assert mapping.alias_problem("a" + "b" * 127) is None
    assert mapping.alias_problem("a" + "b" * 128) is not None
    for bad in ("a", "1abc", "abc-", "Prod", "prod_1", "12"):
        assert mapping.alias_problem(bad) is not None, bad


def test_reserved_alias_rejected() -> None:
    with pytest.raises(InvalidInputError, match="reserved"):
        mapping.check_alias("default")
    assert mapping.check_alias("default", reserved_ok=True) == "default"


def test_digest_label_round_trips() -> None:
    digest = "0f" * 32
    label = mapping.digest_label(digest)
    assert len(label) == 52
    assert mapping.label_problem(mapping.MANIFEST_LABEL, label) is None
    assert mapping.digest_from_label(label) == digest


def test_version_labels_fit() -> None:
    labels = mapping.version_labels(
        "a" * 63,
        SemVer(999999999, 999999999, 999999999),
        Stage.DEPRECATED,
        "f" * 64,
        {},
    )
    mapping.check_labels(labels, "test")
    assert labels[mapping.VERSION_LABEL] == "999999999-999999999-999999999"


def test_description_round_trips() -> None:
    text = mapping.version_description(SemVer(1, 2, 3), "gs://b/p/m.json")
    assert mapping.parse_version_description(text) == (
        SemVer(1, 2, 3),
        "gs://b/p/m.json",
    )


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"anonymous_credentials": True}, "api_endpoint"),
        (
            {
                "anonymous_credentials": True,
                "api_endpoint": "http://10.0.0.1:80",
                "storage_endpoint": "http://127.0.0.1:1",
            },
            "api_endpoint",
        ),
        ({"label_tags": ["unireg_stage"]}, "label_tags"),
        ({"label_tags": ["Team"]}, "label_tags"),
        ({"label_tags": [f"t{i}" for i in range(61)]}, "label_tags"),
        ({"project": "X"}, "project"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_settings_rejected(extra: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInputError, match=field) as caught:
        VertexBackend.from_settings("acme", {**SETTINGS, **extra}, source="unireg.yaml")
    assert "unireg.yaml" in str(caught.value)


def test_settings_label_tags_at_limit() -> None:
    tags = [f"t{i}" for i in range(60)]
    backend = VertexBackend.from_settings(
        "acme", {**SETTINGS, "label_tags": tags}, source="test"
    )
    assert backend.settings.label_tags == tags
