"""A fresh SageMaker backend on the in-process emulator, for the contract suite."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from unireg_adapters.sagemaker.backend import SageMakerBackend
from unireg_adapters.sagemaker.emulator import in_process

from unireg.port import Backend


@contextmanager
def sagemaker_backend(tmp_path: Path) -> Iterator[Backend]:
    with in_process() as provision:
        backend = SageMakerBackend.from_settings(
            "acme", provision("acme"), source="test"
        )
        try:
            yield backend
        finally:
            backend.close()


FACTORY = sagemaker_backend
