"""Render a ``Report`` as a terminal table, JSON, Markdown or one HTML file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from html import escape

from .model import ClientReport, ModelRow, Report

_STAGES = ("development", "staging", "production", "archived", "deprecated")


def _utc(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%SZ") if moment else "-"


def _production(row: ModelRow) -> str:
    if row.production is None:
        return "-"
    return f"{row.production.version} (#{row.production.native_id})"


def _staging(row: ModelRow) -> str:
    return ", ".join(f"{c.version} [{c.checklist}]" for c in row.staging) or "-"


def _counts(row: ModelRow) -> str:
    return " ".join(
        f"{stage[:3]}={row.stage_counts[stage]}"
        for stage in _STAGES
        if row.stage_counts.get(stage)
    )


def _last(row: ModelRow) -> str:
    if row.unfinished_operations:
        return "UNFINISHED OPERATION: run unireg repair"
    if row.last_change is None:
        return "-"
    return f"{_utc(row.last_change.at)} {row.last_change.actor} {row.last_change.event}"


def _health(client: ClientReport) -> str:
    if client.health is None:
        return "-"
    health = client.health
    latency = f"{health.mean_latency_ms:.0f} ms" if health.mean_latency_ms else "-"
    return (
        f"{health.calls} calls, {latency} mean, {health.errors} errors, "
        f"{health.retries} retries"
    )


def rows(report: Report) -> Iterator[list[str]]:
    """Yield one row per model, or one per client that failed or has no model."""
    for client in report.clients:
        if client.status != "ok" or not client.models:
            note = client.error or "no models"
            yield [
                client.client,
                client.cloud,
                f"{client.status}: {note}",
                "",
                "",
                "",
                "",
                "",
                _health(client),
            ]
            continue
        for row in client.models:
            failed = "; ".join(
                f"{f.version}: {', '.join(f.failures)}" for f in row.failed_checklists
            )
            yield [
                client.client,
                client.cloud,
                row.model,
                _production(row),
                _utc(row.production.since) if row.production else "-",
                _staging(row),
                _counts(row),
                failed or "-",
                _last(row) + " | " + _health(client),
            ]


HEADERS = [
    "CLIENT",
    "CLOUD",
    "MODEL",
    "PRODUCTION",
    "SINCE",
    "STAGING [CHECKLIST]",
    "VERSIONS",
    "FAILED CHECKLIST",
    "LAST CHANGE | REGISTRY HEALTH",
]


def to_table(report: Report) -> str:
    body = list(rows(report))
    widths = [len(header) for header in HEADERS]
    for row in body:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in [HEADERS, *body]
    ]
    return "\n".join([*lines, "", _footer(report)])


def _footer(report: Report) -> str:
    failed = [c.client for c in report.clients if c.status != "ok"]
    state = f"partial: {', '.join(failed)} could not be read" if failed else "complete"
    unfinished = [
        f"{c.client}/{row.model}"
        for c in report.clients
        for row in c.models
        if row.unfinished_operations
    ]
    if unfinished:
        state += f"; unfinished operations on {', '.join(unfinished)} need repair"
    moment = _utc(report.generated_at)
    count = len(report.clients)
    clients = "client" if count == 1 else "clients"
    return f"report of {count} {clients} at {moment}: {state}"


def to_json(report: Report) -> str:
    document = report.model_dump(mode="json")
    document["partial"] = report.partial
    return json.dumps(document, indent=2, sort_keys=True)


def _markdown_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: Report) -> str:
    lines = [
        "# Model registry report",
        "",
        f"Generated {_utc(report.generated_at)}.",
        "",
        "| " + " | ".join(HEADERS) + " |",
        "|" + "---|" * len(HEADERS),
    ]
    lines += [
        "| " + " | ".join(_markdown_cell(cell) for cell in row) + " |"
        for row in rows(report)
    ]
    lines += ["", _footer(report)]
    return "\n".join(lines) + "\n"


_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1d2430}
table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}
th,td{border:1px solid #ccd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#eef1f6}
.failed,.timed-out{background:#fde8e8}
.chart{display:inline-block;margin:.5rem 1rem .5rem 0}
.chart text{font-size:10px}
.desc{color:#444;font-style:italic}
"""


def _chart(metric: str, points: list[tuple[str, float]]) -> str:
    """Return an inline SVG line chart of one metric across versions."""
    width, height, pad = 260, 120, 24
    values = [value for _, value in points]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = (width - 2 * pad) / max(len(points) - 1, 1)
    coords = [
        (pad + index * step, height - pad - (value - low) / span * (height - 2 * pad))
        for index, (_, value) in enumerate(points)
    ]
    polyline = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3"><title>{escape(version)}: '
        f"{value:g}</title></circle>"
        for (x, y), (version, value) in zip(coords, points, strict=True)
    )
    labels = "".join(
        f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle">'
        f"{escape(version)}</text>"
        for (x, _), (version, _) in zip(coords, points, strict=True)
    )
    return (
        f'<svg class="chart" role="img" width="{width}" height="{height}" '
        f'aria-label="{escape(metric)} across versions">'
        f'<text x="{pad}" y="14">{escape(metric)} ({low:.4g} to {high:.4g})</text>'
        f'<polyline fill="none" stroke="#2a6fdb" stroke-width="2" points="{polyline}"/>'
        f'<g fill="#2a6fdb">{dots}</g>{labels}</svg>'
    )


def _model_section(client: ClientReport, row: ModelRow) -> str:
    metrics = sorted({m for v in row.metrics_history for m in v.metrics})
    charts = []
    for metric in metrics:
        points = [
            (v.version, v.metrics[metric])
            for v in row.metrics_history
            if metric in v.metrics
        ]
        if points:
            charts.append(_chart(metric, points))
    return (
        f"<section><h3>{escape(client.client)} / {escape(row.model)}</h3>"
        f'<p class="desc">{escape(row.description)}</p>'
        f"{''.join(charts) or '<p>No metrics recorded.</p>'}</section>"
    )


def to_html(report: Report) -> str:
    """Return one self-contained page: no scripts, styles or images from elsewhere.

    Every value read from a registry is escaped, so a description containing markup
    is shown as text.
    """
    header = "".join(f"<th>{escape(h)}</th>" for h in HEADERS)
    body = []
    for client, row in zip(_row_clients(report), rows(report), strict=True):
        css = escape(client.status.value)
        cells = "".join(f"<td>{escape(cell)}</td>" for cell in row)
        body.append(f'<tr class="{css}">{cells}</tr>')
    sections = [
        _model_section(client, row)
        for client in report.clients
        for row in client.models
    ]
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>Model registry report</title>"
        f"<style>{_CSS}</style></head><body>"
        f"<h1>Model registry report</h1><p>{escape(_footer(report))}</p>"
        f"<table><thead><tr>{header}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        f"<h2>Metrics across versions</h2>{''.join(sections)}"
        "</body></html>\n"
    )


def _row_clients(report: Report) -> Iterator[ClientReport]:
    for client in report.clients:
        if client.status != "ok" or not client.models:
            yield client
            continue
        for _ in client.models:
            yield client


RENDERERS = {
    "table": to_table,
    "json": to_json,
    "markdown": to_markdown,
    "html": to_html,
}
