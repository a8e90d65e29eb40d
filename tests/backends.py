"""Factories of fresh backends for the contract suite, one per backend.

Each factory is a context manager yielding a backend for a new, empty client named
``acme`` and cleaning up after it. A backend joins the contract suite by providing
``tests/adapters/<name>/factory.py`` with a ``FACTORY`` of this shape; the suite itself
does not change. A factory whose SDK is not installed is left out, which the test
session's header reports.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from unireg.local.backend import LocalBackend
from unireg.port import Backend

BackendFactory = Callable[[Path], AbstractContextManager[Backend]]


@contextmanager
def local_backend(tmp_path: Path) -> Iterator[Backend]:
    backend = LocalBackend.from_settings(
        "acme", {"path": str(tmp_path / "registry")}, source="test"
    )
    try:
        yield backend
    finally:
        backend.close()


def _discover() -> tuple[dict[str, BackendFactory], dict[str, str]]:
    factories: dict[str, BackendFactory] = {"local": local_backend}
    missing: dict[str, str] = {}
    adapters = Path(__file__).parent / "adapters"
    for module in pkgutil.iter_modules([str(adapters)]):
        try:
            loaded = importlib.import_module(f"tests.adapters.{module.name}.factory")
        except ModuleNotFoundError as exc:
            missing[module.name] = str(exc)
            continue
        factories[module.name] = loaded.FACTORY
    return factories, missing


FACTORIES, MISSING = _discover()
