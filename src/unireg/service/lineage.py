"""Lineage captured at registration: the git state and the installed packages."""

from __future__ import annotations

import platform
import subprocess
from importlib.metadata import distributions
from pathlib import Path
from typing import Any

_GIT_TIMEOUT_SECONDS = 10


def _git(workdir: Path, *args: str) -> str | None:
    try:
        result = subprocess.run(
            ["git", *args],
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def capture_code(workdir: Path) -> dict[str, Any]:
    """Return the commit, origin URL and dirty flag of the repository at ``workdir``.

    Returns an empty mapping outside a git repository or where git is missing.
    """
    commit = _git(workdir, "rev-parse", "HEAD")
    if not commit:
        return {}
    status = _git(workdir, "status", "--porcelain", "--untracked-files=no")
    return {
        "commit": commit,
        "repository": _git(workdir, "remote", "get-url", "origin"),
        "dirty": bool(status) if status is not None else None,
    }


def capture_dependencies() -> dict[str, Any]:
    """Return the Python version and every installed distribution's version."""
    packages = {
        dist.metadata["Name"].lower(): dist.version
        for dist in distributions()
        if dist.metadata["Name"]
    }
    return {
        "python": platform.python_version(),
        "packages": dict(sorted(packages.items())),
    }
