"""``unireg emulate CLOUD --client NAME`` prints a usable unireg.yaml block."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

UNIREG = str(Path(sys.executable).parent / "unireg")


@pytest.mark.parametrize("cloud", ["sagemaker", "vertex", "azureml"])
def test_emulate_prints_client_settings(cloud: str) -> None:
    process = subprocess.Popen(
        [UNIREG, "emulate", cloud, "--port", "0", "--client", "acme"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    try:
        lines = []
        for line in process.stdout:
            if line.startswith("listening on "):
                url = line.removeprefix("listening on ").strip()
                break
            lines.append(line)
        else:
            pytest.fail(f"the {cloud} emulator exited before listening")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        process.stdout.close()

    block = yaml.safe_load("".join(lines))
    client = block["clients"]["acme"]
    assert client["backend"] == cloud
    assert client["settings"]
    assert url.startswith(("http://127.0.0.1:", "https://127.0.0.1:"))
    assert not url.endswith(":0")
    exports = [line for line in lines if line.startswith("# export ")]
    if cloud == "sagemaker":
        assert f"# export AWS_ENDPOINT_URL={url}\n" in exports
