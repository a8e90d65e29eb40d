"""CLI commands of the governance layer: check, record-check, compare, audit."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from unireg.errors import InvalidInputError

from .common import client_option, json_option, open_registry
from .output import emit_json, table, utc

if TYPE_CHECKING:
    from unireg.domain import Event
    from unireg.service.audit import ProductionAt

_CHECKS = ["integration-tests", "fairness", "rollback-procedure"]


def parse_time(text: str, option: str) -> datetime:
    """Read an ISO 8601 time with a zone (``2026-12-01T09:00Z``) or a UTC date."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(
            f"{option} {text!r} is not an ISO 8601 time: use for example "
            "2026-12-01T09:00:00Z or 2026-12-01"
        ) from None
    if moment.tzinfo is None:
        if len(text) == 10:
            return moment.replace(tzinfo=UTC)
        raise InvalidInputError(
            f"{option} {text!r} has no time zone: add Z for UTC or an offset "
            "such as +01:00"
        )
    return moment.astimezone(UTC)


@click.command()
@client_option
@click.argument("name")
@click.argument("version")
@json_option
@click.pass_context
def check(
    ctx: click.Context, client: str, name: str, version: str, as_json: bool
) -> None:
    """Run the pre-promotion checklist of VERSION; exit 1 if a check fails."""
    result = open_registry(ctx, client).check(name, version)
    if as_json:
        emit_json({**result.model_dump(mode="json"), "passed": result.passed})
    else:
        against = result.production_version or "no production version"
        click.echo(f"checklist of {result.model} {result.version} (against {against})")
        table(
            ["STATUS", "CHECK", "DETAIL"],
            [[c.status.upper(), c.name, c.detail] for c in result.checks],
        )
        verdict = "passed" if result.passed else f"failed ({len(result.failures)})"
        click.echo(f"checklist {verdict}")
    if not result.passed:
        ctx.exit(1)


@click.command("record-check")
@client_option
@click.argument("name")
@click.argument("version")
@click.argument("check_name", metavar="CHECK", type=click.Choice(_CHECKS))
@click.option("--passed", is_flag=True, help="The check passed.")
@click.option("--failed", is_flag=True, help="The check failed.")
@click.option("--evidence", default="", help="Link to the test run, report or runbook.")
@click.pass_context
def record_check(
    ctx: click.Context,
    client: str,
    name: str,
    version: str,
    check_name: str,
    passed: bool,
    failed: bool,
    evidence: str,
) -> None:
    """Record the outcome of a CHECK run outside unireg for VERSION of NAME.

    CHECK is integration-tests (with the serving infrastructure), fairness (bias
    checks) or rollback-procedure (documented and tested).
    """
    if passed == failed:
        raise InvalidInputError(
            "give exactly one of --passed or --failed as the check's outcome"
        )
    open_registry(ctx, client).record_check(name, version, check_name, passed, evidence)
    outcome = "passed" if passed else "failed"
    click.echo(f"recorded {check_name} {outcome} for {name} {version}")


@click.command()
@client_option
@click.argument("name")
@click.argument("first")
@click.argument("second")
@json_option
@click.pass_context
def compare(
    ctx: click.Context, client: str, name: str, first: str, second: str, as_json: bool
) -> None:
    """Compare the metrics and hyperparameters of two versions of NAME."""
    registry = open_registry(ctx, client)
    left, right = registry.show(name, first), registry.show(name, second)
    metrics = sorted({*left.record.metrics, *right.record.metrics})
    params = sorted({*left.record.hyperparameters, *right.record.hyperparameters})
    if as_json:
        emit_json(
            {
                "versions": [str(left.version), str(right.version)],
                "metrics": {
                    m: [left.record.metrics.get(m), right.record.metrics.get(m)]
                    for m in metrics
                },
                "hyperparameters": {
                    p: [
                        left.record.hyperparameters.get(p),
                        right.record.hyperparameters.get(p),
                    ]
                    for p in params
                },
            }
        )
        return
    rows = [["stage", str(left.stage), str(right.stage), ""]]
    for metric in metrics:
        a, b = left.record.metrics.get(metric), right.record.metrics.get(metric)
        delta = f"{b - a:+g}" if a is not None and b is not None else ""
        rows.append([metric, _cell(a), _cell(b), delta])
    for param in params:
        a, b = (
            left.record.hyperparameters.get(param),
            right.record.hyperparameters.get(param),
        )
        rows.append([param, json.dumps(a), json.dumps(b), "" if a == b else "changed"])
    table(["FIELD", str(left.version), str(right.version), "CHANGE"], rows)


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


