"""The use cases, run on every backend through the same service layer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.records import full_record_fields, stage_change, write_artifact
from unireg.domain import EventKind, SemVer, Stage, parse_model_name
from unireg.errors import (
    ConflictError,
    IncompleteOperationError,
    InvalidInputError,
    RefusedError,
)
from unireg.port import Backend
from unireg.service import RegistryService
from unireg.service.governance import Governance
from unireg.service.policy import PolicyLayers

NAME = "acme_retail_churn_v1"


# The lifecycle here is about stages and history; the checklist has its own tests.
NO_RECORDED_CHECKS = {"checklist": {"recorded_checks": [], "model_card_sections": []}}


@pytest.fixture
def service(backend: Backend) -> RegistryService:
    governance = Governance(policies=PolicyLayers(agency=NO_RECORDED_CHECKS))
    return RegistryService(backend, "acme", "acme", governance)


def _register(service: RegistryService, tmp_path: Path, content: bytes, **kwargs: Any):
    path = write_artifact(tmp_path / content.decode(), content)
    kwargs.setdefault("capture_lineage", False)
    return service.register(NAME, str(path), artifact_format="pickle", **kwargs)


def _stages(service: RegistryService) -> dict[str, Stage]:
    return {str(item.version): item.stage for item in service.list_versions(NAME)}


def _to_production(service: RegistryService, version: str) -> None:
    service.promote(NAME, version, Stage.STAGING)
    service.promote(NAME, version, Stage.PRODUCTION)


def _snapshot(backend: Backend) -> tuple[Any, ...]:
    models = backend.list_models()
    versions = {name: backend.list_versions(parse_model_name(name)) for name in models}
    return models, versions, backend.list_events()


def test_register_keeps_full_record(service: RegistryService, tmp_path: Path) -> None:
    result = _register(
        service, tmp_path, b"w1", version="1.0.0", record=full_record_fields()
    )

    assert result.created
    shown = service.show(NAME, "1.0.0")
    assert shown.record.model_card.purpose.startswith("Flag accounts")
    assert shown.record.artifact.sha256 == result.version.record.artifact.sha256
    assert shown.stage is Stage.DEVELOPMENT


def test_register_same_digest_returns_existing(
    service: RegistryService, tmp_path: Path
) -> None:
    first = _register(service, tmp_path, b"w1", version="1.0.0")
    again = _register(service, tmp_path, b"w1", version="1.0.0")

    assert not again.created
    assert again.version.native_id == first.version.native_id
    assert len(service.list_versions(NAME)) == 1


def test_register_other_digest_conflicts(
    service: RegistryService, tmp_path: Path
) -> None:
    _register(service, tmp_path, b"w1", version="1.0.0")

    with pytest.raises(ConflictError, match="already registered"):
        _register(service, tmp_path, b"w2", version="1.0.0")


def test_bump_derives_from_highest(service: RegistryService, tmp_path: Path) -> None:
    _register(service, tmp_path, b"w1", version="1.9.0")
    _register(service, tmp_path, b"w2", version="1.10.0")
    _register(service, tmp_path, b"w3", version="1.2.0")

    minor = _register(service, tmp_path, b"w4", bump="minor")
    major = _register(service, tmp_path, b"w5", bump="major")
    patch = _register(service, tmp_path, b"w6", bump="patch")

    assert str(minor.version.version) == "1.11.0"
    assert str(major.version.version) == "2.0.0"
    assert str(patch.version.version) == "2.0.1"
    listed = [str(item.version) for item in service.list_versions(NAME)]
    assert listed == ["1.2.0", "1.9.0", "1.10.0", "1.11.0", "2.0.0", "2.0.1"]


def test_promotion_archives_previous_production(
    service: RegistryService, tmp_path: Path
) -> None:
    _register(service, tmp_path, b"w1", version="1.0.0")
    _register(service, tmp_path, b"w2", version="1.1.0")
    _to_production(service, "1.0.0")

    _to_production(service, "1.1.0")

    assert _stages(service) == {"1.0.0": Stage.ARCHIVED, "1.1.0": Stage.PRODUCTION}
    assert service.show(NAME, "production").version == SemVer(1, 1, 0)


def test_transition_outside_table_is_refused(
    service: RegistryService, tmp_path: Path
) -> None:
    _register(service, tmp_path, b"w1", version="1.0.0")

    with pytest.raises(RefusedError, match="cannot move to production"):
        service.promote(NAME, "1.0.0", Stage.PRODUCTION)

    assert _stages(service) == {"1.0.0": Stage.DEVELOPMENT}


def test_rollback_restores_last_archived(
    service: RegistryService, tmp_path: Path
) -> None:
    for index, version in enumerate(["1.0.0", "1.1.0", "1.2.0"]):
        _register(service, tmp_path, f"w{index}".encode(), version=version)
    _to_production(service, "1.1.0")
    _to_production(service, "1.0.0")
    _to_production(service, "1.2.0")

    result = service.rollback(NAME, "error rate above 2%")

    # 1.0.0 was archived last, so it returns, although 1.1.0 is the higher version.
    assert _stages(service) == {
        "1.0.0": Stage.PRODUCTION,
        "1.1.0": Stage.ARCHIVED,
        "1.2.0": Stage.DEVELOPMENT,
    }
    incidents = [e for e in service.history(NAME) if e.kind is EventKind.ROLLBACK]
    assert len(incidents) == 1
    assert incidents[0].incident_id == result.incident_id
    assert incidents[0].details == {"demoted": "1.2.0", "restored": "1.0.0"}
    assert incidents[0].reason == "error rate above 2%"
    assert incidents[0].actor == service.backend.actor()


def test_rollback_without_archive_is_refused(
    service: RegistryService, tmp_path: Path
) -> None:
    _register(service, tmp_path, b"w1", version="1.0.0")
    _to_production(service, "1.0.0")

    with pytest.raises(RefusedError, match="no archived version"):
        service.rollback(NAME, "bad predictions")

    assert _stages(service) == {"1.0.0": Stage.PRODUCTION}


def test_history_records_actor_and_reason(
    service: RegistryService, tmp_path: Path
) -> None:
    _register(service, tmp_path, b"w1", version="1.0.0")
    service.promote(NAME, "1.0.0", Stage.STAGING, reason="passed offline eval")

    events = service.history(NAME)
    kinds = [event.kind for event in events]
    assert kinds == [
        EventKind.REGISTERED,
        EventKind.TRANSITION_STARTED,
        EventKind.TRANSITION_COMPLETED,
    ]
    assert events[-1].reason == "passed offline eval"
    assert all(event.at.utcoffset().total_seconds() == 0 for event in events)


def test_invalid_input_writes_nothing(
    service: RegistryService, backend: Backend, tmp_path: Path
) -> None:
    _register(service, tmp_path, b"w1", version="1.0.0")
    before = _snapshot(backend)
    backend.stats.reset()

    bad_records = [
        {"metrics": {"auc": float("nan")}},
        {"metrics": {"auc": float("inf")}},
        {"hyperparameters": {"lr": float("nan")}},
        {"deployment": {"replicas": 0}},
        {"unknown_field": 1},
    ]
    for record in bad_records:
        with pytest.raises(InvalidInputError):
            _register(service, tmp_path, b"w2", version="1.1.0", record=record)
    with pytest.raises(InvalidInputError):
        _register(service, tmp_path, b"w2", version="1.1")
    with pytest.raises(InvalidInputError):
        service.register(
            "acme_retail_Churn_v1",
            "missing.pkl",
            artifact_format="pickle",
            version="1.1.0",
        )

    assert _snapshot(backend) == before
    writes = {"put_artifact", "create_version", "append_event", "apply_stage_changes"}
    assert not writes & set(backend.stats.by_operation)


def test_interrupted_promotion_is_repaired(
    service: RegistryService,
    backend: Backend,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _register(service, tmp_path, b"w1", version="1.0.0")
    _register(service, tmp_path, b"w2", version="1.1.0")
    _to_production(service, "1.0.0")
    service.promote(NAME, "1.1.0", Stage.STAGING)

    real_apply = backend.apply_stage_changes

    def die_after_first(model, changes):
        real_apply(model, changes[:1])
        raise KeyboardInterrupt("process killed")

    monkeypatch.setattr(backend, "apply_stage_changes", die_after_first)
    with pytest.raises(KeyboardInterrupt):
        service.promote(NAME, "1.1.0", Stage.PRODUCTION)
    monkeypatch.undo()

    # The demotion ran first, so no production version is left, never two.
    assert _stages(service) == {"1.0.0": Stage.ARCHIVED, "1.1.0": Stage.STAGING}
    assert len(service.pending(NAME)) == 1
    with pytest.raises(IncompleteOperationError, match="unireg repair"):
        service.promote(NAME, "1.0.0", Stage.PRODUCTION)

    repaired = service.repair(NAME)

    assert len(repaired) == 1
    assert _stages(service) == {"1.0.0": Stage.ARCHIVED, "1.1.0": Stage.PRODUCTION}
    assert service.pending(NAME) == []
    assert service.repair(NAME) == []


def test_interrupted_rollback_writes_incident_on_repair(
    service: RegistryService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _register(service, tmp_path, b"w1", version="1.0.0")
    _register(service, tmp_path, b"w2", version="1.1.0")
    _to_production(service, "1.0.0")
    _to_production(service, "1.1.0")

    def killed(started):
        raise KeyboardInterrupt("process killed")

    monkeypatch.setattr(service, "_finish", killed)
    with pytest.raises(KeyboardInterrupt):
        service.rollback(NAME, "latency doubled")
    monkeypatch.undo()

    assert _stages(service) == {"1.0.0": Stage.PRODUCTION, "1.1.0": Stage.DEVELOPMENT}
    assert not [e for e in service.history(NAME) if e.kind is EventKind.ROLLBACK]

    service.repair(NAME)

    incidents = [e for e in service.history(NAME) if e.kind is EventKind.ROLLBACK]
    assert len(incidents) == 1
    assert incidents[0].reason == "latency doubled"


def test_conflicting_promotion_closes_itself(
    service: RegistryService, backend: Backend, tmp_path: Path
) -> None:
    _register(service, tmp_path, b"w1", version="1.0.0")
    _register(service, tmp_path, b"w2", version="1.1.0")
    _to_production(service, "1.0.0")
    service.promote(NAME, "1.1.0", Stage.STAGING)
    real_apply = backend.apply_stage_changes

    def overtaken(model, changes):
        # Another process rolls 1.1.0 back to development just before this write.
        real_apply(model, [stage_change("1.1.0", Stage.STAGING, Stage.DEVELOPMENT)])
        real_apply(model, changes)

    backend.apply_stage_changes = overtaken  # type: ignore[method-assign]
    try:
        with pytest.raises(ConflictError):
            service.promote(NAME, "1.1.0", Stage.PRODUCTION)
    finally:
        del backend.apply_stage_changes

    assert service.pending(NAME) == []
    kinds = [event.kind for event in service.history(NAME)]
    assert kinds[-1] is EventKind.TRANSITION_ABANDONED
    service.promote(NAME, "1.1.0", Stage.STAGING)


def test_repair_abandons_overtaken_operation(
    service: RegistryService,
    backend: Backend,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _register(service, tmp_path, b"w1", version="1.0.0")
    _register(service, tmp_path, b"w2", version="1.1.0")
    _to_production(service, "1.0.0")
    service.promote(NAME, "1.1.0", Stage.STAGING)

    def killed(model, changes):
        raise KeyboardInterrupt("process killed")

    monkeypatch.setattr(backend, "apply_stage_changes", killed)
    with pytest.raises(KeyboardInterrupt):
        service.promote(NAME, "1.1.0", Stage.PRODUCTION)
    monkeypatch.undo()
    # Meanwhile, someone moves 1.1.0 back to development outside the operation.
    backend.apply_stage_changes(
        parse_model_name(NAME),
        [stage_change("1.1.0", Stage.STAGING, Stage.DEVELOPMENT)],
    )

    repaired = service.repair(NAME)

    assert len(repaired) == 1
    assert repaired[0].abandoned is not None
    assert "overtaken" in repaired[0].abandoned
    assert service.pending(NAME) == []
    assert _stages(service) == {"1.0.0": Stage.PRODUCTION, "1.1.0": Stage.DEVELOPMENT}
    service.promote(NAME, "1.1.0", Stage.STAGING)


def test_bump_takes_next_version_when_raced(
    service: RegistryService,
    backend: Backend,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _register(service, tmp_path, b"w1", version="1.0.0")
    real_create = backend.create_version
    raced = []

    def racing(model, version, record, stage):
        if not raced:
            # Another pipeline takes the same version with another artifact first.
            raced.append(version)
            other = record.artifact.model_copy(update={"sha256": "b" * 64})
            real_create(
                model, version, record.model_copy(update={"artifact": other}), stage
            )
        return real_create(model, version, record, stage)

    monkeypatch.setattr(backend, "create_version", racing)
    result = _register(service, tmp_path, b"w2", bump="minor")

    assert raced == [SemVer(1, 1, 0)]
    assert result.created
    assert result.version.version == SemVer(1, 2, 0)
    assert [str(v.version) for v in service.list_versions(NAME)] == [
        "1.0.0",
        "1.1.0",
        "1.2.0",
    ]
