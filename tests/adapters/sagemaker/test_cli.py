"""The unireg command, run as a subprocess against the emulator server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from unireg_adapters.sagemaker.emulator import RunningEmulator

NAME = "acme_retail_churn_v1"
UNIREG = str(Path(sys.executable).with_name("unireg"))

pytestmark = pytest.mark.slow


@pytest.fixture
def workdir(server: RunningEmulator, tmp_path: Path) -> Path:
    config = {
        "clients": {
            "acme": {
                "backend": "sagemaker",
                "settings": server.client_settings("acme"),
                # This test is about the registry, not the production checklist.
                "policy": {
                    "checklist": {"recorded_checks": [], "model_card_sections": []}
                },
            }
        }
    }
    (tmp_path / "unireg.yaml").write_text(yaml.safe_dump(config))
    for version in ("1.0.0", "1.1.0"):
        (tmp_path / f"model-{version}.pkl").write_bytes(f"weights {version}".encode())
    return tmp_path


def _run(
    server: RunningEmulator, workdir: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **server.env()}
    return subprocess.run(
        [UNIREG, *args],
        cwd=workdir,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _ok(server: RunningEmulator, workdir: Path, *args: str) -> str:
    result = _run(server, workdir, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _json(server: RunningEmulator, workdir: Path, *args: str) -> Any:
    return json.loads(_ok(server, workdir, *args, "--json"))


def test_lifecycle_through_cli(server: RunningEmulator, workdir: Path) -> None:
    for version in ("1.0.0", "1.1.0"):
        output = _ok(
            server,
            workdir,
            "register",
            "-c",
            "acme",
            NAME,
            f"model-{version}.pkl",
            "--format",
            "pickle",
            "--version",
            version,
            "--metric",
            "auc=0.91",
            "--tag",
            "team=retention",
            "--no-lineage",
        )
        assert f"registered {NAME} {version}" in output
    again = _ok(
        server,
        workdir,
        *("register", "-c", "acme", NAME, "model-1.0.0.pkl", "--format", "pickle"),
        *("--version", "1.0.0", "--no-lineage"),
    )
    assert "already registered" in again

    for version in ("1.0.0", "1.1.0"):
        for stage in ("staging", "production"):
            _ok(server, workdir, "promote", "-c", "acme", NAME, version, "--to", stage)
    _ok(server, workdir, "rollback", "-c", "acme", NAME, "--reason", "auc dropped")

    listed = _json(server, workdir, "list", "-c", "acme", NAME)
    stages = {item["version"]: item["stage"] for item in listed}
    assert stages == {"1.0.0": "production", "1.1.0": "development"}
    assert [item["native_id"] for item in listed] == ["1", "2"]
    production = _json(server, workdir, "show", "-c", "acme", NAME, "production")
    assert production["version"] == "1.0.0"
    assert production["record"]["metrics"] == {"auc": 0.91}
    assert production["record"]["artifact"]["uri"].startswith("s3://unireg-acme-")
    assert _ok(server, workdir, "list", "-c", "acme").split() == [NAME]
    history = _json(server, workdir, "history", "-c", "acme", NAME)
    kinds = [event["kind"] for event in history]
    assert kinds.count("registered") == 2
    assert kinds[-1] == "rollback"
    assert history[-1]["actor"].startswith("arn:aws:sts::")


def test_limit_violation_exits_2(server: RunningEmulator, workdir: Path) -> None:
    result = _run(
        server,
        workdir,
        *("register", "-c", "acme", NAME, "model-1.0.0.pkl", "--format", "pickle"),
        *("--version", "1.0.0", "--tag", "owner=a,b", "--no-lineage"),
    )

    assert result.returncode == 2
    assert "tags.owner" in result.stderr
    assert "','" in result.stderr
    assert _ok(server, workdir, "list", "-c", "acme").startswith("client acme has")


def test_missing_version_exits_1(server: RunningEmulator, workdir: Path) -> None:
    result = _run(server, workdir, "show", "-c", "acme", NAME, "9.9.9")

    assert result.returncode == 1
    assert "no version 9.9.9" in result.stderr


def test_emulate_command_serves() -> None:
    command = [UNIREG, "emulate", "sagemaker", "--port", "0", "--throttle-rate", "0.1"]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None
        line = process.stdout.readline()
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)

    assert line.startswith("listening on http://127.0.0.1:")
    assert output.strip() == "stopped"
    assert process.returncode == 0


def test_emulate_rejects_bad_rate() -> None:
    result = subprocess.run(
        [UNIREG, "emulate", "sagemaker", "--throttle-rate", "1.5"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 2
    assert "throttle_rate" in result.stderr


def test_throttled_server_still_serves(server: RunningEmulator, workdir: Path) -> None:
    _ok(
        server,
        workdir,
        *("register", "-c", "acme", NAME, "model-1.0.0.pkl", "--format", "pickle"),
        *("--version", "1.0.0", "--no-lineage"),
    )
    # Seed 31 throttles the first two requests and never more than three in a row.
    server.faults.update(throttle_rate=0.3, seed=31)

    listed = _json(server, workdir, "list", "-c", "acme", NAME)

    assert [item["version"] for item in listed] == ["1.0.0"]
    assert server.faults.injected.get("throttle", 0) > 0
