"""unireg: one model registry for an agency's clients, on each client's own cloud.

``import unireg`` stays cheap: the API is imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from unireg.api import Registry

__all__ = ["Registry", "__version__", "open"]


def open(client: str, config: Any = None) -> Registry:
    """Open one client's registry; see ``unireg.api.Registry``."""
    from unireg.api import open_registry

    return open_registry(client, config)


def __getattr__(name: str) -> Any:
    if name == "Registry":
        from unireg.api import Registry

        return Registry
    raise AttributeError(f"module 'unireg' has no attribute {name!r}")
