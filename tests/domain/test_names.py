from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from unireg.domain import CLOUD_NAME_RULES, artifact_name, parse_model_name
from unireg.errors import InvalidInputError

word = st.from_regex(r"[a-z][a-z0-9]{0,9}", fullmatch=True)
variant = st.from_regex(r"[a-z0-9]{1,10}", fullmatch=True)


def test_name_splits_into_segments() -> None:
    name = parse_model_name("acme_retail_churn_v1")

    assert (name.client, name.domain, name.task, name.variant) == (
        "acme",
        "retail",
        "churn",
        "v1",
    )
    assert str(name) == "acme_retail_churn_v1"


@pytest.mark.parametrize(
    ("text", "segment"),
    [
        ("Acme_retail_churn_v1", "client segment 'Acme'"),
        ("acme_re.tail_churn_v1", "domain segment 're.tail'"),
        ("acme_retail_churn-prediction_v1", "task segment 'churn-prediction'"),
        ("acme_retail_churn_V1", "variant segment 'V1'"),
        ("1acme_retail_churn_v1", "client segment '1acme'"),
        ("acme__churn_v1", "domain segment ''"),
    ],
)
def test_bad_segment_is_named(text: str, segment: str) -> None:
    with pytest.raises(InvalidInputError, match=segment):
        parse_model_name(text)


@pytest.mark.parametrize(
    "text", ["", "acme_retail_churn", "acme_retail_churn_v1_extra", "acme"]
)
def test_wrong_segment_count_is_rejected(text: str) -> None:
    with pytest.raises(InvalidInputError, match=r"\{client\}_\{domain\}"):
        parse_model_name(text)


def test_name_at_length_limit_is_accepted() -> None:
    text = "a" * 20 + "_" + "b" * 20 + "_" + "c" * 19 + "_v"
    assert len(text) == 63

    assert str(parse_model_name(text)) == text


def test_name_past_length_limit_is_rejected() -> None:
    text = "a" * 20 + "_" + "b" * 20 + "_" + "c" * 20 + "_v"
    assert len(text) == 64

    with pytest.raises(InvalidInputError, match="64 characters"):
        parse_model_name(text)


def test_artifact_name_joins_parts() -> None:
    name = parse_model_name("acme_retail_churn_v1")

    assert artifact_name(name, "2.1.0", "onnx") == "acme_retail_churn_v1_2.1.0_onnx"
    with pytest.raises(InvalidInputError, match="artifact format 'ON NX'"):
        artifact_name(name, "2.1.0", "ON NX")


def test_sagemaker_name_uses_hyphens() -> None:
    rule = CLOUD_NAME_RULES["sagemaker"]
    name = parse_model_name("acme_retail_churn_v1")

    assert rule.native(name) == "acme-retail-churn-v1"
    assert rule.canonical("acme-retail-churn-v1") == name


@given(word, word, word, variant)
def test_every_valid_name_fits_every_cloud(
    client: str, domain: str, task: str, var: str
) -> None:
    text = f"{client}_{domain}_{task}_{var}"
    name = parse_model_name(text)

    for rule in CLOUD_NAME_RULES.values():
        assert rule.canonical(rule.native(name)) == name


@given(st.text(max_size=70))
def test_parse_accepts_or_raises_invalid_input(text: str) -> None:
    try:
        name = parse_model_name(text)
    except InvalidInputError:
        return
    assert str(name) == text
