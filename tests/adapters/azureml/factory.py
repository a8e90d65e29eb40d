"""Fresh Azure ML backends on a fresh in-process emulator, for the contract suite."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from unireg_adapters.azureml.backend import AzureMLBackend
from unireg_adapters.azureml.emulator import EmulatorApp, in_process_transport
from unireg_adapters.azureml.identity import EmulatorCredential
from unireg_adapters.azureml.settings import AzureMLSettings

ACCOUNT_URL = "https://127.0.0.1:10000/acmestore"


def make_backend(
    app: EmulatorApp, client: str = "acme", **overrides: object
) -> AzureMLBackend:
    """Build a backend for ``client`` on ``app``, creating its workspace."""
    settings = app.add_client(client, ACCOUNT_URL.replace("acme", client))
    settings.update(endpoint="https://127.0.0.1:10000", retry_backoff_factor=0.01)
    settings.update(overrides)
    return AzureMLBackend(
        client,
        AzureMLSettings.model_validate(settings),
        credential=EmulatorCredential(),
        transport_factory=lambda: in_process_transport(app),
    )


@contextmanager
def FACTORY(tmp_path: Path) -> Iterator[AzureMLBackend]:
    backend = make_backend(EmulatorApp())
    try:
        yield backend
    finally:
        backend.close()
