from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from unireg.cli.main import main

UNIREG = str(Path(sys.executable).parent / "unireg")


@dataclass
class Result:
    code: int
    out: str
    err: str


def run(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    """Run the CLI in-process and capture its exit code and output."""
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    captured = capsys.readouterr()
    code = exit_info.value.code
    return Result(code if isinstance(code, int) else 1, captured.out, captured.err)


def run_process(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> Result:
    """Run the installed ``unireg`` script as a subprocess."""
    completed = subprocess.run(
        [UNIREG, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=120,
        check=False,
    )
    return Result(completed.returncode, completed.stdout, completed.stderr)
