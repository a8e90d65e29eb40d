"""The HTML report opened in headless Chromium."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.report.conftest import MARKUP, config_for, populate
from unireg.report.gather import gather
from unireg.report.render import to_html

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium is not installed (Debian package chromium); .ci/run installs it",
)

# Flags that keep headless Chromium off the network and away from the user's profile.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_report_renders_in_chromium(tmp_path: Path) -> None:
    config = config_for(tmp_path, {"acme": "local"})
    populate(config, "acme", tmp_path, description=MARKUP)
    page = tmp_path / "report.html"
    page.write_text(to_html(gather(config, ["acme"])))

    dom = _chromium(tmp_path, "--dump-dom", page.as_uri()).stdout
    screenshot = tmp_path / "report.png"
    _chromium(
        tmp_path, f"--screenshot={screenshot}", "--window-size=1200,900", page.as_uri()
    )

    assert "<title>Model registry report</title>" in dom
    assert "pwned" not in dom.split("<title>")[1].split("</title>")[0]
    assert dom.count("<polyline") >= 1
    assert "<circle" in dom
    assert '<b id="injected">' not in dom
    assert '&lt;b id="injected"&gt;bold&lt;/b&gt;' in dom
    assert screenshot.stat().st_size > 10_000
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
