"""The unireg CLI as a subprocess, against `unireg emulate vertex` on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

UNIREG = str(Path(sys.executable).with_name("unireg"))
NAME = "acme_retail_churn_v1"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """Start the emulator command and return its URL."""
    with subprocess.Popen(
        [UNIREG, "emulate", "vertex", "--port", "0", "--bucket", "unireg-acme"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as process:
        try:
            line = process.stdout.readline() if process.stdout else ""
            match = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+)\n", line)
            assert match, f"unexpected first line {line!r}"
            yield match[1]
        finally:
            process.terminate()
            assert process.wait(timeout=10) == 0


def _config(tmp_path: Path, url: str, **extra: object) -> Path:
    # The server is shared by the module, so each test has its own project and
    # bucket prefix.
    unique = f"t{abs(hash(tmp_path)) % 10**8}"
    settings = {
        "project": f"acme-{unique}",
        "location": "us-central1",
        "bucket": "unireg-acme",
        "prefix": unique,
        "api_endpoint": url,
        "storage_endpoint": url,
        "anonymous_credentials": True,
        "retry_initial_s": 0.05,
        **extra,
    }
    path = tmp_path / "unireg.yaml"
    config = {"clients": {"acme": {"backend": "vertex", "settings": settings}}}
    path.write_text(yaml.safe_dump(config))
    return path


def _run(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "NO_PROXY": "127.0.0.1",
        "GCE_METADATA_HOST": "127.0.0.1:9",
        "GCE_METADATA_IP": "127.0.0.1:9",
    }
    return subprocess.run(
        [UNIREG, "--config", str(config), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def _register(config: Path, tmp_path: Path, content: bytes, version: str, *extra: str):
    artifact = tmp_path / f"model-{version}.pkl"
    artifact.write_bytes(content)
    return _run(
        config,
        "register",
        "-c",
        "acme",
        NAME,
        str(artifact),
        "--format",
        "pickle",
        "--version",
        version,
        "--no-lineage",
        *extra,
    )


def test_register_promote_rollback(server: str, tmp_path: Path) -> None:
    config = _config(tmp_path, server)

    first = _register(config, tmp_path, b"w1", "1.0.0", "--metric", "auc=0.91")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(f"registered {NAME} 1.0.0 (native id ")
    assert _register(config, tmp_path, b"w2", "1.1.0").returncode == 0
    again = _register(config, tmp_path, b"w1", "1.0.0")
    assert again.stdout.startswith(f"already registered {NAME} 1.0.0")

    for version in ("1.0.0", "1.1.0"):
        for stage in ("staging", "production"):
            # The production checklist is not under test here; no roles are
            # configured, so any actor may override it.
            extra = ["--override", "--reason", "cli test"] * (stage == "production")
            result = _run(
                config, "promote", "-c", "acme", NAME, version, "--to", stage, *extra
            )
            assert result.returncode == 0, result.stderr

    listed = _run(config, "list", "-c", "acme", NAME, "--json")
    stages = {row["version"]: row["stage"] for row in json.loads(listed.stdout)}
    assert stages == {"1.0.0": "archived", "1.1.0": "production"}

    shown = _run(config, "show", "-c", "acme", NAME)
    assert "version:   1.1.0" in shown.stdout

    rolled = _run(config, "rollback", "-c", "acme", NAME, "--reason", "auc dropped")
    assert rolled.returncode == 0, rolled.stderr
    assert "1.0.0 is in production, 1.1.0 in development" in rolled.stdout

    shown = _run(config, "show", "-c", "acme", NAME, "production", "--json")
    assert json.loads(shown.stdout)["version"] == "1.0.0"
    assert json.loads(shown.stdout)["record"]["metrics"] == {"auc": 0.91}

    models = _run(config, "list", "-c", "acme")
    assert models.stdout.strip() == NAME

    history = _run(config, "history", "-c", "acme", NAME, "--json")
    events = json.loads(history.stdout)
    assert [e["kind"] for e in events].count("rollback") == 1
    assert {e["actor"] for e in events} == {"anonymous@vertex-emulator.invalid"}


def test_label_limit_exits_2(server: str, tmp_path: Path) -> None:
    config = _config(tmp_path, server, label_tags=["team"])

    result = _register(config, tmp_path, b"w1", "1.0.0", "--tag", "team=Retention")

    assert result.returncode == 2
    assert "label" in result.stderr
    assert "team='Retention'" in result.stderr
    listed = _run(config, "list", "-c", "acme", NAME, "--json")
    assert listed.returncode == 1
    assert f"client acme has no model {NAME}" in listed.stderr


def test_bad_settings_exit_2(server: str, tmp_path: Path) -> None:
    config = _config(tmp_path, "http://10.1.2.3:80")

    result = _run(config, "list", "-c", "acme")

    assert result.returncode == 2
    assert "anonymous_credentials is allowed only with an emulator" in result.stderr


def test_emulator_serves_principal(server: str) -> None:
    with urllib.request.urlopen(f"{server}/unireg-emulator/v1/principal") as response:
        assert json.loads(response.read()) == {
            "principal": "anonymous@vertex-emulator.invalid"
        }
