"""An adapter built for one client never reaches another client's account."""

from __future__ import annotations

from pathlib import Path

import pytest
from unireg_adapters.sagemaker.backend import SageMakerBackend
from unireg_adapters.sagemaker.emulator import account_for

from tests.adapters.sagemaker.conftest import MODEL, Provision, register
from tests.records import artifact_ref
from unireg.domain import SemVer, parse_model_name
from unireg.errors import ConflictError, NotFoundError, PermissionDeniedError

GLOBEX_MODEL = parse_model_name("globex_retail_churn_v1")


@pytest.fixture
def globex(provision: Provision) -> SageMakerBackend:
    return SageMakerBackend.from_settings("globex", provision("globex"), source="test")


def test_provisioning_twice_is_harmless(provision: Provision) -> None:
    assert provision("acme") == provision("acme")


def test_clients_have_own_accounts(
    backend: SageMakerBackend, globex: SageMakerBackend
) -> None:
    assert backend.settings.account_id == account_for("acme")
    assert globex.settings.account_id == account_for("globex")
    assert backend.settings.account_id != globex.settings.account_id
    assert f":{globex.settings.account_id}:" in globex.actor()


def test_registry_of_other_client_unreachable(
    backend: SageMakerBackend, globex: SageMakerBackend, tmp_path: Path
) -> None:
    register(backend, tmp_path, "1.0.0", b"acme weights")
    register(globex, tmp_path, "1.0.0", b"globex weights", name=GLOBEX_MODEL)

    assert backend.list_models() == ["acme_retail_churn_v1"]
    assert globex.list_models() == ["globex_retail_churn_v1"]
    assert globex.list_versions(MODEL) == []
    with pytest.raises(NotFoundError):
        globex.get_version(MODEL, SemVer(1, 0, 0))


def test_bucket_of_other_client_denied(
    backend: SageMakerBackend, globex: SageMakerBackend, tmp_path: Path
) -> None:
    created = register(backend, tmp_path, "1.0.0", b"acme weights")
    globex.stats.reset()

    with pytest.raises(PermissionDeniedError) as excinfo:
        globex.describe_artifact(created.record.artifact.uri)

    assert "GetObject" in str(excinfo.value)
    assert created.record.artifact.uri in str(excinfo.value)
    assert globex.stats.retries == 0


def test_events_stay_in_own_bucket(
    backend: SageMakerBackend, globex: SageMakerBackend
) -> None:
    from unireg.domain import Event, EventKind, new_id, utc_now

    event = Event(
        id=new_id(),
        kind=EventKind.REGISTERED,
        at=utc_now(),
        actor=backend.actor(),
        client="acme",
        model=str(MODEL),
        version=SemVer(1, 0, 0),
    )
    backend.append_event(event)

    assert backend.list_events() == [event]
    assert globex.list_events() == []


def test_credentials_of_wrong_account_rejected(provision: Provision) -> None:
    settings = provision("acme")
    # Without role_arn the process credentials are used; they are moto's default
    # account, not the client's.
    del settings["role_arn"]
    backend = SageMakerBackend.from_settings(
        "acme", settings, source="unireg.yaml: clients.acme.settings"
    )

    with pytest.raises(PermissionDeniedError) as excinfo:
        backend.list_models()

    message = str(excinfo.value)
    assert "123456789012" in message
    assert settings["account_id"] in message
    with pytest.raises(PermissionDeniedError):
        backend.list_models()
    assert backend.stats.by_operation == {"GetCallerIdentity": 2}


def test_short_role_credentials_are_renewed(provision: Provision) -> None:
    # Credentials of 900 s are inside botocore's 15-minute renewal window at once,
    # so every request renews them through AssumeRole.
    settings = {**provision("acme"), "role_duration_seconds": 900}
    backend = SageMakerBackend.from_settings("acme", settings, source="test")

    backend.list_models()
    backend.list_models()

    assert backend.stats.by_operation["AssumeRole"] >= 3
    assert backend.stats.by_operation["ListModelPackageGroups"] == 2


def test_concurrent_same_version_keeps_first(
    provision, backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two registrations of one version pass the existence check together; the
    later package is deleted and its registration gets ConflictError."""
    other = SageMakerBackend(backend.client, backend.settings)
    register(backend, tmp_path, "1.0.0", b"w0")
    real_put = backend.storage.put_manifest

    def competitor_first(payload, digest):
        real_put(payload, digest)
        register(other, tmp_path / "other", "1.1.0", b"competitor")

    monkeypatch.setattr(backend.storage, "put_manifest", competitor_first)
    with pytest.raises(ConflictError, match="registered concurrently"):
        register(backend, tmp_path, "1.1.0", b"mine")
    monkeypatch.undo()

    fresh = SageMakerBackend(backend.client, backend.settings)
    versions = {str(v.version): v for v in fresh.list_versions(MODEL)}
    assert sorted(versions) == ["1.0.0", "1.1.0"]
    kept = fresh.get_version(MODEL, SemVer(1, 1, 0))
    assert kept.record.artifact.sha256 == artifact_ref(b"competitor").sha256
    assert len(fresh.packages.package_arns(MODEL)) == 2
