from __future__ import annotations

from pathlib import Path

from unireg.api import Registry
from unireg.demo.story import run_demo
from unireg.domain import EventKind, Stage


def test_demo_runs_the_story(tmp_path: Path) -> None:
    lines: list[str] = []

    run_demo(tmp_path / "demo", echo=lines.append)

    output = "\n".join(lines)
    assert "Summary" in output
    assert output.count("rolled back: 1.0.0 in production") == 2
    for client, model in [
        ("acme", "acme_retail_churn_v1"),
        ("globex", "globex_supply_demand_v1"),
    ]:
        config = {
            "clients": {client: {"settings": {"path": str(tmp_path / "demo" / client)}}}
        }
        from unireg.config import AgencyConfig

        with Registry(client, config=AgencyConfig.model_validate(config)) as registry:
            stages = {str(v.version): v.stage for v in registry.versions(model)}
            assert stages == {"1.0.0": Stage.PRODUCTION, "1.1.0": Stage.DEVELOPMENT}
            production = registry.show(model)
            assert set(production.record.metrics) >= {"latency_ms"}
            assert production.record.model_card.missing_sections() == []
            assert production.record.feature_schema
            kinds = [event.kind for event in registry.history(model)]
            assert kinds.count(EventKind.ROLLBACK) == 1
