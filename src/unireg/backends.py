"""Find backends by name through the ``unireg.backends`` entry-point group.

A third party adds a backend by declaring, in its own package metadata::

    [project.entry-points."unireg.backends"]
    mycloud = "mypackage.registry:MyCloudBackend"

The class is imported only when a client on that backend is used, so a command for a
client on one cloud never pays for another cloud's SDK.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any

from unireg.errors import InvalidInputError
from unireg.port import Backend

GROUP = "unireg.backends"

# The extra of this distribution that installs each shipped backend's SDK.
_EXTRAS = {"sagemaker": "sagemaker", "vertex": "vertex", "azureml": "azureml"}


def available() -> list[str]:
    """Return the names of every installed backend."""
    return sorted({point.name for point in entry_points(group=GROUP)})


def load(kind: str) -> type[Backend]:
    """Import the backend class registered as ``kind``."""
    points = [point for point in entry_points(group=GROUP) if point.name == kind]
    if not points:
        raise InvalidInputError(
            f"backend {kind!r} is not installed; installed backends: "
            f"{', '.join(available()) or 'none'}"
        )
    try:
        backend = points[0].load()
    except ImportError as exc:
        extra = _EXTRAS.get(kind, kind)
        raise InvalidInputError(
            f"backend {kind!r} needs packages that are not installed ({exc.name}): "
            f"run pip install 'unireg[{extra}]'"
        ) from exc
    if not (isinstance(backend, type) and issubclass(backend, Backend)):
        raise InvalidInputError(
            f"entry point {points[0].value!r} for backend {kind!r} is not a "
            "unireg.port.Backend subclass"
        )
    return backend


def build(
    kind: str, client: str, settings: Mapping[str, Any], *, source: str
) -> Backend:
    """Build the backend of one client."""
    return load(kind).from_settings(client, settings, source=source)
