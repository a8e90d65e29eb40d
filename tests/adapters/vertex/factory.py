"""A fresh Vertex AI backend for client acme, on a fresh in-process emulator."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from unireg_adapters.vertex.backend import VertexBackend
from unireg_adapters.vertex.emulator import RunningEmulator, serve

from unireg.port import Backend

# Fast retries, so that a test with injected faults stays short.
FAST = {"retry_initial_s": 0.01, "retry_deadline_s": 5.0, "operation_timeout_s": 10.0}


@contextmanager
def emulator_env(running: RunningEmulator) -> Iterator[None]:
    """Apply the emulator's environment (no proxy, no metadata server) for a test."""
    saved = {key: os.environ.get(key) for key in running.env()}
    os.environ.update(running.env())
    os.environ.pop("GOOGLE_APPLICATION_CREDENTIALS", None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def build(
    running: RunningEmulator, client: str = "acme", **extra: Any
) -> VertexBackend:
    settings = {**running.client_settings(client), **FAST, **extra}
    return VertexBackend.from_settings(client, settings, source="test")


@contextmanager
def vertex_backend(tmp_path: Path) -> Iterator[Backend]:
    running = serve()
    try:
        with emulator_env(running):
            backend = build(running)
            try:
                yield backend
            finally:
                backend.close()
    finally:
        running.stop()


FACTORY = vertex_backend
