"""The contract every backend passes unchanged.

Differences between backends appear only through ``backend.capabilities``.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from pathlib import Path

import pytest

from tests.records import artifact_ref, full_record, stage_change, write_artifact
from unireg.domain import (
    Event,
    EventKind,
    ModelName,
    SemVer,
    Stage,
    new_id,
    parse_model_name,
    utc_now,
)
from unireg.errors import ConflictError, NotFoundError, RefusedError
from unireg.port import Backend

MODEL = parse_model_name("acme_retail_churn_v1")
OTHER = parse_model_name("acme_finance_fraud_ensemble")


def _create(
    backend: Backend,
    tmp_path: Path,
    version: str,
    content: bytes,
    name: ModelName = MODEL,
    stage: Stage = Stage.DEVELOPMENT,
):
    path = write_artifact(tmp_path / "artifacts" / version, content)
    ref = artifact_ref(content)
    uri = backend.put_artifact(name, path, ref)
    record = full_record(ref.model_copy(update={"uri": uri}))
    return backend.create_version(name, SemVer.parse(version), record, stage)


def test_record_round_trips_unchanged(backend: Backend, tmp_path: Path) -> None:
    created = _create(backend, tmp_path, "1.0.0", b"weights-1")
    fetched = backend.get_version(MODEL, SemVer(1, 0, 0))

    assert fetched.record == created.record
    assert fetched.record.model_dump() == created.record.model_dump()
    assert fetched.record.metrics["auc"] == 0.9132
    assert fetched.record.hyperparameters["early_stopping"] == {
        "patience": 3,
        "enabled": True,
    }
    assert fetched.name == "acme_retail_churn_v1"
    assert fetched.version == SemVer(1, 0, 0)
    assert fetched.stage is Stage.DEVELOPMENT
    assert fetched.native_id
    assert fetched.manifest_digest == created.manifest_digest


def test_timestamps_are_utc(backend: Backend, tmp_path: Path) -> None:
    before = utc_now() - timedelta(minutes=5)
    created = _create(backend, tmp_path, "1.0.0", b"weights-1")

    assert created.created_at.tzinfo is not None
    assert created.created_at.utcoffset() == timedelta(0)
    assert created.created_at.tzinfo == UTC
    assert created.created_at >= before


def test_artifact_storage_is_content_addressed(
    backend: Backend, tmp_path: Path
) -> None:
    ref = artifact_ref(b"same bytes")
    first = backend.put_artifact(
        MODEL, write_artifact(tmp_path / "a", b"same bytes"), ref
    )
    second = backend.put_artifact(
        MODEL, write_artifact(tmp_path / "b", b"same bytes"), ref
    )
    other_ref = artifact_ref(b"other bytes")
    third = backend.put_artifact(
        MODEL, write_artifact(tmp_path / "c", b"other bytes"), other_ref
    )

    assert first == second
    assert third != first


def test_created_version_is_listed(backend: Backend, tmp_path: Path) -> None:
    _create(backend, tmp_path, "1.0.0", b"weights-1")
    _create(backend, tmp_path, "1.1.0", b"weights-2")
    _create(backend, tmp_path, "1.0.0", b"fraud", name=OTHER)

    assert sorted(backend.list_models()) == [str(OTHER), str(MODEL)]
    versions = sorted(item.version for item in backend.list_versions(MODEL))
    assert versions == [SemVer(1, 0, 0), SemVer(1, 1, 0)]
    native_ids = {item.native_id for item in backend.list_versions(MODEL)}
    assert len(native_ids) == 2


def test_existing_version_is_not_overwritten(backend: Backend, tmp_path: Path) -> None:
    created = _create(backend, tmp_path, "1.0.0", b"weights-1")

    with pytest.raises(ConflictError):
        _create(backend, tmp_path, "1.0.0", b"weights-other")

    fetched = backend.get_version(MODEL, SemVer(1, 0, 0))
    assert fetched.record.artifact.sha256 == created.record.artifact.sha256
    assert len(backend.list_versions(MODEL)) == 1


def test_missing_version_is_not_found(backend: Backend, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        backend.get_version(MODEL, SemVer(9, 9, 9))
    assert backend.list_versions(MODEL) == []

    _create(backend, tmp_path, "1.0.0", b"weights-1")
    with pytest.raises(NotFoundError):
        backend.get_version(MODEL, SemVer(1, 0, 1))


def test_many_versions_are_all_listed(backend: Backend, tmp_path: Path) -> None:
    for patch in range(25):
        _create(backend, tmp_path, f"1.0.{patch}", f"weights-{patch}".encode())

    listed = sorted(item.version for item in backend.list_versions(MODEL))
    assert listed == [SemVer(1, 0, patch) for patch in range(25)]


def test_stage_change_moves_one_version(backend: Backend, tmp_path: Path) -> None:
    _create(backend, tmp_path, "1.0.0", b"weights-1")
    _create(backend, tmp_path, "1.1.0", b"weights-2")

    backend.set_stage(MODEL, stage_change("1.0.0", Stage.DEVELOPMENT, Stage.STAGING))

    stages = {item.version: item.stage for item in backend.list_versions(MODEL)}
    assert stages == {
        SemVer(1, 0, 0): Stage.STAGING,
        SemVer(1, 1, 0): Stage.DEVELOPMENT,
    }
    assert backend.get_version(MODEL, SemVer(1, 0, 0)).stage is Stage.STAGING


def test_stage_change_is_idempotent(backend: Backend, tmp_path: Path) -> None:
    _create(backend, tmp_path, "1.0.0", b"weights-1")
    change = stage_change("1.0.0", Stage.DEVELOPMENT, Stage.STAGING)

    backend.set_stage(MODEL, change)
    backend.set_stage(MODEL, change)

    assert backend.get_version(MODEL, SemVer(1, 0, 0)).stage is Stage.STAGING


def test_stage_change_detects_concurrent_move(backend: Backend, tmp_path: Path) -> None:
    _create(backend, tmp_path, "1.0.0", b"weights-1")

    with pytest.raises(ConflictError):
        backend.set_stage(MODEL, stage_change("1.0.0", Stage.STAGING, Stage.PRODUCTION))

    assert backend.get_version(MODEL, SemVer(1, 0, 0)).stage is Stage.DEVELOPMENT


def test_every_stage_round_trips(backend: Backend, tmp_path: Path) -> None:
    path = [
        (Stage.DEVELOPMENT, Stage.STAGING),
        (Stage.STAGING, Stage.PRODUCTION),
        (Stage.PRODUCTION, Stage.ARCHIVED),
        (Stage.ARCHIVED, Stage.DEPRECATED),
        (Stage.DEPRECATED, Stage.ARCHIVED),
        (Stage.ARCHIVED, Stage.PRODUCTION),
        (Stage.PRODUCTION, Stage.DEVELOPMENT),
    ]
    _create(backend, tmp_path, "1.0.0", b"weights-1")
    for source, target in path:
        backend.set_stage(MODEL, stage_change("1.0.0", source, target))
        assert backend.get_version(MODEL, SemVer(1, 0, 0)).stage is target
        listed = backend.list_versions(MODEL)
        assert [item.stage for item in listed] == [target]


def test_promotion_changes_apply_in_order(backend: Backend, tmp_path: Path) -> None:
    _create(backend, tmp_path, "1.0.0", b"weights-1", stage=Stage.PRODUCTION)
    _create(backend, tmp_path, "1.1.0", b"weights-2", stage=Stage.STAGING)

    backend.apply_stage_changes(
        MODEL,
        [
            stage_change("1.0.0", Stage.PRODUCTION, Stage.ARCHIVED),
            stage_change("1.1.0", Stage.STAGING, Stage.PRODUCTION),
        ],
    )

    stages = {item.version: item.stage for item in backend.list_versions(MODEL)}
    assert stages == {
        SemVer(1, 0, 0): Stage.ARCHIVED,
        SemVer(1, 1, 0): Stage.PRODUCTION,
    }


def test_events_are_appended_in_order(backend: Backend, tmp_path: Path) -> None:
    events = [
        Event(
            id=new_id(),
            kind=EventKind.REGISTERED,
            at=utc_now(),
            actor="tester",
            client="acme",
            model=str(name),
            version=SemVer(1, 0, index),
            details={"note": f"n{index}"},
        )
        for index, name in enumerate([MODEL, OTHER, MODEL])
    ]
    for event in events:
        backend.append_event(event)

    assert backend.list_events(MODEL) == [events[0], events[2]]
    assert backend.list_events(OTHER) == [events[1]]
    assert backend.list_events() == events


def test_event_with_changes_round_trips(backend: Backend) -> None:
    event = Event(
        id=new_id(),
        kind=EventKind.TRANSITION_STARTED,
        at=utc_now(),
        actor="arn:aws:iam::123456789012:user/ops",
        client="acme",
        model=str(MODEL),
        changes=(
            stage_change("1.0.0", Stage.PRODUCTION, Stage.ARCHIVED),
            stage_change("1.1.0", Stage.STAGING, Stage.PRODUCTION),
        ),
        reason="quarterly retrain",
        operation_id="op-1",
    )
    backend.append_event(event)

    assert backend.list_events(MODEL) == [event]


def test_delete_follows_capabilities(backend: Backend, tmp_path: Path) -> None:
    _create(backend, tmp_path, "1.0.0", b"weights-1")
    second = _create(backend, tmp_path, "1.1.0", b"weights-2")

    if not backend.capabilities.delete_version:
        with pytest.raises(RefusedError):
            backend.delete_version(MODEL, SemVer(1, 1, 0))
        assert len(backend.list_versions(MODEL)) == 2
        return

    backend.delete_version(MODEL, SemVer(1, 1, 0))
    with pytest.raises(NotFoundError):
        backend.get_version(MODEL, SemVer(1, 1, 0))
    third = _create(backend, tmp_path, "1.2.0", b"weights-3")
    assert third.native_id != second.native_id


def test_actor_is_known(backend: Backend) -> None:
    assert backend.actor().strip()


def test_native_model_name_is_stable(backend: Backend) -> None:
    assert backend.native_model_name(MODEL) == backend.native_model_name(MODEL)
    assert backend.native_model_name(MODEL) != backend.native_model_name(OTHER)
