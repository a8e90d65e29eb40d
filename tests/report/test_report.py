"""The multi-client report: concurrency, failures, formats, filters, access."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import run
from tests.report.conftest import MARKUP, config_for, populate
from unireg.report.gather import ReportOptions, gather
from unireg.report.model import ClientStatus
from unireg.report.render import to_html, to_markdown, to_table


def test_report_reads_every_client(tmp_path: Path) -> None:
    config = config_for(tmp_path, {"acme": "local", "globex": "local"})
    populate(config, "acme", tmp_path)
    populate(config, "globex", tmp_path)

    report = gather(config, ["acme", "globex"])

    assert not report.partial
    assert [c.client for c in report.clients] == ["acme", "globex"]
    row = report.clients[0].models[0]
    assert row.model == "acme_retail_churn_v1"
    assert row.production.version == "1.0.0"
    assert row.production.native_id == "1"
    assert row.production.moved_by
    assert row.production.since is not None
    assert [(c.version, c.checklist) for c in row.staging] == [("1.1.0", "passed")]
    assert row.stage_counts == {"production": 1, "staging": 1}
    assert row.last_change.event == "transition-completed"
    assert [v.metrics["auc"] for v in row.metrics_history] == [0.90, 0.93]
    assert report.clients[0].health.calls > 0
    assert report.clients[0].health.errors == 0


def test_failing_client_gets_its_own_row(tmp_path: Path, extra_backends) -> None:
    config = config_for(tmp_path, {"acme": "local", "broken": "broken", "slow": "slow"})
    populate(config, "acme", tmp_path)

    report = gather(
        config, ["acme", "broken", "slow"], ReportOptions(timeout_seconds=1.5)
    )

    statuses = {c.client: c.status for c in report.clients}
    assert statuses == {
        "acme": ClientStatus.OK,
        "broken": ClientStatus.FAILED,
        "slow": ClientStatus.TIMED_OUT,
    }
    assert report.partial
    broken = next(c for c in report.clients if c.client == "broken")
    assert broken.error == "RuntimeError: registry returned garbage"
    table = to_table(report)
    assert "failed: RuntimeError: registry returned garbage" in table
    assert "timed-out: no answer within 1.5 s" in table
    assert table.rstrip().endswith("partial: broken, slow could not be read")


def test_clients_are_read_concurrently(tmp_path: Path, extra_backends) -> None:
    clients = {f"client{index}": "gathering" for index in range(4)}
    config = config_for(tmp_path, clients)

    report = gather(config, sorted(clients), ReportOptions(client_concurrency=4))

    # Each client's list waits at a barrier for all four: read one at a time,
    # the first would fail with a broken barrier.
    assert [c.status for c in report.clients] == [ClientStatus.OK] * 4
    assert [c.error for c in report.clients] == [None] * 4


def test_markdown_escapes_pipes(tmp_path: Path) -> None:
    config = config_for(tmp_path, {"acme": "local"})
    populate(config, "acme", tmp_path)

    text = to_markdown(gather(config, ["acme"]))

    assert text.startswith("# Model registry report")
    assert "| acme | local | acme_retail_churn_v1 | 1.0.0 (#1) |" in text


def test_html_escapes_registry_values(tmp_path: Path) -> None:
    config = config_for(tmp_path, {"acme": "local"})
    populate(config, "acme", tmp_path, description=MARKUP)

    page = to_html(gather(config, ["acme"]))

    assert "<script" not in page
    assert "&lt;script&gt;" in page
    assert '<b id="injected">' not in page
    assert "<polyline" in page
    assert "http://" not in page
    assert "https://" not in page


def test_cli_report_formats_and_exit_codes(
    capsys, tmp_path: Path, extra_backends
) -> None:
    config = config_for(tmp_path, {"acme": "local", "broken": "broken"})
    populate(config, "acme", tmp_path)
    path = tmp_path / "agency.yaml"
    path.write_text(json.dumps(config.model_dump(mode="json")))

    partial = run(capsys, "--config", str(path), "report")
    only_acme = run(
        capsys, "--config", str(path), "report", "--client", "acme", "--format", "json"
    )
    local = run(
        capsys,
        "--config",
        str(path),
        "report",
        "--cloud",
        "local",
        "--format",
        "markdown",
    )
    html = run(
        capsys,
        "--config",
        str(path),
        "report",
        "-c",
        "acme",
        "--format",
        "html",
        "-o",
        str(tmp_path / "r.html"),
    )
    unknown = run(capsys, "--config", str(path), "report", "--client", "initech")

    assert partial.code == 3
    assert "broken" in partial.out
    assert only_acme.code == 0
    document = json.loads(only_acme.out)
    assert document["partial"] is False
    assert [c["client"] for c in document["clients"]] == ["acme"]
    assert local.code == 0
    assert "broken" not in local.out
    assert html.code == 0
    assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
    assert unknown.code == 2


def test_viewer_sees_only_own_clients(capsys, tmp_path: Path) -> None:
    import getpass

    actor = getpass.getuser()
    config = config_for(tmp_path, {"acme": "local", "globex": "local"})
    populate(config, "acme", tmp_path)
    populate(config, "globex", tmp_path)
    document = config.model_dump(mode="json")
    document["roles"] = {"someone-else": "agency-admin"}
    document["clients"]["globex"]["roles"] = {actor: "client-viewer"}
    path = tmp_path / "agency.yaml"
    path.write_text(json.dumps(document))

    result = run(capsys, "--config", str(path), "report", "--format", "json")

    assert result.code == 0
    clients = [c["client"] for c in json.loads(result.out)["clients"]]
    assert clients == ["globex"]


def test_unfinished_operation_is_flagged(tmp_path: Path, monkeypatch) -> None:
    from unireg.api import Registry
    from unireg.service.registry import RegistryService

    config = config_for(tmp_path, {"acme": "local"})
    populate(config, "acme", tmp_path)

    def killed(self, started):
        raise KeyboardInterrupt("process killed")

    monkeypatch.setattr(RegistryService, "_finish", killed)
    with Registry("acme", config=config) as registry, pytest.raises(KeyboardInterrupt):
        registry.promote("acme_retail_churn_v1", "1.1.0", "production")
    monkeypatch.undo()

    report = gather(config, ["acme"])

    assert report.clients[0].models[0].unfinished_operations == 1
    table = to_table(report)
    assert "UNFINISHED OPERATION: run unireg repair" in table
    assert "unfinished operations on acme/acme_retail_churn_v1 need repair" in table
