"""The installed ``unireg`` script as a subprocess: exit codes and output."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.cli.helpers import run_process

NAME = "acme_retail_churn_v1"


def test_full_story_as_subprocess(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path / "repo")], check=True)
    repo = tmp_path / "repo"
    (repo / "train.py").write_text("print('train')\n")
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True)
    subprocess.run(
        [
            "git",
            "-C",
            str(repo),
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "commit",
            "-qm",
            "train",
        ],
        check=True,
    )
    model = repo / "model.pkl"
    model.write_bytes(b"weights")

    registered = run_process(
        "register",
        "-c",
        "acme",
        NAME,
        "model.pkl",
        "--format",
        "pickle",
        "--version",
        "1.0.0",
        "--json",
        cwd=repo,
    )
    assert registered.code == 0, registered.err
    record = json.loads(registered.out)["record"]
    assert len(record["code"]["commit"]) == 40
    assert record["code"]["dirty"] is False
    assert "click" in record["dependencies"]["packages"]

    promoted = run_process(
        "promote", "-c", "acme", NAME, "1.0.0", "--to", "staging", cwd=repo
    )
    assert promoted.code == 0
    assert promoted.out == f"{NAME} 1.0.0: development -> staging\n"

    refused = run_process("rollback", "-c", "acme", NAME, "--reason", "bad", cwd=repo)
    assert refused.code == 1
    assert refused.err == f"error: {NAME} has no production version to roll back\n"

    bad = run_process(
        "register",
        "-c",
        "acme",
        "acme_x",
        "model.pkl",
        "--format",
        "pickle",
        "--version",
        "1.0.0",
        cwd=repo,
    )
    assert bad.code == 2
    assert bad.err.startswith("error: model name 'acme_x' has 2 segments")

    usage = run_process("promote", "-c", "acme", NAME, cwd=repo)
    assert usage.code == 2
    assert "Missing argument" in usage.err


def test_help_is_fast_to_import() -> None:
    """``unireg --help`` must not import pydantic models, YAML or the API."""
    result = subprocess.run(
        [
            str(Path(run_process.__globals__["UNIREG"]).parent / "python"),
            "-X",
            "importtime",
            "-c",
            "import unireg.cli.main",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines()}
    assert "yaml" not in imported
    assert "unireg.api" not in imported
    assert "sqlite3" not in imported
    assert not {
        name for name in imported if name.startswith(("boto", "google", "azure"))
    }
