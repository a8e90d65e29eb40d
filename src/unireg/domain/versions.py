"""Semantic versions of a model.

major: a new architecture or a breaking change to the input or output schema.
minor: retrained on new data, with new features or new hyperparameters.
patch: a configuration or dependency fix that leaves behaviour unchanged.

Only ``MAJOR.MINOR.PATCH`` is accepted. Pre-release and build suffixes are not, because
every cloud must hold the version in a label or tag and Vertex AI labels allow no '.'
or '+': the label form ``1-2-3`` stays reversible only without them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

from unireg.errors import InvalidInputError

_SEMVER = re.compile(r"(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})")
_TOO_LONG = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")
_LABEL = re.compile(r"(0|[1-9][0-9]{0,8})-(0|[1-9][0-9]{0,8})-(0|[1-9][0-9]{0,8})")


class Bump(StrEnum):
    """The part of the version that a new registration raises."""

    MAJOR = "major"
    MINOR = "minor"
    PATCH = "patch"


@dataclass(frozen=True, order=True)
class SemVer:
    """A ``MAJOR.MINOR.PATCH`` version; comparison is semantic, not textual."""

    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> SemVer:
        match = _SEMVER.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            if isinstance(text, str) and _TOO_LONG.fullmatch(text):
                raise InvalidInputError(
                    f"version {text!r} has a part of more than 9 digits; each part "
                    "must fit every cloud's labels and tags"
                )
            raise InvalidInputError(
                f"version {text!r} is not a semantic version: use MAJOR.MINOR.PATCH "
                "with no leading zeros, for example 1.4.0"
            )
        return cls(*(int(part) for part in match.groups()))

    @classmethod
    def from_label(cls, text: str) -> SemVer:
        """Parse the label form ``1-4-0`` used where '.' is not allowed."""
        match = _LABEL.fullmatch(text)
        if match is None:
            raise InvalidInputError(f"version label {text!r} is not MAJOR-MINOR-PATCH")
        return cls(*(int(part) for part in match.groups()))

    def bump(self, part: Bump) -> SemVer:
        if part is Bump.MAJOR:
            return SemVer(self.major + 1, 0, 0)
        if part is Bump.MINOR:
            return SemVer(self.major, self.minor + 1, 0)
        return SemVer(self.major, self.minor, self.patch + 1)

    @property
    def label(self) -> str:
        return f"{self.major}-{self.minor}-{self.patch}"

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        def validate(value: object) -> SemVer:
            if isinstance(value, SemVer):
                return value
            if isinstance(value, str):
                return cls.parse(value)
            raise InvalidInputError(f"version {value!r} must be a string like 1.4.0")

        return core_schema.no_info_plain_validator_function(
            validate, serialization=core_schema.to_string_ser_schema()
        )


FIRST_VERSION = SemVer(1, 0, 0)


def next_version(existing: Iterable[SemVer], part: Bump) -> SemVer:
    """Derive the next version from the highest existing one (1.0.0 for a new model)."""
    highest = max(existing, default=None)
    if highest is None:
        return FIRST_VERSION
    return highest.bump(part)