@click.command()
@client_option
@click.option("--model", "name", help="Only this model.")
@click.option("--since", help="Only events at or after this time (ISO 8601, UTC).")
@click.option(
    "--at",
    "moment",
    help="Show which version served production at this time (needs --model).",
)
@json_option
@click.pass_context
def audit(
    ctx: click.Context,
    client: str,
    name: str | None,
    since: str | None,
    moment: str | None,
    as_json: bool,
) -> None:
    """Show the client's history, or the version in production at a given time."""
    registry = open_registry(ctx, client)
    if moment is not None:
        if name is None:
            raise InvalidInputError("--at needs --model NAME")
        _production_at(
            registry.production_at(name, parse_time(moment, "--at")), as_json
        )
        return

    events = registry.audit(name, parse_time(since, "--since") if since else None)
    if as_json:
        emit_json([event.model_dump(mode="json") for event in events])
        return
    table(
        ["TIME", "ACTOR", "MODEL", "EVENT", "VERSIONS", "CHECKLIST", "REASON"],
        [
            [
                utc(e.at),
                e.actor,
                e.model,
                e.kind,
                describe_versions(e),
                _checklist(e.details),
                e.reason,
            ]
            for e in events
        ],
    )


def describe_versions(event: Event) -> str:
    """Summarize the versions an event touched, and a check's outcome."""
    if event.changes:
        return "; ".join(
            f"{c.version} {c.from_stage}->{c.to_stage}" for c in event.changes
        )
    if event.kind == "check-recorded":
        outcome = "passed" if event.details.get("passed") else "failed"
        return f"{event.version} {event.details.get('check')} {outcome}"
    if event.kind == "checklist-run":
        verdict = "passed" if event.details.get("passed") else "failed"
        return f"{event.version} {verdict}"
    return str(event.version or "")


def _checklist(details: Mapping[str, Any]) -> str:
    checklist = details.get("checklist")
    if not checklist:
        return ""
    failed = [c["name"] for c in checklist["checks"] if c["status"] == "failed"]
    if not failed:
        return "passed"
    label = "overridden" if "override" in details else "failed"
    return f"{label}: {', '.join(failed)}"


def _production_at(answer: ProductionAt, as_json: bool) -> None:
    version = answer.version
    data = {
        "model": answer.model,
        "at": answer.at.isoformat(),
        "version": str(version.version) if version else None,
        "native_id": version.native_id if version else None,
        "since": answer.since.isoformat() if answer.since else None,
        "moved_by": answer.moved_by,
        "reason": answer.reason,
        "checklist": answer.checklist,
        "override": answer.override,
        "code": version.record.code.model_dump(mode="json") if version else None,
        "data": version.record.data.model_dump(mode="json") if version else None,
    }
    if as_json:
        emit_json(data)
        return
    if version is None:
        click.echo(
            f"no version of {answer.model} was in production at {utc(answer.at)}"
        )
        return
    code, dataset = version.record.code, version.record.data
    click.echo(
        f"{answer.model} at {utc(answer.at)}: {version.version} "
        f"(native id {version.native_id})"
    )
    assert answer.since is not None
    click.echo(f"in production since {utc(answer.since)}, moved by {answer.moved_by}")
    click.echo(f"reason: {answer.reason or '-'}")
    recorded = {"checklist": answer.checklist}
    if answer.override:
        recorded["override"] = answer.override
    click.echo(f"checklist: {_checklist(recorded) or 'not recorded'}")
    click.echo(f"code: {code.commit or '-'} {code.repository or ''}".rstrip())
    click.echo(
        "data: "
        + (", ".join(f"{k}={v}" for k, v in dataset.model_dump().items() if v) or "-")
    )
