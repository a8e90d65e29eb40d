"""``unireg``: the command-line entry point.

Exit codes: 0 on success, 1 when an operation is refused or fails, 2 for usage or
input errors. A known error prints one line on stderr; ``--debug`` adds the traceback.
Commands import the API only when they run, so ``unireg --help`` stays fast.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from unireg.errors import InvalidInputError, UniregError

from . import governance, report
from .common import client_option, json_option, open_registry
from .output import emit_json, table, utc

_STAGES = ["development", "staging", "production", "archived", "deprecated"]


class _State:
    debug = False


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 88}
)
@click.option(
    "--config",
    type=click.Path(dir_okay=False),
    envvar="UNIREG_CONFIG",
    help="Agency configuration file (default: ./unireg.yaml, then "
    "~/.config/unireg/config.yaml; without one every client is local).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.version_option(package_name="unireg")
@click.pass_context
def cli(ctx: click.Context, config: str | None, debug: bool) -> None:
    """Manage every client's model registry, on each client's own cloud.

    \b
    Examples:
      unireg register -c acme acme_retail_churn_v1 model.onnx --format onnx --bump minor
      unireg promote -c acme acme_retail_churn_v1 1.1.0 --to staging
      unireg rollback -c acme acme_retail_churn_v1 --reason "error rate above 2%"
    """
    _State.debug = debug
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    ctx.obj = config


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key:
            raise InvalidInputError(f"{option} {value!r} is invalid: use KEY=VALUE")
        pairs[key] = text
    return pairs


def _number(option: str, key: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InvalidInputError(
            f"{option} {key}={text!r}: the value is not a number"
        ) from None


def _scalar(text: str) -> Any:
    """Read a --param value as JSON where it parses (3, 0.1, true), else as text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _read_record(path: str | None) -> dict[str, Any]:
    """Read a record file: JSON when it ends in .json, YAML otherwise."""
    if path is None:
        return {}
    from unireg.config import load_yaml

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInputError(f"cannot read record file {path!r}: {exc}") from exc
    if path.endswith(".json"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise InvalidInputError(
                f"record file {path!r} is not valid JSON: {exc}"
            ) from exc
    else:
        data = load_yaml(text, f"record file {path!r}")
    if not isinstance(data, dict):
        raise InvalidInputError(
            f"record file {path!r} must hold a JSON or YAML mapping of record fields"
        )
    return data


@cli.command()
@client_option
@click.argument("name")
@click.argument("artifact")
@click.option(
    "--format", "artifact_format", required=True, help="Artifact format, e.g. onnx."
)
@click.option("--version", "version", help="Semantic version to register, e.g. 1.2.0.")
@click.option(
    "--bump",
    type=click.Choice(["major", "minor", "patch"]),
    help="Derive the version from the highest existing one.",
)
@click.option(
    "--record",
    "record_file",
    type=click.Path(exists=True, dir_okay=False),
    help="JSON or YAML file with record fields (metrics, schemas, model card...).",
)
@click.option(
    "--metric", multiple=True, metavar="NAME=NUMBER", help="A metric; repeatable."
)
@click.option(
    "--param", multiple=True, metavar="NAME=VALUE", help="A hyperparameter; repeatable."
)
@click.option(
    "--tag", multiple=True, metavar="KEY=VALUE", help="A free tag; repeatable."
)
@click.option("--description", help="One-line description of the version.")
@click.option("--dataset-version", help="Version of the training data set.")
@click.option(
    "--sha256", help="Artifact digest; required for a URI the backend cannot read."
)
@click.option(
    "--no-lineage", is_flag=True, help="Do not capture git state and packages."
)
@json_option
@click.pass_context
def register(
    ctx: click.Context,
    client: str,
    name: str,
    artifact: str,
    artifact_format: str,
    version: str | None,
    bump: str | None,
    record_file: str | None,
    metric: tuple[str, ...],
    param: tuple[str, ...],
    tag: tuple[str, ...],
    description: str | None,
    dataset_version: str | None,
    sha256: str | None,
    no_lineage: bool,
    as_json: bool,
) -> None:
    """Register ARTIFACT as a new version of model NAME, in development.

    ARTIFACT is a local file (uploaded to the client's storage) or a URI already in it.
    """
    record = _read_record(record_file)
    metrics = {
        k: _number("--metric", k, v) for k, v in _pairs(metric, "--metric").items()
    }
    if metrics:
        record["metrics"] = {**record.get("metrics", {}), **metrics}
    if param:
        params = {k: _scalar(v) for k, v in _pairs(param, "--param").items()}
        record["hyperparameters"] = {**record.get("hyperparameters", {}), **params}
    if tag:
        record["tags"] = {**record.get("tags", {}), **_pairs(tag, "--tag")}
    if description is not None:
        record["description"] = description
    if dataset_version is not None:
        record["data"] = {**record.get("data", {}), "dataset_version": dataset_version}

    registry = open_registry(ctx, client)
    result = registry.service.register(
        name,
        artifact,
        artifact_format=artifact_format,
        version=version,
        bump=bump,
        record=record,
        sha256=sha256,
        capture_lineage=not no_lineage,
    )
    registered = result.version
    if as_json:
        emit_json({**registered.model_dump(mode="json"), "created": result.created})
        return
    verb = "registered" if result.created else "already registered"
    click.echo(
        f"{verb} {registered.name} {registered.version} "
        f"(native id {registered.native_id}) in {registered.stage}"
    )
    if result.ignored_fields:
        click.echo(
            f"warning: the stored record was kept; the given "
            f"{', '.join(result.ignored_fields)} differ from it. A version never "
            "changes: register a new version to change its record",
            err=True,
        )


@cli.command("list")
@client_option
@click.argument("name", required=False)
@json_option
@click.pass_context
def list_command(
    ctx: click.Context, client: str, name: str | None, as_json: bool
) -> None:
    """List the client's models, or the versions of model NAME."""
    registry = open_registry(ctx, client)
    if name is None:
        models = registry.models()
        if as_json:
            emit_json(models)
        elif models:
            click.echo("\n".join(models))
        else:
            click.echo(f"client {client} has no models yet")
        return

    versions = registry.versions(name)
    if as_json:
        emit_json([item.model_dump(mode="json") for item in versions])
        return
    table(
        ["VERSION", "STAGE", "NATIVE ID", "CREATED", "UPDATED"],
        [
            [str(v.version), v.stage, v.native_id, utc(v.created_at), utc(v.updated_at)]
            for v in versions
        ],
    )


@cli.command()
@client_option
@click.argument("name")
@click.argument("version", default="production")
@json_option
@click.pass_context
def show(
    ctx: click.Context, client: str, name: str, version: str, as_json: bool
) -> None:
    """Show VERSION of model NAME with its record (default: the production version).

    VERSION is a semantic version or a stage name.
    """
    shown = open_registry(ctx, client).show(name, version)
    if as_json:
        emit_json(shown.model_dump(mode="json"))
        return
    record = shown.record
    lines = [
        ("model", shown.name),
        ("version", f"{shown.version} (native id {shown.native_id})"),
        ("stage", str(shown.stage)),
        ("created", utc(shown.created_at)),
        ("artifact", f"{record.artifact.uri} ({record.artifact.format})"),
        ("sha256", record.artifact.sha256),
        (
            "commit",
            _code(record.code.commit, record.code.repository, record.code.dirty),
        ),
        (
            "data",
            record.data.dataset_version
            or record.data.snapshot_id
            or record.data.query
            or "-",
        ),
        (
            "metrics",
            ", ".join(f"{k}={v:g}" for k, v in sorted(record.metrics.items())) or "-",
        ),
        ("features", ", ".join(f.name for f in record.feature_schema) or "-"),
        ("purpose", record.model_card.purpose or "-"),
        ("manifest", f"{shown.manifest_uri} (sha256 {shown.manifest_digest})"),
    ]
    for label, value in lines:
        click.echo(f"{label + ':':<10} {value}")


def _code(commit: str | None, repository: str | None, dirty: bool | None) -> str:
    if commit is None:
        return "-"
    suffix = " (uncommitted changes)" if dirty else ""
    return f"{commit[:12]} {repository or ''}{suffix}".replace("  ", " ")


@cli.command()
@client_option
@click.argument("name")
@click.argument("version")
@click.option(
    "--to", "stage", required=True, type=click.Choice(_STAGES), help="Target stage."
)
@click.option("--reason", default="", help="Why, recorded in the history.")
@click.option(
    "--override",
    is_flag=True,
    help="Promote to production despite a failed checklist (needs a role allowed "
    "to override, and --reason).",
)
@click.pass_context
def promote(
    ctx: click.Context,
    client: str,
    name: str,
    version: str,
    stage: str,
    reason: str,
    override: bool,
) -> None:
    """Move VERSION of model NAME to another stage.

    Promoting to production runs the checklist (see `unireg check`) and archives the
    current production version in the same operation.
    """
    registry = open_registry(ctx, client)
    result = registry.promote(name, version, stage, reason, override=override)
    for change in result.changes:
        click.echo(f"{name} {change.version}: {change.from_stage} -> {change.to_stage}")


@cli.command()
@client_option
@click.argument("name")
@click.option(
    "--reason", required=True, help="What went wrong; recorded in the incident."
)
@click.pass_context
def rollback(ctx: click.Context, client: str, name: str, reason: str) -> None:
    """Restore the previous production version of model NAME.

    The most recently archived version returns to production, the current one goes
    to development for investigation, and an incident record is written.
    """
    result = open_registry(ctx, client).rollback(name, reason)
    demoted, restored = result.changes[0].version, result.changes[-1].version
    click.echo(
        f"rolled back {name}: {restored} is in production, {demoted} in development"
    )
    click.echo(f"incident {result.incident_id}")


@cli.command()
@client_option
@click.argument("name")
@json_option
@click.pass_context
def history(ctx: click.Context, client: str, name: str, as_json: bool) -> None:
    """Show every registration and stage change of model NAME, oldest first."""
    events = open_registry(ctx, client).history(name)
    if as_json:
        emit_json([event.model_dump(mode="json") for event in events])
        return
    closed = {
        event.operation_id
        for event in events
        if event.kind in ("transition-completed", "transition-abandoned")
    }
    rows = []
    for event in events:
        kind = str(event.kind)
        if event.kind == "transition-started":
            if event.operation_id in closed:
                continue
            kind = "transition-started (unfinished: run unireg repair)"
        what = governance.describe_versions(event)
        if event.incident_id and event.kind == "rollback":
            what = f"incident {event.incident_id}"
        reason = " ".join(event.reason.split())
        rows.append([utc(event.at), event.actor, kind, what, reason])
    table(["TIME", "ACTOR", "EVENT", "VERSIONS", "REASON"], rows)


@cli.command()
@client_option
@click.argument("name")
@click.pass_context
def repair(ctx: click.Context, client: str, name: str) -> None:
    """Finish the promotions and rollbacks of model NAME that were interrupted."""
    repaired = open_registry(ctx, client).repair(name)
    if not repaired:
        click.echo(f"{name}: nothing to repair")
    for operation in repaired:
        changes = "; ".join(
            f"{c.version} {c.from_stage}->{c.to_stage}" for c in operation.changes
        )
        if operation.abandoned:
            click.echo(
                f"abandoned operation {operation.operation_id} ({changes}): "
                f"{operation.abandoned}"
            )
        else:
            click.echo(f"finished operation {operation.operation_id}: {changes}")


@cli.command()
@click.option(
    "--home",
    type=click.Path(file_okay=False),
    help="Directory for the demo's files (default: a new temporary directory).",
)
@click.option(
    "--local-only",
    is_flag=True,
    help="Put every client on the embedded registry and start no emulator.",
)
def demo(home: str | None, local_only: bool) -> None:
    """Run four clients on SageMaker, Vertex AI, Azure ML (emulated on 127.0.0.1)
    and the embedded registry through the whole lifecycle with real models."""
    from unireg.demo.story import run_demo

    run_demo(Path(home) if home else None, echo=click.echo, clouds=not local_only)


class _EmulatorGroup(click.Group):
    """Lists and loads emulators from the ``unireg.emulators`` entry-point group."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from importlib.metadata import entry_points

        return sorted({point.name for point in entry_points(group="unireg.emulators")})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        from importlib.metadata import entry_points

        for point in entry_points(group="unireg.emulators", name=cmd_name):
            try:
                loaded = point.load()
            except ImportError as exc:
                return _unavailable(cmd_name, exc)
            # The entry point names the emulator's module, whose `command` is the CLI.
            command = getattr(loaded, "command", loaded)
            return command if isinstance(command, click.Command) else None
        return None


def _unavailable(name: str, exc: ImportError) -> click.Command:
    """Return a stand-in command that raises, naming the extra to install."""
    message = (
        f"the {name} emulator needs packages that are not installed ({exc.name}): "
        f"run pip install 'unireg[emulators,{name}]'"
    )

    def fail() -> None:
        raise InvalidInputError(message)

    return click.Command(
        name,
        callback=fail,
        short_help="(not installed)",
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    )


@cli.group(cls=_EmulatorGroup)
def emulate() -> None:
    """Run a local emulator of a cloud's model registry on 127.0.0.1."""


for _command in (
    report.report,
    governance.check,
    governance.record_check,
    governance.compare,
    governance.audit,
):
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and map errors to exit codes."""
    try:
        # Without standalone mode, click returns the code of ctx.exit() instead of
        # exiting.
        code = cli.main(args=argv, prog_name="unireg", standalone_mode=False)
        if isinstance(code, int) and code != 0:
            sys.exit(code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo(
            "interrupted: if a promotion or rollback was under way, `unireg history` "
            "shows it as unfinished and `unireg repair` finishes it",
            err=True,
        )
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except UniregError as exc:
        if _State.debug:
            traceback.print_exc()
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(exc.exit_code)
    sys.exit(0)
