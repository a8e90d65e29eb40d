"""Checklist, roles, automated staging, notifications and audit, on every backend."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.records import full_record_fields, write_artifact
from tests.service.webhook_server import WebhookServer
from unireg.domain import EventKind, Stage, utc_now
from unireg.domain.roles import AccessDeniedError, Role
from unireg.errors import InvalidInputError, RefusedError
from unireg.port import Backend
from unireg.service import RegistryService
from unireg.service.audit import audit_events, production_at
from unireg.service.governance import Governance
from unireg.service.notify import Notifier, WebhookTarget
from unireg.service.policy import PolicyLayers

NAME = "acme_retail_churn_v1"
CHECKS = ("integration-tests", "fairness", "rollback-procedure")


def _service(backend: Backend, role: Role | None = Role.AGENCY_ADMIN, **kwargs: Any):
    roles = {backend.actor(): role} if role else {"someone-else": Role.AGENCY_ADMIN}
    governance = Governance(roles=roles, enforced=True, **kwargs)
    return RegistryService(backend, "acme", "acme", governance)


def _register(service: RegistryService, tmp_path: Path, content: bytes, **record: Any):
    path = write_artifact(tmp_path / content.decode(), content)
    fields = {**full_record_fields(), **record}
    return service.register(
        NAME,
        str(path),
        artifact_format="pickle",
        bump="minor",
        record=fields,
        capture_lineage=False,
    ).version


def _record_all(service: RegistryService, version: str) -> None:
    for check in CHECKS:
        service.record_check(NAME, version, check, True, f"evidence for {check}")


def _stages(service: RegistryService) -> dict[str, Stage]:
    return {str(v.version): v.stage for v in service.list_versions(NAME)}


def _as(service: RegistryService, role: Role | None) -> RegistryService:
    """The same registry, seen by an actor with another role."""
    roles = {service.actor: role} if role else {}
    governance = Governance(
        roles=roles, enforced=True, policies=service.governance.policies
    )
    return RegistryService(service.backend, "acme", "acme", governance)


@pytest.fixture
def webhook() -> Iterator[WebhookServer]:
    server = WebhookServer()
    yield server
    server.stop()


def test_production_needs_recorded_checks(backend: Backend, tmp_path: Path) -> None:
    service = _service(backend)
    _register(service, tmp_path, b"w1")
    service.promote(NAME, "1.0.0", "staging")

    with pytest.raises(RefusedError) as refused:
        service.promote(NAME, "1.0.0", "production")

    message = str(refused.value)
    for check in CHECKS:
        assert f"no {check} result recorded" in message
    assert _stages(service) == {"1.0.0": Stage.STAGING}

    _record_all(service, "1.0.0")
    service.promote(NAME, "1.0.0", "production")

    assert _stages(service) == {"1.0.0": Stage.PRODUCTION}
    completed = [
        e for e in service.history(NAME) if e.kind is EventKind.TRANSITION_COMPLETED
    ]
    assert completed[-1].details["checklist"]["version"] == "1.0.0"
    runs = [e for e in service.history(NAME) if e.kind is EventKind.CHECKLIST_RUN]
    assert [run.details["passed"] for run in runs] == [False, True]


def test_regression_blocks_then_override(backend: Backend, tmp_path: Path) -> None:
    policy = PolicyLayers(agency={"checklist": {"metrics": {"auc": {"tolerance": 0}}}})
    service = _service(backend, policies=policy)
    _register(service, tmp_path, b"w1", metrics={"auc": 0.92})
    _register(service, tmp_path, b"w2", metrics={"auc": 0.90})
    for version in ("1.0.0", "1.1.0"):
        _record_all(service, version)
        service.promote(NAME, version, "staging")
    service.promote(NAME, "1.0.0", "production")

    with pytest.raises(RefusedError, match=r"auc = 0\.9, production 0\.92"):
        service.promote(NAME, "1.1.0", "production")
    with pytest.raises(InvalidInputError, match="override needs a reason"):
        service.promote(NAME, "1.1.0", "production", override=True)
    lead = _as(service, Role.OPERATIONS_LEAD)
    with pytest.raises(AccessDeniedError, match="needs agency-admin"):
        lead.promote(NAME, "1.1.0", "production", "hotfix", override=True)
    assert _stages(service) == {"1.0.0": Stage.PRODUCTION, "1.1.0": Stage.STAGING}

    service.promote(NAME, "1.1.0", "production", "client deadline", override=True)

    assert _stages(service) == {"1.0.0": Stage.ARCHIVED, "1.1.0": Stage.PRODUCTION}
    promotion = service.history(NAME)[-1]
    assert promotion.details["override"]["reason"] == "client deadline"
    assert promotion.details["override"]["role"] == "agency-admin"
    assert promotion.details["override"]["failed"] == ["metric auc against production"]


def test_override_role_comes_from_policy(backend: Backend, tmp_path: Path) -> None:
    policy = PolicyLayers(agency={"checklist": {"override_roles": ["operations-lead"]}})
    service = _service(backend, Role.OPERATIONS_LEAD, policies=policy)
    _register(service, tmp_path, b"w1")
    service.promote(NAME, "1.0.0", "staging")

    service.promote(NAME, "1.0.0", "production", "checks run by hand", override=True)

    assert _stages(service) == {"1.0.0": Stage.PRODUCTION}


def test_gates_move_version_to_staging(
    backend: Backend, tmp_path: Path, webhook: WebhookServer
) -> None:
    gates = {"staging_gates": {"metrics": {"auc": {"threshold": 0.9}}}}
    notifier = Notifier(
        [WebhookTarget(webhook.url, frozenset({"registered", "promoted"}))]
    )
    service = _service(
        backend,
        Role.DATA_SCIENTIST,
        policies=PolicyLayers(agency=gates),
        notifier=notifier,
        client_owner="ana@agency.example",
    )

    passed = _register(service, tmp_path, b"w1", metrics={"auc": 0.93})
    failed = _register(service, tmp_path, b"w2", metrics={"auc": 0.80})
    notifier.close()

    assert passed.stage is Stage.STAGING
    assert failed.stage is Stage.DEVELOPMENT
    assert _stages(service) == {"1.0.0": Stage.STAGING, "1.1.0": Stage.DEVELOPMENT}
    automated = service.history(NAME)[2]
    assert automated.details == {"automated": True}
    assert "auc = 0.93, required >= 0.9" in automated.reason
    events = sorted((m["event"], m["version"]) for m in webhook.received)
    assert events == [
        ("promoted", "1.0.0"),
        ("registered", "1.0.0"),
        ("registered", "1.1.0"),
    ]
    assert {m["responsible"] for m in webhook.received} == {"ana@agency.example"}


@pytest.mark.parametrize(
    ("role", "operation", "needed"),
    [
        (Role.CLIENT_VIEWER, "register", "data-scientist"),
        (Role.DATA_SCIENTIST, "stage", "ml-engineer"),
        (Role.DATA_SCIENTIST, "record", "ml-engineer"),
        (Role.ML_ENGINEER, "production", "operations-lead"),
        (Role.ML_ENGINEER, "rollback", "operations-lead"),
        (Role.ML_ENGINEER, "repair", "operations-lead"),
        (None, "view", "client-viewer"),
    ],
)
def test_roles_refuse_actions(
    backend: Backend, tmp_path: Path, role: Role | None, operation: str, needed: str
) -> None:
    admin = _service(backend)
    _register(admin, tmp_path, b"w1")
    _register(admin, tmp_path, b"w2")
    for version in ("1.0.0", "1.1.0"):
        _record_all(admin, version)
        admin.promote(NAME, version, "staging")
        admin.promote(NAME, version, "production")
    before = _stages(admin)
    events_before = len(admin.history(NAME))
    limited = _as(admin, role)
    artifact = write_artifact(tmp_path / "w3", b"w3")

    operations = {
        "register": lambda: limited.register(
            NAME,
            str(artifact),
            artifact_format="pickle",
            bump="patch",
            capture_lineage=False,
        ),
        "stage": lambda: limited.promote(NAME, "1.1.0", "development"),
        "record": lambda: limited.record_check(NAME, "1.1.0", "fairness", True),
        "production": lambda: limited.promote(NAME, "1.0.0", "production"),
        "rollback": lambda: limited.rollback(NAME, "bad"),
        "repair": lambda: limited.repair(NAME),
        "view": lambda: limited.list_versions(NAME),
    }
    with pytest.raises(AccessDeniedError) as denied:
        operations[operation]()

    message = str(denied.value)
    assert repr(admin.actor) in message
    assert (f"role {role}" if role else "no role") in message
    assert f"needs {needed}" in message
    assert _stages(admin) == before
    assert len(admin.history(NAME)) == events_before


def test_webhook_retries_until_delivered(backend: Backend, tmp_path: Path) -> None:
    server = WebhookServer(fail_first=2)
    try:
        notifier = Notifier(
            [WebhookTarget(server.url, frozenset({"registered"}), attempts=3)]
        )
        service = _service(backend, notifier=notifier)

        _register(service, tmp_path, b"w1")
        deliveries = notifier.close()
    finally:
        server.stop()

    assert server.attempts == 3
    assert len(server.received) == 1
    assert deliveries[0].delivered
    assert deliveries[0].attempts == 3


def test_failing_webhook_never_fails_operation(
    backend: Backend, tmp_path: Path
) -> None:
    server = WebhookServer(fail_first=100, status=500, delay=0.3)
    try:
        notifier = Notifier(
            [WebhookTarget(server.url, frozenset({"registered"}), attempts=2)]
        )
        service = _service(backend, notifier=notifier)

        version = _register(service, tmp_path, b"w1")
        # Two attempts of 0.3 s each cannot have finished: the operation did not
        # wait for the delivery.
        pending_at_return = [not future.done() for future in notifier._pending]
        deliveries = notifier.close()
    finally:
        server.stop()

    assert version.stage is Stage.DEVELOPMENT
    assert pending_at_return == [True]
    assert server.attempts == 2
    assert not deliveries[0].delivered
    assert deliveries[0].error == "HTTP 500"


def test_client_error_is_not_retried(backend: Backend, tmp_path: Path) -> None:
    server = WebhookServer(fail_first=100, status=404)
    try:
        notifier = Notifier(
            [WebhookTarget(server.url, frozenset({"registered"}), attempts=3)]
        )
        _register(_service(backend, notifier=notifier), tmp_path, b"w1")
        deliveries = notifier.close()
    finally:
        server.stop()

    assert server.attempts == 1
    assert deliveries[0].error == "HTTP 404"


def test_audit_answers_production_at_time(backend: Backend, tmp_path: Path) -> None:
    service = _service(backend)
    moments = {}
    for index, content in enumerate([b"w1", b"w2"]):
        version = str(_register(service, tmp_path, content).version)
        _record_all(service, version)
        service.promote(NAME, version, "staging")
        service.promote(NAME, version, "production", f"release {index}")
        moments[version] = utc_now()
        time.sleep(0.01)
    service.rollback(NAME, "error rate 4%")
    after_rollback = utc_now()

    first = production_at(service, NAME, moments["1.0.0"])
    second = production_at(service, NAME, moments["1.1.0"])
    now = production_at(service, NAME, after_rollback)
    before = production_at(service, NAME, moments["1.0.0"] - timedelta(hours=1))

    assert str(first.version.version) == "1.0.0"
    assert first.reason == "release 0"
    assert first.moved_by == service.actor
    assert first.checklist["production_version"] is None
    assert first.version.record.code.commit == full_record_fields()["code"]["commit"]
    assert first.version.record.data.dataset_version == "dvc:4f2a9c"
    assert str(second.version.version) == "1.1.0"
    assert second.checklist["production_version"] == "1.0.0"
    assert str(now.version.version) == "1.0.0"
    assert now.reason == "error rate 4%"
    assert before.version is None

    since = audit_events(service, NAME, moments["1.1.0"])
    kinds = [event.kind for event in since]
    assert kinds == [
        EventKind.TRANSITION_COMPLETED,
        EventKind.ROLLBACK,
    ]
    assert all(kind is not EventKind.TRANSITION_STARTED for kind in kinds)
