"""The effective policy of a model: shipped defaults, then agency, client and model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from unireg.domain.checklist import ChecklistPolicy, GatePolicy
from unireg.domain.record import describe
from unireg.errors import InvalidInputError


class Policy(BaseModel):
    """The checklist before production and the gates into staging."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    checklist: ChecklistPolicy = ChecklistPolicy()
    staging_gates: GatePolicy = GatePolicy()


def default_policy_document() -> dict[str, Any]:
    """Read the shipped default policy (``unireg/data/policy.default.yaml``)."""
    import yaml

    text = files("unireg").joinpath("data/policy.default.yaml").read_text("utf-8")
    document = yaml.safe_load(text)
    assert isinstance(document, dict)
    return document


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge mappings key by key; any other value in ``override`` replaces."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


@dataclass(frozen=True)
class PolicyLayers:
    """The policy documents of one client, from the agency down to each model."""

    agency: Mapping[str, Any] = field(default_factory=dict)
    client: Mapping[str, Any] = field(default_factory=dict)
    models: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    source: str = "policy"

    def for_model(self, model: str) -> Policy:
        """Return the merged policy of ``model``, or raise naming the bad field."""
        document = merge(default_policy_document(), self.agency)
        document = merge(document, self.client)
        document = merge(document, self.models.get(model, {}))
        try:
            return Policy.model_validate(document)
        except ValidationError as exc:
            raise InvalidInputError(
                f"{self.source}: policy of {model} is invalid: {describe(exc)}"
            ) from exc
