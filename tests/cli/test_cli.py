"""The CLI in-process: output, exit codes and error lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import run

NAME = "acme_retail_churn_v1"


@pytest.fixture(autouse=True)
def _no_recorded_checks(tmp_path: Path) -> None:
    """Let these tests promote without recording checks; the checklist is tested
    on its own."""
    (tmp_path / "unireg.yaml").write_text(
        "policy:\n  checklist: {recorded_checks: [], model_card_sections: []}\n"
    )


@pytest.fixture
def artifacts(tmp_path: Path) -> dict[str, Path]:
    paths = {}
    for version, content in [("1", b"weights one"), ("2", b"weights two")]:
        path = tmp_path / f"model{version}.pkl"
        path.write_bytes(content)
        paths[version] = path
    return paths


def _register(capsys, path: Path, *extra: str):
    return run(
        capsys,
        "register",
        "-c",
        "acme",
        NAME,
        str(path),
        "--format",
        "pickle",
        "--no-lineage",
        *extra,
    )


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["register"],
        ["list"],
        ["show"],
        ["promote"],
        ["rollback"],
        ["history"],
        ["repair"],
        ["demo"],
        ["emulate"],
        ["check"],
        ["record-check"],
        ["compare"],
        ["audit"],
        ["report"],
    ],
)
def test_help_exits_zero(capsys, command: list[str]) -> None:
    result = run(capsys, *command, "--help")

    assert result.code == 0
    assert "Usage: unireg" in result.out


def test_lifecycle_prints_each_step(capsys, artifacts) -> None:
    first = _register(
        capsys, artifacts["1"], "--version", "1.0.0", "--metric", "auc=0.91"
    )
    second = _register(capsys, artifacts["2"], "--bump", "minor", "--param", "C=0.5")

    assert first.code == 0
    assert first.out == f"registered {NAME} 1.0.0 (native id 1) in development\n"
    assert second.out == f"registered {NAME} 1.1.0 (native id 2) in development\n"

    for version in ("1.0.0", "1.1.0"):
        assert (
            run(capsys, "promote", "-c", "acme", NAME, version, "--to", "staging").code
            == 0
        )
        assert (
            run(
                capsys, "promote", "-c", "acme", NAME, version, "--to", "production"
            ).code
            == 0
        )

    rollback = run(capsys, "rollback", "-c", "acme", NAME, "--reason", "error rate 3%")
    assert rollback.code == 0
    assert rollback.out.startswith(
        f"rolled back {NAME}: 1.0.0 is in production, 1.1.0 in development\nincident "
    )

    listed = run(capsys, "list", "-c", "acme", NAME)
    lines = listed.out.splitlines()
    assert lines[0].split() == [
        "VERSION",
        "STAGE",
        "NATIVE",
        "ID",
        "CREATED",
        "UPDATED",
    ]
    assert lines[1].split()[:3] == ["1.0.0", "production", "1"]
    assert lines[2].split()[:3] == ["1.1.0", "development", "2"]
    assert lines[1].endswith("Z")

    shown = run(capsys, "show", "-c", "acme", NAME)
    assert "version:   1.0.0 (native id 1)" in shown.out
    assert "metrics:   auc=0.91" in shown.out

    history = run(capsys, "history", "-c", "acme", NAME)
    assert history.out.count("registered") == 2
    assert "error rate 3%" in history.out


def test_json_outputs_parse(capsys, artifacts) -> None:
    registered = _register(capsys, artifacts["1"], "--version", "1.0.0", "--json")
    data = json.loads(registered.out)
    assert data["version"] == "1.0.0"
    assert data["created"] is True
    assert data["created_at"].endswith("Z") or data["created_at"].endswith("+00:00")

    models = json.loads(run(capsys, "list", "-c", "acme", "--json").out)
    assert models == [NAME]
    versions = json.loads(run(capsys, "list", "-c", "acme", NAME, "--json").out)
    assert [v["stage"] for v in versions] == ["development"]
    shown = json.loads(run(capsys, "show", "-c", "acme", NAME, "1.0.0", "--json").out)
    assert shown["record"]["artifact"]["format"] == "pickle"
    history = json.loads(run(capsys, "history", "-c", "acme", NAME, "--json").out)
    assert [event["kind"] for event in history] == ["registered"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--version", "1.0"], "version '1.0' is not a semantic version"),
        (["--version", "1.0.0", "--metric", "auc=nan"], "metric 'auc' is nan"),
        (["--version", "1.0.0", "--metric", "auc=high"], "--metric auc='high'"),
        (["--version", "1.0.0", "--tag", "novalue"], "--tag 'novalue' is invalid"),
        (["--version", "1.0.0", "--bump", "minor"], "exactly one of a version"),
        ([], "exactly one of a version"),
    ],
)
def test_bad_input_exits_two_and_writes_nothing(
    capsys, artifacts, tmp_path, args, message
) -> None:
    result = _register(capsys, artifacts["1"], *args)

    assert result.code == 2
    assert message in result.err
    assert result.err.startswith("error: ")
    assert len(result.err.strip().splitlines()) == 1
    assert "Traceback" not in result.err
    assert run(capsys, "list", "-c", "acme", "--json").out.strip() == "[]"
    assert not (tmp_path / "home" / "clients" / "acme" / "objects" / "sha256").exists()


def test_bad_name_names_the_segment(capsys, artifacts) -> None:
    result = run(
        capsys,
        "register",
        "-c",
        "acme",
        "acme_Retail_churn_v1",
        str(artifacts["1"]),
        "--format",
        "pickle",
        "--version",
        "1.0.0",
    )

    assert result.code == 2
    assert "the domain segment 'Retail' is invalid" in result.err


def test_name_of_other_client_is_rejected(capsys, artifacts) -> None:
    result = run(
        capsys,
        "register",
        "-c",
        "acme",
        "globex_retail_churn_v1",
        str(artifacts["1"]),
        "--format",
        "pickle",
        "--version",
        "1.0.0",
    )

    assert result.code == 2
    assert "rename it to acme_retail_churn_v1" in result.err


def test_missing_artifact_exits_two(capsys) -> None:
    result = run(
        capsys,
        "register",
        "-c",
        "acme",
        NAME,
        "nowhere.pkl",
        "--format",
        "pickle",
        "--version",
        "1.0.0",
    )

    assert result.code == 2
    assert "artifact 'nowhere.pkl' is not a file" in result.err


def test_refused_transition_exits_one(capsys, artifacts) -> None:
    _register(capsys, artifacts["1"], "--version", "1.0.0")

    result = run(capsys, "promote", "-c", "acme", NAME, "1.0.0", "--to", "production")

    assert result.code == 1
    assert "cannot move to production" in result.err


def test_unknown_stage_is_usage_error(capsys) -> None:
    result = run(capsys, "promote", "-c", "acme", NAME, "1.0.0", "--to", "live")

    assert result.code == 2
    assert "'live' is not one of" in result.err


def test_unknown_version_exits_one(capsys) -> None:
    result = run(capsys, "show", "-c", "acme", NAME, "3.0.0")

    assert result.code == 1
    assert "has no version 3.0.0" in result.err


def test_debug_shows_traceback(capsys) -> None:
    result = run(capsys, "--debug", "show", "-c", "acme", NAME, "3.0.0")

    assert result.code == 1
    assert "Traceback" in result.err


def test_config_error_names_file_and_field(capsys, tmp_path) -> None:
    config = tmp_path / "agency.yaml"
    config.write_text("clients:\n  acme:\n    backend: local\n    setings: {}\n")

    result = run(capsys, "--config", str(config), "list", "-c", "acme")

    assert result.code == 2
    assert str(config) in result.err
    assert "unknown field 'clients.acme.setings'" in result.err


def test_unknown_client_lists_configured(capsys, tmp_path) -> None:
    config = tmp_path / "agency.yaml"
    config.write_text("clients:\n  acme: {}\n  globex: {}\n")

    result = run(capsys, "--config", str(config), "list", "-c", "initech")

    assert result.code == 2
    assert "configured clients: acme, globex" in result.err


def test_unknown_backend_is_named(capsys, tmp_path) -> None:
    config = tmp_path / "agency.yaml"
    config.write_text("clients:\n  acme:\n    backend: mlflow\n")

    result = run(capsys, "--config", str(config), "list", "-c", "acme")

    assert result.code == 2
    assert "backend 'mlflow' is not installed" in result.err


def test_local_settings_are_validated(capsys, tmp_path) -> None:
    config = tmp_path / "agency.yaml"
    config.write_text("clients:\n  acme:\n    settings: {bucket: x}\n")

    result = run(capsys, "--config", str(config), "list", "-c", "acme")

    assert result.code == 2
    assert "clients.acme.settings" in result.err
    assert "bucket" in result.err


def test_record_file_fills_record(capsys, artifacts, tmp_path) -> None:
    record = tmp_path / "record.yaml"
    record.write_text(
        "metrics: {auc: 0.9}\nmodel_card:\n  purpose: churn\n"
        "feature_schema:\n  - {name: tenure, dtype: int64, minimum: 0}\n"
    )

    result = _register(
        capsys,
        artifacts["1"],
        "--version",
        "1.0.0",
        "--record",
        str(record),
        "--metric",
        "f1=0.8",
    )

    assert result.code == 0
    shown = json.loads(run(capsys, "show", "-c", "acme", NAME, "1.0.0", "--json").out)
    assert shown["record"]["metrics"] == {"auc": 0.9, "f1": 0.8}
    assert shown["record"]["model_card"]["purpose"] == "churn"
    assert shown["record"]["feature_schema"][0]["name"] == "tenure"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("record.json", '{"metrics": {"loss": 1e-06, "auc": 9.1E-1}}'),
        ("record.yaml", "metrics: {loss: 1e-6, auc: 9.1E-1}\n"),
    ],
)
def test_record_reads_exponent_numbers(capsys, artifacts, tmp_path, name, text) -> None:
    record = tmp_path / name
    record.write_text(text)

    result = _register(
        capsys, artifacts["1"], "--version", "1.0.0", "--record", str(record)
    )

    assert result.code == 0, result.err
    shown = json.loads(run(capsys, "show", "-c", "acme", NAME, "1.0.0", "--json").out)
    assert shown["record"]["metrics"] == {"loss": 1e-06, "auc": 0.91}


def test_broken_yaml_is_one_line(capsys, tmp_path) -> None:
    config = tmp_path / "agency.yaml"
    config.write_text("clients: [\n")

    result = run(capsys, "--config", str(config), "list", "-c", "acme")

    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1
    assert "is not valid YAML at line 2, column 1" in result.err


def test_empty_config_is_rejected(capsys, tmp_path) -> None:
    config = tmp_path / "agency.yaml"
    config.write_text("")

    result = run(capsys, "--config", str(config), "list", "-c", "acme")

    assert result.code == 2
    assert "is empty" in result.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--version", "1.0.0", "--sha256", "zz"], "--sha256 'zz' is not a SHA-256"),
        (["--version", "99999999999.0.0"], "more than 9 digits"),
    ],
)
def test_bad_digest_and_huge_version(capsys, artifacts, args, message) -> None:
    result = _register(capsys, artifacts["1"], *args)

    assert result.code == 2
    assert message in result.err


def test_show_names_stages_for_bad_selector(capsys, artifacts) -> None:
    _register(capsys, artifacts["1"], "--version", "1.0.0")

    result = run(capsys, "show", "-c", "acme", NAME, "nonsense")

    assert result.code == 2
    assert "neither a version such as 1.4.0 nor a stage" in result.err


def test_repeat_with_other_record_warns(capsys, artifacts) -> None:
    _register(capsys, artifacts["1"], "--version", "1.0.0", "--metric", "auc=0.9")

    again = _register(
        capsys, artifacts["1"], "--version", "1.0.0", "--metric", "auc=0.5"
    )

    assert again.code == 0
    assert again.out.startswith("already registered")
    assert "the given metrics differ from it" in again.err
    shown = json.loads(run(capsys, "show", "-c", "acme", NAME, "1.0.0", "--json").out)
    assert shown["record"]["metrics"] == {"auc": 0.9}


def test_unknown_model_is_not_found(capsys) -> None:
    listed = run(capsys, "list", "-c", "acme", NAME)
    history = run(capsys, "history", "-c", "acme", NAME)

    assert listed.code == 1
    assert f"client acme has no model {NAME}" in listed.err
    assert history.code == 1


def test_repeat_without_record_does_not_warn(capsys, artifacts) -> None:
    _register(capsys, artifacts["1"], "--version", "1.0.0", "--metric", "auc=0.9")

    again = _register(capsys, artifacts["1"], "--version", "1.0.0")

    assert again.code == 0
    assert again.err == ""
