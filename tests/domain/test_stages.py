from __future__ import annotations

import pytest

from unireg.domain import TRANSITIONS, Stage, check_transition
from unireg.errors import RefusedError

ALLOWED = {
    ("development", "staging"),
    ("development", "deprecated"),
    ("staging", "production"),
    ("staging", "development"),
    ("staging", "deprecated"),
    ("production", "archived"),
    ("production", "development"),
    ("archived", "production"),
    ("archived", "deprecated"),
    ("deprecated", "archived"),
}


def test_table_covers_every_stage() -> None:
    assert set(TRANSITIONS) == set(Stage)


@pytest.mark.parametrize("source", list(Stage))
@pytest.mark.parametrize("target", list(Stage))
def test_transition_follows_table(source: Stage, target: Stage) -> None:
    if (source.value, target.value) in ALLOWED:
        check_transition("1.0.0", source, target)
        return
    with pytest.raises(RefusedError, match=f"cannot move to {target.value}"):
        check_transition("1.0.0", source, target)


def test_refusal_lists_allowed_targets() -> None:
    with pytest.raises(RefusedError, match="it can move to: deprecated, staging"):
        check_transition("1.0.0", Stage.DEVELOPMENT, Stage.PRODUCTION)
