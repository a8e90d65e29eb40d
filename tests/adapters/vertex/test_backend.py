"""The Vertex AI adapter against the in-process emulator."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from unireg_adapters.vertex.backend import VertexBackend
from unireg_adapters.vertex.emulator import RunningEmulator

from tests.adapters.vertex.factory import build
from tests.records import artifact_ref, full_record, write_artifact
from unireg.domain import SemVer, Stage, StageChange, parse_model_name
from unireg.errors import (
    BackendUnavailableError,
    ConflictError,
    InvalidInputError,
    RefusedError,
)
from unireg.service import RegistryService

MODEL = parse_model_name("acme_retail_churn_v1")
RESOURCE = "projects/acme-project/locations/us-central1/models/acme_retail_churn_v1"


def _create(
    backend: VertexBackend, tmp_path: Path, version: str, stage=Stage.DEVELOPMENT
):
    content = f"weights-{version}".encode()
    path = write_artifact(tmp_path / version, content)
    ref = artifact_ref(content)
    uri = backend.put_artifact(MODEL, path, ref)
    return backend.create_version(
        MODEL,
        SemVer.parse(version),
        full_record(ref.model_copy(update={"uri": uri})),
        stage,
    )


def _aliases(emulator: RunningEmulator) -> dict[str, list[str]]:
    model = emulator.models.models[RESOURCE]
    return {
        v.labels["unireg_version"]: sorted(v.aliases) for v in model.versions.values()
    }


def _change(version: str, source: Stage, target: Stage) -> StageChange:
    return StageChange(
        version=SemVer.parse(version), from_stage=source, to_stage=target
    )


def test_version_mapping(
    vertex: VertexBackend, emulator: RunningEmulator, tmp_path: Path
) -> None:
    created = _create(vertex, tmp_path, "1.2.0")

    model = emulator.models.models[RESOURCE]
    stored = model.versions[created.native_id]
    assert stored.display_name == "acme_retail_churn_v1"
    assert stored.labels["unireg_model"] == "acme_retail_churn_v1"
    assert stored.labels["unireg_version"] == "1-2-0"
    assert stored.labels["unireg_stage"] == "development"
    assert stored.version_description.startswith(
        "unireg 1.2.0; manifest gs://unireg-acme/"
    )
    assert stored.aliases == ["default"]
    assert created.manifest_uri.startswith(
        "gs://unireg-acme/registry/unireg/manifests/"
    )


def test_promotion_moves_aliases_atomically(
    vertex: VertexBackend, emulator: RunningEmulator, tmp_path: Path
) -> None:
    for version in ("1.0.0", "1.1.0", "1.2.0"):
        _create(vertex, tmp_path, version)
    vertex.set_stage(MODEL, _change("1.1.0", Stage.DEVELOPMENT, Stage.STAGING))
    vertex.set_stage(MODEL, _change("1.2.0", Stage.DEVELOPMENT, Stage.STAGING))
    assert _aliases(emulator)["1-2-0"] == ["staging"]

    vertex.apply_stage_changes(
        MODEL, [_change("1.2.0", Stage.STAGING, Stage.PRODUCTION)]
    )
    assert _aliases(emulator) == {
        "1-0-0": [],
        "1-1-0": ["staging"],
        "1-2-0": ["default", "production"],
    }

    vertex.stats.reset()
    vertex.apply_stage_changes(
        MODEL,
        [
            _change("1.2.0", Stage.PRODUCTION, Stage.ARCHIVED),
            _change("1.1.0", Stage.STAGING, Stage.PRODUCTION),
        ],
    )
    assert _aliases(emulator) == {
        "1-0-0": [],
        "1-1-0": ["default", "production"],
        "1-2-0": [],
    }
    assert vertex.stats.by_operation == {
        "ListModelVersions": 1,
        "UpdateModel": 2,
        "MergeVersionAliases": 1,
    }
    stages = {item.version: item.stage for item in vertex.list_versions(MODEL)}
    assert stages[SemVer(1, 2, 0)] is Stage.ARCHIVED
    assert stages[SemVer(1, 1, 0)] is Stage.PRODUCTION


def test_interrupted_move_reads_one_production(
    vertex: VertexBackend, emulator: RunningEmulator, tmp_path: Path
) -> None:
    _create(vertex, tmp_path, "1.0.0", Stage.PRODUCTION)
    _create(vertex, tmp_path, "1.1.0", Stage.STAGING)
    # The alias moved, and the process stopped before the stage labels changed.
    model = emulator.models.models[RESOURCE]
    emulator.models.merge_aliases(
        f"{RESOURCE}@2", {"versionAliases": ["production", "default"]}
    )

    stages = {item.version: item.stage for item in vertex.list_versions(MODEL)}
    assert stages == {
        SemVer(1, 0, 0): Stage.ARCHIVED,
        SemVer(1, 1, 0): Stage.PRODUCTION,
    }

    vertex.apply_stage_changes(
        MODEL,
        [
            _change("1.0.0", Stage.PRODUCTION, Stage.ARCHIVED),
            _change("1.1.0", Stage.STAGING, Stage.PRODUCTION),
        ],
    )
    assert model.versions["1"].labels["unireg_stage"] == "archived"
    assert model.versions["2"].labels["unireg_stage"] == "production"


def test_concurrent_label_update_is_retried(
    vertex: VertexBackend, emulator: RunningEmulator, tmp_path: Path, monkeypatch
) -> None:
    _create(vertex, tmp_path, "1.0.0")
    version = emulator.models.models[RESOURCE].versions["1"]
    real_update = emulator.models.update
    writes = []

    def other_writer_first(name, body, mask):
        if not writes:
            writes.append(name)
            version.labels = {**version.labels, "team": "risk"}
            version.touch()
        return real_update(name, body, mask)

    monkeypatch.setattr(emulator.models, "update", other_writer_first)
    vertex.stats.reset()
    vertex.set_stage(MODEL, _change("1.0.0", Stage.DEVELOPMENT, Stage.STAGING))

    assert version.labels["unireg_stage"] == "staging"
    assert version.labels["team"] == "risk"
    assert vertex.stats.retries == 1
    assert vertex.stats.by_operation["UpdateModel"] == 2


def test_stale_etag_is_rejected_by_emulator(
    vertex: VertexBackend, emulator: RunningEmulator, tmp_path: Path
) -> None:
    _create(vertex, tmp_path, "1.0.0")
    from unireg_adapters.vertex.emulator_models import ApiError

    with pytest.raises(ApiError, match="etag"):
        emulator.models.update(
            f"{RESOURCE}@1", {"labels": {}, "etag": "stale"}, ["labels"]
        )


def test_default_alias_cannot_be_removed(
    vertex: VertexBackend, emulator: RunningEmulator, tmp_path: Path
) -> None:
    _create(vertex, tmp_path, "1.0.0")
    from unireg_adapters.vertex.emulator_models import ApiError

    with pytest.raises(ApiError, match="default"):
        emulator.models.merge_aliases(f"{RESOURCE}@1", {"versionAliases": ["-default"]})


@pytest.mark.parametrize(
    ("setup", "match"),
    [("only", "only version"), ("alias", "aliases"), ("deployed", "deployed")],
)
def test_delete_rules_checked_before_call(
    vertex: VertexBackend,
    emulator: RunningEmulator,
    tmp_path: Path,
    setup: str,
    match: str,
) -> None:
    _create(vertex, tmp_path, "1.0.0")
    target = "1.0.0"
    if setup != "only":
        _create(vertex, tmp_path, "1.1.0")
        target = "1.1.0"
    if setup == "alias":
        vertex.set_stage(MODEL, _change("1.1.0", Stage.DEVELOPMENT, Stage.STAGING))
    if setup == "deployed":
        emulator.models.models[RESOURCE].versions["2"].deployed_models.append(
            {"endpoint": "e", "deployedModelId": "d"}
        )
    vertex.stats.reset()

    with pytest.raises(RefusedError, match=match):
        vertex.delete_version(MODEL, SemVer.parse(target))
    assert "DeleteModelVersion" not in vertex.stats.by_operation


def test_upload_timeout_resumes_without_duplicate(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    backend = build(emulator, operation_timeout_s=0.3)
    emulator.models.lro_seconds = 60

    with pytest.raises(BackendUnavailableError, match="run the command again"):
        _create(backend, tmp_path, "1.0.0")
    with pytest.raises(BackendUnavailableError, match="still running"):
        _create(backend, tmp_path, "1.0.0")

    for operation in emulator.models.operations.values():
        operation.done_at = 0
    with pytest.raises(ConflictError, match="already exists"):
        _create(backend, tmp_path, "1.0.0")
    assert [v.version for v in backend.list_versions(MODEL)] == [SemVer(1, 0, 0)]


def test_versions_follow_pagination(emulator: RunningEmulator, tmp_path: Path) -> None:
    backend = build(emulator, page_size=2)
    for patch in range(5):
        _create(backend, tmp_path, f"1.0.{patch}")
    backend.stats.reset()

    assert len(backend.list_versions(MODEL)) == 5
    assert backend.stats.by_operation == {"ListModelVersions": 3}


def test_events_follow_pagination(emulator: RunningEmulator) -> None:
    from unireg.domain import Event, EventKind, new_id, utc_now

    backend = build(emulator, page_size=2)
    events = [
        Event(
            id=new_id(),
            kind=EventKind.REGISTERED,
            at=utc_now(),
            actor="a",
            client="acme",
            model=str(MODEL),
        )
        for _ in range(5)
    ]
    for event in events:
        backend.append_event(event)
    assert backend.list_events(MODEL) == events


def test_register_call_budget(vertex: VertexBackend, tmp_path: Path) -> None:
    service = RegistryService(vertex, "acme", "acme")
    path = write_artifact(tmp_path / "a", b"weights")
    vertex.stats.reset()

    service.register(
        str(MODEL),
        str(path),
        artifact_format="pickle",
        version="1.0.0",
        capture_lineage=False,
    )

    assert vertex.stats.by_operation == {
        "ListModelVersions": 2,
        "storage.get": 1,
        "storage.insert": 3,
        "storage.download": 1,
        "UploadModel": 1,
        "UploadModel.wait": 1,
        "GetModel": 1,
        # The actor of the registered event, read once and cached.
        "EmulatorPrincipal": 1,
    }


def test_transient_errors_are_retried(tmp_path: Path) -> None:
    from unireg_adapters.vertex.emulator import serve

    with serve(throttle_rate=0.2, error_rate=0.1, seed=7) as running:
        backend = build(running)
        for version in ("1.0.0", "1.1.0"):
            _create(backend, tmp_path, version)
        backend.set_stage(MODEL, _change("1.1.0", Stage.DEVELOPMENT, Stage.STAGING))

        assert backend.stats.retries > 0
        assert {v.version for v in backend.list_versions(MODEL)} == {
            SemVer(1, 0, 0),
            SemVer(1, 1, 0),
        }


def test_retries_run_out(tmp_path: Path) -> None:
    from unireg_adapters.vertex.emulator import serve

    with serve(error_rate=1.0) as running:
        backend = build(running, retry_deadline_s=0.2)
        with pytest.raises(BackendUnavailableError, match="retries ran out"):
            backend.list_versions(MODEL)


def test_other_client_is_unreachable(
    vertex: VertexBackend, emulator: RunningEmulator, tmp_path: Path
) -> None:
    _create(vertex, tmp_path, "1.0.0")
    other = build(emulator, "beta")

    assert other.list_models() == []
    assert other.list_versions(MODEL) == []
    with pytest.raises(InvalidInputError, match="not an object of the client's bucket"):
        other.describe_artifact("gs://unireg-acme/registry/unireg/artifacts/x")


def test_describe_artifact_streams_digest(
    vertex: VertexBackend, tmp_path: Path
) -> None:
    ref = artifact_ref(b"bytes in the bucket")
    uri = vertex.put_artifact(
        MODEL, write_artifact(tmp_path, b"bytes in the bucket"), ref
    )
    assert vertex.describe_artifact(uri) == (ref.sha256, len(b"bytes in the bucket"))


def test_mirrored_tag_limit_checked_first(emulator: RunningEmulator) -> None:
    backend = build(emulator, label_tags=["team"])
    record = full_record(artifact_ref(b"x")).model_copy(
        update={"tags": {"team": "Risk"}}
    )
    with pytest.raises(InvalidInputError, match="team='Risk'"):
        backend.check_record(MODEL, record)
    ok = record.model_copy(update={"tags": {"team": "r" * 63}})
    backend.check_record(MODEL, ok)
    too_long = record.model_copy(update={"tags": {"team": "r" * 64}})
    with pytest.raises(InvalidInputError, match="at most 63"):
        backend.check_record(MODEL, too_long)
    assert backend.stats.calls == 0


def test_actor_is_emulator_principal(vertex: VertexBackend) -> None:
    assert vertex.actor() == "anonymous@vertex-emulator.invalid"


def test_cli_import_skips_sdk() -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import unireg.cli.main"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "google.cloud" not in result.stderr
    assert "aiplatform" not in result.stderr


def test_backend_import_skips_sdk() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, unireg_adapters.vertex.backend; "
            "print('google.cloud.aiplatform_v1' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "False"


def test_read_call_budgets(vertex: VertexBackend, tmp_path: Path) -> None:
    _create(vertex, tmp_path, "1.0.0")
    vertex.actor()

    vertex.stats.reset()
    vertex.get_version(MODEL, SemVer(1, 0, 0))
    assert vertex.stats.by_operation == {"ListModelVersions": 1, "storage.download": 1}

    vertex.stats.reset()
    vertex.list_models()
    assert vertex.stats.by_operation == {"ListModels": 1}

    vertex.stats.reset()
    vertex.set_stage(MODEL, _change("1.0.0", Stage.DEVELOPMENT, Stage.STAGING))
    assert vertex.stats.by_operation == {
        "ListModelVersions": 1,
        "UpdateModel": 1,
        "MergeVersionAliases": 1,
    }
