from __future__ import annotations

from pathlib import Path

import pytest

from unireg.demo.story import run_demo


@pytest.mark.parametrize("clouds", [True, False], ids=["emulated-clouds", "local-only"])
def test_demo_runs_the_story(tmp_path: Path, clouds: bool) -> None:
    lines: list[str] = []

    run_demo(tmp_path / "demo", echo=lines.append, clouds=clouds)

    output = "\n".join(lines)
    if clouds:
        for cloud in ("sagemaker", "vertex", "azureml"):
            assert f"started the {cloud} emulator on http" in output
        assert output.rstrip().endswith("emulators stopped")
    assert output.count("rolled back: 1.0.0 in production, 1.1.0 in development") == 3
    assert (
        "promotion refused: initech_plant_quality_v1 1.1.0 failed the checklist"
        in output
    )
    assert "class=class_1 recall" in output
    assert output.count("checks recorded; checklist of 1.0.0: passed") == 4
    assert "report of 4 clients" in output
    assert ": complete" in output
    summary = output.split("\nSummary\n")[1].splitlines()
    assert [row.split()[0] for row in summary[1:5]] == [
        "acme",
        "globex",
        "initech",
        "umbrella",
    ]
    page = (tmp_path / "demo" / "report.html").read_text()
    assert page.count("<polyline") >= 8
