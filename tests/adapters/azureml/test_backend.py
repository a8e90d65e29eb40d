"""The Azure ML adapter against the in-process emulator: mapping, archive, limits,
paging, concurrency, isolation, errors and call budgets."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from unireg_adapters.azureml import mapping
from unireg_adapters.azureml.backend import AzureMLBackend
from unireg_adapters.azureml.emulator import EmulatorApp

from tests.adapters.azureml.factory import make_backend
from tests.records import artifact_ref, full_record, write_artifact
from unireg.domain import SemVer, Stage, StageChange, parse_model_name
from unireg.errors import (
    BackendUnavailableError,
    ConflictError,
    InvalidInputError,
    PermissionDeniedError,
)

MODEL = parse_model_name("acme_retail_churn_v1")


def _create(backend: AzureMLBackend, tmp_path: Path, version: str, content: bytes):
    path = write_artifact(tmp_path / version, content)
    ref = artifact_ref(content)
    uri = backend.put_artifact(MODEL, path, ref)
    record = full_record(ref.model_copy(update={"uri": uri}))
    return backend.create_version(
        MODEL, SemVer.parse(version), record, Stage.DEVELOPMENT
    )


def _stored(app: EmulatorApp, backend: AzureMLBackend) -> dict:
    settings = backend.settings
    key = (
        settings.subscription_id.lower(),
        settings.resource_group.lower(),
        settings.workspace.lower(),
    )
    return app.arm.workspaces[key].versions[str(MODEL)]


def _change(version: str, source: Stage, target: Stage) -> StageChange:
    return StageChange(
        version=SemVer.parse(version), from_stage=source, to_stage=target
    )


@pytest.fixture
def app() -> EmulatorApp:
    return EmulatorApp()


@pytest.fixture
def backend(app: EmulatorApp) -> AzureMLBackend:
    return make_backend(app)


def test_version_maps_to_integer_id(app, backend, tmp_path) -> None:
    first = _create(backend, tmp_path, "1.4.0", b"w1")
    second = _create(backend, tmp_path, "1.5.0", b"w2")

    assert first.native_id == "1"
    assert second.native_id == "2"
    stored = _stored(app, backend)["1"]["properties"]
    assert stored["tags"][mapping.TAG_VERSION] == "1.4.0"
    assert stored["tags"][mapping.TAG_MODEL] == "acme_retail_churn_v1"
    assert stored["tags"][mapping.TAG_STAGE] == "development"
    assert stored["tags"]["team"] == "retention"
    assert stored["stage"] == "Development"
    assert stored["modelUri"].startswith(
        backend.store.url + "/models/unireg/artifacts/"
    )
    assert stored["properties"][mapping.PROPERTY_MANIFEST_URI] == first.manifest_uri


@pytest.mark.parametrize("clears_stage", [False, True])
def test_archive_keeps_stage(app, backend, tmp_path, clears_stage) -> None:
    app.arm.clear_stage_on_omit = clears_stage
    _create(backend, tmp_path, "1.0.0", b"w1")

    backend.set_stage(MODEL, _change("1.0.0", Stage.DEVELOPMENT, Stage.DEPRECATED))

    stored = _stored(app, backend)["1"]["properties"]
    assert stored["isArchived"] is True
    assert stored["stage"] == "Deprecated"
    assert stored["tags"][mapping.TAG_STAGE] == "deprecated"

    backend.set_stage(MODEL, _change("1.0.0", Stage.DEPRECATED, Stage.ARCHIVED))
    backend.set_stage(MODEL, _change("1.0.0", Stage.ARCHIVED, Stage.PRODUCTION))

    stored = _stored(app, backend)["1"]["properties"]
    assert stored["isArchived"] is False
    assert stored["stage"] == "Production"


def test_archived_hidden_from_default_list(app, backend, tmp_path) -> None:
    _create(backend, tmp_path, "1.0.0", b"w1")
    _create(backend, tmp_path, "1.1.0", b"w2")
    backend.set_stage(MODEL, _change("1.0.0", Stage.DEVELOPMENT, Stage.DEPRECATED))

    active = list(backend.ml.models.list(name=str(MODEL)))
    listed = {str(item.version) for item in backend.list_versions(MODEL)}

    assert [model.version for model in active] == ["2"]
    assert listed == {"1.0.0", "1.1.0"}


def test_list_follows_next_link(app, backend, tmp_path) -> None:
    app.arm.page_size = 2
    app.blob.page_size = 3
    for patch in range(7):
        _create(backend, tmp_path, f"1.0.{patch}", f"w{patch}".encode())

    listed = sorted(item.version for item in backend.list_versions(MODEL))

    assert listed == [SemVer(1, 0, patch) for patch in range(7)]
    pages = [path for method, path in app.requests if "versions?" in path]
    assert any("skipToken" in path for path in pages)


def test_existing_version_not_overwritten(app, backend, tmp_path) -> None:
    _create(backend, tmp_path, "1.0.0", b"w1")

    with pytest.raises(ConflictError):
        _create(backend, tmp_path, "1.0.0", b"other")

    stored = _stored(app, backend)
    assert list(stored) == ["1"]
    assert stored["1"]["properties"]["tags"][mapping.TAG_VERSION] == "1.0.0"


def test_asset_path_is_immutable(app, backend, tmp_path) -> None:
    created = _create(backend, tmp_path, "1.0.0", b"w1")
    model = backend.ml.models.get(str(MODEL), version=created.native_id)
    model.path = backend.store.url + "/elsewhere/model.pkl"

    with pytest.raises(Exception, match=r"[Pp]ath"):
        backend.ml.models.create_or_update(model)


def test_parallel_same_version_one_wins(app, tmp_path) -> None:
    backends = [make_backend(app)]
    backends.append(make_backend_again(app, backends[0]))
    results: list[object] = []

    def register(backend: AzureMLBackend) -> None:
        try:
            results.append(_create(backend, tmp_path, "1.0.0", b"same"))
        except ConflictError as exc:
            results.append(exc)

    threads = [threading.Thread(target=register, args=(b,)) for b in backends]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(_stored(app, backends[0])) == 1
    assert len(results) == 2


def test_parallel_versions_get_distinct_ids(app, tmp_path) -> None:
    first = make_backend(app)
    second = make_backend_again(app, first)
    created = {}

    def register(backend: AzureMLBackend, version: str) -> None:
        created[version] = _create(backend, tmp_path, version, version.encode())

    threads = [
        threading.Thread(target=register, args=(first, "1.0.0")),
        threading.Thread(target=register, args=(second, "2.0.0")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert {item.native_id for item in created.values()} == {"1", "2"}
    assert len(_stored(app, first)) == 2


def make_backend_again(app: EmulatorApp, other: AzureMLBackend) -> AzureMLBackend:
    """A second backend for the same client, as a second process would build."""
    from unireg_adapters.azureml.emulator import in_process_transport
    from unireg_adapters.azureml.identity import EmulatorCredential

    return AzureMLBackend(
        other.client,
        other.settings,
        credential=EmulatorCredential(),
        transport_factory=lambda: in_process_transport(app),
    )


def test_other_client_unreachable(app, backend, tmp_path) -> None:
    created = _create(backend, tmp_path, "1.0.0", b"w1")
    other = make_backend(app, client="globex")

    assert other.list_models() == []
    assert other.list_versions(MODEL) == []
    with pytest.raises(InvalidInputError, match="not in this client's container"):
        other.describe_artifact(created.record.artifact.uri)
    assert backend.settings.workspace not in other.settings.workspace_scope


def test_denied_call_names_action_and_scope(app, backend, tmp_path) -> None:
    app.arm.denied_scopes.add(backend.settings.workspace_scope)

    with pytest.raises(PermissionDeniedError) as caught:
        backend.list_versions(MODEL)

    assert "ModelVersions.List" in caught.value.message
    assert backend.settings.workspace_scope in caught.value.message
    assert backend.stats.retries == 0


def test_throttling_is_retried(app, backend, tmp_path) -> None:
    _create(backend, tmp_path, "1.0.0", b"w1")
    app.faults.throttle_rate = 0.3
    app.faults.rng.seed(3)
    backend.stats.reset()

    for _ in range(5):
        assert backend.list_versions(MODEL)

    assert backend.stats.retries > 0


def test_server_errors_exhaust_retries(app, tmp_path) -> None:
    backend = make_backend(app, retry_total=2)
    app.faults.error_rate = 1.0

    with pytest.raises(BackendUnavailableError, match="retries ran out"):
        backend.list_versions(MODEL)

    assert backend.stats.retries == 2


def test_bad_tag_rejected_before_calls(app, backend, tmp_path) -> None:
    ref = artifact_ref(b"w1", uri=backend.store.url + "/x/model.pkl")
    record = full_record(ref).model_copy(update={"tags": {"a/b": "x"}})

    with pytest.raises(InvalidInputError, match="Azure tag name"):
        backend.check_record(MODEL, record)
    with pytest.raises(InvalidInputError, match="which unireg reserves"):
        mapping.check_tags({"unireg.stage": "x"})
    with pytest.raises(InvalidInputError, match="at most 256"):
        mapping.check_tags({"note": "x" * 257})

    assert backend.stats.calls == 0


def test_settings_errors_name_source() -> None:
    settings = {
        "subscription_id": "00000000-0000-0000-0000-000000000000",
        "resource_group": "rg",
        "workspace": "ws-acme",
        "storage_account_url": "https://acct.blob.core.windows.net",
        "storage_container": "models",
        "credential": "emulator",
    }
    with pytest.raises(InvalidInputError, match=r"unireg.yaml.*127\.0\.0\.1"):
        AzureMLBackend.from_settings("acme", settings, source="unireg.yaml")
    with pytest.raises(InvalidInputError, match="registries are not supported"):
        AzureMLBackend.from_settings(
            "acme", {**settings, "registry": "shared"}, source="unireg.yaml"
        )


def test_actor_is_token_principal(backend) -> None:
    assert backend.actor() == "unireg-tester@emulator.local"


CALL_BUDGETS = {
    "create_version": 9,
    "get_version": 3,
    "list_versions": 1,
    "set_stage": 3,
    "set_stage_archive": 6,
}


def test_call_budgets(app, backend, tmp_path) -> None:
    _create(backend, tmp_path, "1.0.0", b"w0")
    path = write_artifact(tmp_path / "b", b"w1")
    ref = artifact_ref(b"w1")
    uri = backend.put_artifact(MODEL, path, ref)
    record = full_record(ref.model_copy(update={"uri": uri}))
    measured = {}

    backend.stats.reset()
    backend.create_version(MODEL, SemVer(1, 1, 0), record, Stage.DEVELOPMENT)
    measured["create_version"] = backend.stats.calls
    for label, call in [
        ("get_version", lambda: backend.get_version(MODEL, SemVer(1, 1, 0))),
        ("list_versions", lambda: backend.list_versions(MODEL)),
        (
            "set_stage",
            lambda: backend.set_stage(
                MODEL, _change("1.1.0", Stage.DEVELOPMENT, Stage.STAGING)
            ),
        ),
        (
            "set_stage_archive",
            lambda: backend.set_stage(
                MODEL, _change("1.1.0", Stage.STAGING, Stage.DEPRECATED)
            ),
        ),
    ]:
        backend.stats.reset()
        call()
        measured[label] = backend.stats.calls

    for label, budget in CALL_BUDGETS.items():
        assert measured[label] <= budget, f"{label}: {measured[label]} calls"
