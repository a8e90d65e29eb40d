from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from unireg.domain import Bump, SemVer, next_version
from unireg.errors import InvalidInputError

part = st.integers(min_value=0, max_value=999_999_999)
semver = st.builds(SemVer, part, part, part)


def test_parse_reads_three_parts() -> None:
    assert SemVer.parse("1.12.3") == SemVer(1, 12, 3)
    assert str(SemVer(1, 12, 3)) == "1.12.3"


@pytest.mark.parametrize(
    "text",
    ["1.0", "v1.0.0", "1.0.0-rc.1", "01.0.0", "1.0.0+build", "1..0", "", "1.0.0 "],
)
def test_parse_rejects_non_semver(text: str) -> None:
    with pytest.raises(InvalidInputError, match=r"MAJOR\.MINOR\.PATCH"):
        SemVer.parse(text)


def test_order_is_semantic_not_textual() -> None:
    versions = [SemVer.parse(v) for v in ["1.10.0", "1.9.0", "1.2.0", "2.0.0"]]

    assert [str(v) for v in sorted(versions)] == ["1.2.0", "1.9.0", "1.10.0", "2.0.0"]


@pytest.mark.parametrize(
    ("bump", "expected"),
    [(Bump.MAJOR, "2.0.0"), (Bump.MINOR, "1.5.0"), (Bump.PATCH, "1.4.3")],
)
def test_bump_raises_one_part(bump: Bump, expected: str) -> None:
    assert str(SemVer(1, 4, 2).bump(bump)) == expected


def test_next_version_starts_at_one() -> None:
    assert next_version([], Bump.MINOR) == SemVer(1, 0, 0)


def test_next_version_follows_highest() -> None:
    existing = [SemVer(1, 9, 0), SemVer(1, 10, 0), SemVer(1, 2, 5)]

    assert next_version(existing, Bump.PATCH) == SemVer(1, 10, 1)


@given(semver)
def test_text_form_round_trips(version: SemVer) -> None:
    assert SemVer.parse(str(version)) == version
    assert SemVer.from_label(version.label) == version
    assert "." not in version.label


@given(semver, semver)
def test_order_matches_tuples(a: SemVer, b: SemVer) -> None:
    assert (a < b) == ((a.major, a.minor, a.patch) < (b.major, b.minor, b.patch))


@given(st.lists(semver, min_size=1), st.sampled_from(list(Bump)))
def test_bump_exceeds_every_existing(existing: list[SemVer], bump: Bump) -> None:
    assert all(next_version(existing, bump) > version for version in existing)
