from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.backends import FACTORIES
from unireg.port import Backend


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every test away from the user's registry and configuration."""
    monkeypatch.setenv("UNIREG_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("UNIREG_CONFIG", raising=False)
    monkeypatch.delenv("UNIREG_CLIENT", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(params=sorted(FACTORIES))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """A fresh, empty backend of each installed kind, for a client named acme."""
    with FACTORIES[request.param](tmp_path) as instance:
        yield instance


def pytest_report_header(config: pytest.Config) -> list[str]:
    from tests.backends import MISSING

    header = [f"contract suite backends: {', '.join(sorted(FACTORIES))}"]
    header += [f"backend {name} left out: {reason}" for name, reason in MISSING.items()]
    return header
