"""The service layer: use cases over a backend."""

from .registry import PendingOperation, Registration, RegistryService, Transition

__all__ = ["PendingOperation", "Registration", "RegistryService", "Transition"]
