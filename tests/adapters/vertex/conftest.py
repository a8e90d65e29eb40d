from __future__ import annotations

from collections.abc import Iterator

import pytest
from unireg_adapters.vertex.backend import VertexBackend
from unireg_adapters.vertex.emulator import RunningEmulator, serve

from tests.adapters.vertex.factory import build, emulator_env


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    running = serve()
    try:
        with emulator_env(running):
            yield running
    finally:
        running.stop()


@pytest.fixture
def vertex(emulator: RunningEmulator) -> Iterator[VertexBackend]:
    backend = build(emulator)
    yield backend
    backend.close()
