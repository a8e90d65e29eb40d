"""Output shared by the ``unireg emulate`` commands: a client's configuration."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import Any


def client_block(cloud: str, running: Any, clients: Sequence[str]) -> str:
    """Return YAML to paste under unireg.yaml for ``clients`` on a running emulator.

    Creates each client's account, bucket or workspace on the emulator. The
    environment the unireg process needs comes first, as comments, so the block
    stays valid YAML.
    """
    import yaml

    block = {
        "clients": {
            client: {"backend": cloud, "settings": running.client_settings(client)}
            for client in clients
        }
    }
    env = running.env()
    lines = []
    if env:
        lines.append("# Set in the shell that runs unireg:")
        lines += [
            f"# export {key}={shlex.quote(value)}" for key, value in sorted(env.items())
        ]
    lines.append(yaml.safe_dump(block, sort_keys=False).rstrip())
    return "\n".join(lines)
