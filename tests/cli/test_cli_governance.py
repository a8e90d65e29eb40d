"""check, record-check, compare, audit and promote --override from the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import run
from tests.records import full_record_fields

NAME = "acme_retail_churn_v1"


@pytest.fixture
def registered(capsys, tmp_path: Path) -> None:
    for index, auc in enumerate([0.92, 0.90]):
        record = tmp_path / f"record{index}.json"
        fields = full_record_fields()
        fields["metrics"] = {"auc": auc}
        record.write_text(json.dumps(fields))
        artifact = tmp_path / f"model{index}.pkl"
        artifact.write_bytes(f"weights {index}".encode())
        result = run(
            capsys,
            "register",
            "-c",
            "acme",
            NAME,
            str(artifact),
            "--format",
            "pickle",
            "--bump",
            "minor",
            "--record",
            str(record),
            "--no-lineage",
        )
        assert result.code == 0, result.err
    (tmp_path / "unireg.yaml").write_text(
        "policy:\n  checklist:\n    metrics:\n      auc: {tolerance: 0.0}\n"
    )


def _record_checks(capsys, version: str) -> None:
    for check in ("integration-tests", "fairness", "rollback-procedure"):
        result = run(
            capsys,
            "record-check",
            "-c",
            "acme",
            NAME,
            version,
            check,
            "--passed",
            "--evidence",
            f"https://ci.example/{check}",
        )
        assert result.code == 0
        assert result.out == f"recorded {check} passed for {NAME} {version}\n"


def test_check_fails_then_passes(capsys, registered) -> None:
    failing = run(capsys, "check", "-c", "acme", NAME, "1.0.0")

    assert failing.code == 1
    rows = [line.split(None, 1) for line in failing.out.splitlines()[2:-1]]
    assert ["FAILED", "integration-tests recorded"] in [
        [status, rest.split("  ")[0]] for status, rest in rows
    ]
    assert failing.out.rstrip().endswith("checklist failed (3)")

    _record_checks(capsys, "1.0.0")
    passing = run(capsys, "check", "-c", "acme", NAME, "1.0.0", "--json")

    assert passing.code == 0
    data = json.loads(passing.out)
    assert data["passed"] is True
    assert data["production_version"] is None


def test_promote_refusal_lists_failures(capsys, registered) -> None:
    _record_checks(capsys, "1.0.0")
    _record_checks(capsys, "1.1.0")
    for version in ("1.0.0", "1.1.0"):
        run(capsys, "promote", "-c", "acme", NAME, version, "--to", "staging")
    assert (
        run(capsys, "promote", "-c", "acme", NAME, "1.0.0", "--to", "production").code
        == 0
    )

    refused = run(capsys, "promote", "-c", "acme", NAME, "1.1.0", "--to", "production")
    assert refused.code == 1
    assert "metric auc against production: auc = 0.9, production 0.92" in refused.err

    no_reason = run(
        capsys,
        "promote",
        "-c",
        "acme",
        NAME,
        "1.1.0",
        "--to",
        "production",
        "--override",
    )
    assert no_reason.code == 2

    overridden = run(
        capsys,
        "promote",
        "-c",
        "acme",
        NAME,
        "1.1.0",
        "--to",
        "production",
        "--override",
        "--reason",
        "client deadline",
    )
    assert overridden.code == 0

    audit = run(capsys, "audit", "-c", "acme", "--model", NAME)
    assert "overridden: metric auc against production" in audit.out
    assert "client deadline" in audit.out


def test_compare_shows_deltas(capsys, registered) -> None:
    result = run(capsys, "compare", "-c", "acme", NAME, "1.0.0", "1.1.0")

    assert result.code == 0
    auc = next(line for line in result.out.splitlines() if line.startswith("auc"))
    assert auc.split() == ["auc", "0.92", "0.9", "-0.02"]


def test_audit_at_time(capsys, registered) -> None:
    _record_checks(capsys, "1.0.0")
    run(capsys, "promote", "-c", "acme", NAME, "1.0.0", "--to", "staging")
    run(
        capsys,
        "promote",
        "-c",
        "acme",
        NAME,
        "1.0.0",
        "--to",
        "production",
        "--reason",
        "first release",
    )

    answer = run(
        capsys, "audit", "-c", "acme", "--model", NAME, "--at", "2999-01-01", "--json"
    )
    data = json.loads(answer.out)
    assert data["version"] == "1.0.0"
    assert data["reason"] == "first release"
    assert data["code"]["commit"] == full_record_fields()["code"]["commit"]
    assert data["data"]["dataset_version"] == "dvc:4f2a9c"

    before = run(
        capsys, "audit", "-c", "acme", "--model", NAME, "--at", "2000-01-01T00:00:00Z"
    )
    assert before.out.startswith(f"no version of {NAME} was in production")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", NAME, "--at", "2026-12-01T09:00"], "has no time zone"),
        (["--since", "yesterday"], "not an ISO 8601 time"),
        (["--at", "2026-12-01"], "--at needs --model"),
    ],
)
def test_audit_rejects_bad_times(capsys, args, message) -> None:
    result = run(capsys, "audit", "-c", "acme", *args)

    assert result.code == 2
    assert message in result.err


def test_roles_from_config_refuse(capsys, registered, tmp_path) -> None:
    (tmp_path / "unireg.yaml").write_text(
        "roles: {someone-else: agency-admin}\n"
        "clients:\n  acme:\n    roles: {" + _actor() + ": data-scientist}\n"
    )

    result = run(capsys, "promote", "-c", "acme", NAME, "1.0.0", "--to", "staging")

    assert result.code == 1
    assert f"actor '{_actor()}' has role data-scientist for client acme" in result.err
    assert "needs ml-engineer" in result.err


def _actor() -> str:
    import getpass

    return getpass.getuser()


@pytest.mark.parametrize("flags", [[], ["--passed", "--failed"]])
def test_record_check_needs_one_outcome(capsys, registered, flags) -> None:
    result = run(
        capsys, "record-check", "-c", "acme", NAME, "1.0.0", "fairness", *flags
    )

    assert result.code == 2
    assert "exactly one of --passed or --failed" in result.err


def test_record_check_failed_is_recorded(capsys, registered) -> None:
    result = run(
        capsys, "record-check", "-c", "acme", NAME, "1.0.0", "fairness", "--failed"
    )

    assert result.code == 0
    assert result.out == f"recorded fairness failed for {NAME} 1.0.0\n"
