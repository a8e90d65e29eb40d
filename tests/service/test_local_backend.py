"""Behaviour of the embedded registry beyond the contract."""

from __future__ import annotations

from pathlib import Path

import pytest

from unireg.errors import NotFoundError
from unireg.local.backend import LocalBackend
from unireg.service import RegistryService

NAME = "acme_retail_churn_v1"


def test_reads_of_empty_local_registry_create_nothing(tmp_path: Path) -> None:
    root = tmp_path / "never-created"
    backend = LocalBackend("acme", root)
    service = RegistryService(backend, "acme", "acme")

    assert service.list_models() == []
    with pytest.raises(NotFoundError, match="has no model acme_retail_churn_v1"):
        service.list_versions(NAME)
    with pytest.raises(NotFoundError, match="has no model"):
        service.history(NAME)
    assert not root.exists()
