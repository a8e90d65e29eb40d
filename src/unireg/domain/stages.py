"""Stages of a version and the transitions allowed between them."""

from __future__ import annotations

from enum import StrEnum

from unireg.errors import RefusedError


class Stage(StrEnum):
    DEVELOPMENT = "development"
    STAGING = "staging"
    PRODUCTION = "production"
    ARCHIVED = "archived"
    DEPRECATED = "deprecated"


# The whole transition table. A version enters at development. Production is left
# for archived when a newer version replaces it, or for development when a rollback
# sends it back for investigation. Only an archived version returns to production
# (the rollback target). Deprecated versions wait for deletion and can be taken back
# to archived while the grace period lasts.
TRANSITIONS: dict[Stage, frozenset[Stage]] = {
    Stage.DEVELOPMENT: frozenset({Stage.STAGING, Stage.DEPRECATED}),
    Stage.STAGING: frozenset({Stage.PRODUCTION, Stage.DEVELOPMENT, Stage.DEPRECATED}),
    Stage.PRODUCTION: frozenset({Stage.ARCHIVED, Stage.DEVELOPMENT}),
    Stage.ARCHIVED: frozenset({Stage.PRODUCTION, Stage.DEPRECATED}),
    Stage.DEPRECATED: frozenset({Stage.ARCHIVED}),
}

INITIAL_STAGE = Stage.DEVELOPMENT


def check_transition(version: str, current: Stage, target: Stage) -> None:
    """Raise ``RefusedError`` unless ``current -> target`` is in the table."""
    if target in TRANSITIONS[current]:
        return
    allowed = ", ".join(sorted(TRANSITIONS[current])) or "none"
    raise RefusedError(
        f"version {version} is in the {current} stage; it cannot move to {target}. "
        f"From {current} it can move to: {allowed}"
    )
