"""SageMaker's documented limits, each checked at the limit and one past it, before
the first call to AWS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from unireg_adapters.sagemaker.backend import SageMakerBackend

from tests.adapters.sagemaker.conftest import MODEL, register
from tests.records import artifact_ref, full_record, write_artifact
from unireg.domain import CodeRef, SemVer, Stage, VersionRecord
from unireg.errors import InvalidInputError
from unireg.service import RegistryService

SETTINGS = {"region": "eu-west-1", "account_id": "111111111111", "bucket": "acme-m"}


def _record(**fields: Any) -> VersionRecord:
    return full_record(artifact_ref(b"w")).model_copy(update=fields)


def _tags(count: int) -> dict[str, str]:
    return {f"tag{index}": "v" for index in range(count)}


# Each case: record fields at the limit, one past it, and the words the error names.
CASES = [
    ({"description": "d" * 1024}, {"description": "d" * 1025}, "description"),
    ({"description": "ünïcode — “ok”"}, {"description": "bell\x07"}, "control"),
    (
        {"code": {"commit": "abcdef1", "repository": "r" * 1024}},
        {"code": {"commit": "abcdef1", "repository": "r" * 1025}},
        "code.repository",
    ),
    (
        {"code": {"repository": "one line"}},
        {"code": {"repository": "two\nlines"}},
        "line break",
    ),
    ({"tags": _tags(46)}, {"tags": _tags(47)}, "at most 46 tags"),
    ({"tags": {"k" * 128: "v"}}, {"tags": {"k" * 129: "v"}}, "1 to 128"),
    ({"tags": {"k": "v" * 256}}, {"tags": {"k": "v" * 257}}, "1 to 256"),
    ({"tags": {"k": "v"}}, {"tags": {"k": ""}}, "1 to 256"),
    ({"tags": {"k": "a b.c:d/e=f+g-h@i_j"}}, {"tags": {"k": "a,b"}}, "','"),
    ({"tags": {"k": "ünïcode"}}, {"tags": {"k": '"quoted"'}}, "'\"'"),
    ({"tags": {"owner": "x"}}, {"tags": {"unireg:owner": "x"}}, "unireg:"),
]


@pytest.mark.parametrize(("at_limit", "past_limit", "named"), CASES)
def test_limit_checked_before_calls(
    at_limit: dict[str, Any], past_limit: dict[str, Any], named: str
) -> None:
    backend = SageMakerBackend.from_settings("acme", SETTINGS, source="test")
    good = _record(**{k: _coerce(k, v) for k, v in at_limit.items()})
    bad = _record(**{k: _coerce(k, v) for k, v in past_limit.items()})

    backend.check_record(MODEL, good)
    with pytest.raises(InvalidInputError) as excinfo:
        backend.check_record(MODEL, bad)

    assert named in str(excinfo.value)
    assert backend.stats.calls == 0


def _coerce(field: str, value: Any) -> Any:
    # model_construct skips the domain's own 1024-character cap, so the adapter's
    # check is what the test exercises.
    return CodeRef.model_construct(**value) if field == "code" else value


def test_register_checks_before_upload(
    backend: SageMakerBackend, tmp_path: Path
) -> None:
    service = RegistryService(backend, "acme", "acme")
    artifact = write_artifact(tmp_path, b"w1")
    backend.stats.reset()

    with pytest.raises(InvalidInputError, match="at most 46 tags"):
        service.register(
            str(MODEL),
            str(artifact),
            artifact_format="pickle",
            version="1.0.0",
            record={"tags": _tags(47)},
            capture_lineage=False,
        )

    writes = {"PutObject", "CreateModelPackage", "CreateModelPackageGroup"}
    assert not writes & set(backend.stats.by_operation)
    assert backend.list_versions(MODEL) == []


def test_create_checks_before_calls(backend: SageMakerBackend) -> None:
    record = _record(tags={"k": "a,b"})
    backend.stats.reset()

    with pytest.raises(InvalidInputError, match=r"tags\.k"):
        backend.create_version(MODEL, SemVer(1, 0, 0), record, Stage.DEVELOPMENT)

    assert backend.stats.calls == 0


def test_version_at_limits_is_stored(backend: SageMakerBackend, tmp_path: Path) -> None:
    created = register(
        backend,
        tmp_path,
        "1.0.0",
        b"w1",
        tags={**_tags(45), "k" * 128: "v" * 256},
        description="d" * 1024,
    )

    fetched = backend.get_version(MODEL, created.version)
    assert fetched.record.tags["k" * 128] == "v" * 256
    assert fetched.record.description == "d" * 1024
