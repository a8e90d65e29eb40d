"""The unireg CLI in a subprocess, on an Azure ML client served by the emulator."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from unireg_adapters.azureml.emulator import RunningEmulator, serve

NAME = "acme_retail_churn_v1"


@pytest.fixture(scope="module")
def emulator() -> Iterator[RunningEmulator]:
    running = serve(0)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def run(emulator: RunningEmulator, tmp_path: Path):
    config = tmp_path / "unireg.yaml"
    settings = emulator.client_settings("acme")
    config.write_text(
        yaml.safe_dump(
            {"clients": {"acme": {"backend": "azureml", "settings": settings}}}
        )
    )
    env = {**os.environ, **emulator.env(), "UNIREG_CONFIG": str(config)}
    # The subprocess imports the same packages as this test process.
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    unireg = str(Path(sys.executable).with_name("unireg"))

    def invoke(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [unireg, *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return invoke


def test_cli_walks_a_version(run, tmp_path: Path) -> None:
    (tmp_path / "m1.pkl").write_bytes(b"weights-1")
    (tmp_path / "m2.pkl").write_bytes(b"weights-2")

    for artifact, version in [("m1.pkl", "1.0.0"), ("m2.pkl", "1.1.0")]:
        registered = run(
            "register", "--client", "acme", NAME, str(tmp_path / artifact),
            "--format", "pickle", "--version", version, "--no-lineage",
        )  # fmt: skip
        assert registered.returncode == 0, registered.stderr

    listed = run("list", "--client", "acme", NAME)
    assert listed.returncode == 0, listed.stderr
    assert "1.0.0" in listed.stdout
    assert "1.1.0" in listed.stdout

    promoted = run("promote", "--client", "acme", NAME, "1.0.0", "--to", "staging")
    assert promoted.returncode == 0, promoted.stderr
    assert "development -> staging" in promoted.stdout

    shown = run("show", "--client", "acme", NAME, "1.0.0")
    assert shown.returncode == 0, shown.stderr
    assert "staging" in shown.stdout

    for version in ["1.0.0", "1.1.0"]:
        if version == "1.1.0":
            staged = run(
                "promote", "--client", "acme", NAME, version, "--to", "staging"
            )
            assert staged.returncode == 0, staged.stderr
        production = run(
            "promote", "--client", "acme", NAME, version, "--to", "production",
            "--override", "--reason", "emulator test",
        )  # fmt: skip
        assert production.returncode == 0, production.stderr

    rolled = run("rollback", "--client", "acme", NAME, "--reason", "error rate up")
    assert rolled.returncode == 0, rolled.stderr
    listed = run("list", "--client", "acme", NAME)
    assert "production" in listed.stdout

    history = run("history", "--client", "acme", NAME)
    assert history.returncode == 0, history.stderr
    assert "registered" in history.stdout


def test_cli_limit_violation_exits_2(run, tmp_path: Path) -> None:
    (tmp_path / "m.pkl").write_bytes(b"weights")

    result = run(
        "register", "--client", "acme", NAME, str(tmp_path / "m.pkl"),
        "--format", "pickle", "--version", "1.0.0", "--no-lineage",
        "--tag", "team/unit=ml",
    )  # fmt: skip

    assert result.returncode == 2
    assert "Azure tag name" in result.stderr
