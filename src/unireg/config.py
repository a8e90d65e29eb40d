"""The agency's configuration: one YAML file listing the clients and their backends.

Looked up in this order: ``--config``, ``$UNIREG_CONFIG``, ``./unireg.yaml``,
``$XDG_CONFIG_HOME/unireg/config.yaml``. With none found, every client uses the
embedded registry under ``$UNIREG_HOME``.

    clients:
      acme:
        backend: sagemaker        # an installed backend; "local" by default
        name_prefix: acme         # the {client} segment of its model names
        settings: {...}           # passed to the backend, which validates them
        owner: ana@agency.example # notified of automated staging
        roles: {"arn:aws:iam::123456789012:user/ana": operations-lead}
        policy: {...}             # overrides of the agency policy
        models:
          acme_retail_churn_v1: {owner: ..., policy: {...}}
        webhooks:
          - {url: https://hooks.example/registry, events: [promoted, rolled-back]}

    roles: {...}                  # agency-wide roles, e.g. agency admins
    policy: {...}                 # overrides of the shipped default policy
"""

from __future__ import annotations

import os
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from unireg.domain.roles import Role
from unireg.errors import InvalidInputError

CLIENT_PATTERN = r"^[a-z][a-z0-9]{0,31}$"
ClientId = Annotated[str, StringConstraints(pattern=CLIENT_PATTERN)]


class NotificationEvent(StrEnum):
    REGISTERED = "registered"
    PROMOTED = "promoted"
    ROLLED_BACK = "rolled-back"
    CHECKLIST_FAILED = "checklist-failed"


class Webhook(BaseModel):
    """A URL that receives a JSON POST for each of the listed events."""

    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl
    events: list[NotificationEvent] = Field(
        default_factory=lambda: list(NotificationEvent)
    )
    timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    attempts: int = Field(default=3, ge=1, le=10)


class ModelConfig(BaseModel):
    """Settings of one model: its responsible engineer and policy overrides."""

    model_config = ConfigDict(extra="forbid")

    owner: str | None = None
    policy: dict[str, Any] = Field(default_factory=dict)


class ClientConfig(BaseModel):
    """One client: the backend of its registry and the settings to reach it."""

    model_config = ConfigDict(extra="forbid")

    backend: str = "local"
    name_prefix: ClientId | None = None
    settings: dict[str, Any] = Field(default_factory=dict)
    owner: str | None = None
    roles: dict[str, Role] = Field(default_factory=dict)
    policy: dict[str, Any] = Field(default_factory=dict)
    models: dict[str, ModelConfig] = Field(default_factory=dict)
    webhooks: list[Webhook] = Field(default_factory=list)


class AgencyConfig(BaseModel):
    """The whole configuration file."""

    model_config = ConfigDict(extra="forbid")

    clients: dict[ClientId, ClientConfig] = Field(default_factory=dict)
    roles: dict[str, Role] = Field(default_factory=dict)
    policy: dict[str, Any] = Field(default_factory=dict)
    source: str = Field(default="(no configuration file)", exclude=True)

    @property
    def access_enforced(self) -> bool:
        """Whether roles are checked: only once the file assigns a role to someone."""
        return bool(self.roles) or any(client.roles for client in self.clients.values())

    def roles_for(self, client: str) -> dict[str, Role]:
        """Return every actor's role for ``client``; a client role wins over an
        agency role, except that an agency admin stays one everywhere."""
        roles = dict(self.roles)
        for actor, role in self.clients.get(client, ClientConfig()).roles.items():
            if roles.get(actor) is not Role.AGENCY_ADMIN:
                roles[actor] = role
        return roles

    @property
    def is_default(self) -> bool:
        return not self.clients

    def client(self, client: str) -> ClientConfig:
        """Return a client's configuration; with no file, any valid id is local."""
        if not re.fullmatch(CLIENT_PATTERN, client):
            raise InvalidInputError(
                f"client {client!r} is invalid: use a lowercase letter followed by "
                "up to 31 lowercase letters and digits"
            )
        if self.is_default:
            return ClientConfig()
        if client not in self.clients:
            known = ", ".join(sorted(self.clients))
            raise InvalidInputError(
                f"client {client!r} is not in {self.source}; configured clients: "
                f"{known}. Add it under 'clients:' or pick one of those"
            )
        return self.clients[client]


def find_config(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """Return the configuration file to use, or None for the default setup."""
    if explicit is not None:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise InvalidInputError(
                f"configuration file {str(path)!r} does not exist: check --config"
            )
        return path
    if env := os.environ.get("UNIREG_CONFIG"):
        path = Path(env).expanduser()
        if not path.is_file():
            raise InvalidInputError(
                f"configuration file {env!r} named by UNIREG_CONFIG does not exist"
            )
        return path
    candidates = [Path("unireg.yaml")]
    config_home = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    candidates.append(Path(config_home) / "unireg" / "config.yaml")
    return next((path for path in candidates if path.is_file()), None)


def load_config(explicit: str | os.PathLike[str] | None = None) -> AgencyConfig:
    """Read and validate the configuration; errors name the file, field and fix."""
    path = find_config(explicit)
    if path is None:
        return AgencyConfig()
    return parse_config(path.read_text(encoding="utf-8"), str(path))


def load_yaml(text: str, source: str) -> Any:
    """Parse YAML, reading ``1e-6`` as a number as JSON and YAML 1.2 do.

    PyYAML follows YAML 1.1, where a float needs a dot, so ``1e-06`` (as Python's
    json module writes small numbers) would otherwise load as a string. A syntax
    error becomes one line naming the source, line and column.
    """
    import yaml  # imported here: a command without a file never pays for it

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
        list("-+0123456789"),
    )
    try:
        return yaml.load(text, Loader=Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InvalidInputError(
            f"{source} is not valid YAML{where}: {exc.problem}"
        ) from exc
    except yaml.YAMLError as exc:
        raise InvalidInputError(f"{source} is not valid YAML: {exc}") from exc


def parse_config(text: str, source: str) -> AgencyConfig:
    data = load_yaml(text, source)
    if data is None:
        raise InvalidInputError(
            f"{source} is empty: list the agency's clients under 'clients:' (see "
            "config/unireg.example.yaml), or remove the file to use the embedded "
            "registry for every client"
        )
    if not isinstance(data, dict):
        raise InvalidInputError(
            f"{source} must be a mapping with a 'clients:' key, "
            f"not {type(data).__name__}"
        )
    try:
        config = AgencyConfig.model_validate(data)
    except ValidationError as exc:
        raise InvalidInputError(f"{source}: {_explain(exc)}") from exc
    return config.model_copy(update={"source": source})


def _explain(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        field = ".".join(str(item) for item in error["loc"])
        if error["type"] == "extra_forbidden":
            parts.append(f"unknown field {field!r}: remove it or check its spelling")
        elif error["type"] == "string_pattern_mismatch":
            parts.append(
                f"{field} = {error['input']!r} is invalid: use a lowercase letter "
                "followed by up to 31 lowercase letters and digits"
            )
        else:
            parts.append(f"{field}: {error['msg']} (got {error['input']!r})")
    return "; ".join(parts)
