"""`hipaachat emulator`: the help teaches, the output names URLs, Ctrl-C stops it cleanly."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import httpx
from click.testing import CliRunner

from scripts.emulator.command import emulator

RUN = "from scripts.emulator.command import emulator; emulator()"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([sys.executable, "-c", RUN, *args], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    banner = []
    for line in process.stdout:  # type: ignore[union-attr]
        banner.append(line)
        if line.startswith("Press Ctrl-C"):
            break
    return process, "".join(banner)


def wait_until_serving(url: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/_emulator/state", timeout=0.5)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("emulator did not start")


def test_help_explains_what_it_is_and_how_to_use_it():
    result = CliRunner().invoke(emulator, ["--help"])
    assert result.exit_code == 0
    for phrase in ("Management API", "/_apps/{appId}/{region}/v3", "Pulumi.local.yaml", "--fault-rate-drop",
                   "--seed", "Examples:"):
        assert phrase in result.output


def test_serves_prints_default_credentials_and_stops_on_ctrl_c():
    port = free_port()
    process, banner = start("--port", str(port), "--fault-rate-429", "0.5", "--seed", "3")
    try:
        assert f"http://127.0.0.1:{port}/_apps/{{app_id}}/{{region}}/v3" in banner
        assert "local-mgmt-key / local-mgmt-secret" in banner
        url = f"http://127.0.0.1:{port}"
        wait_until_serving(url)
        headers = {"key": "local-mgmt-key", "secret": "local-mgmt-secret"}
        statuses = {httpx.get(url + "/apps", headers=headers).status_code for _ in range(12)}
        assert statuses == {200, 429}  # the flags reach the server
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=15)
    finally:
        process.kill() if process.poll() is None else None
    assert process.returncode == 0
    assert "Emulator stopped." in rest


def test_custom_credentials_are_never_printed():
    port = free_port()
    custom = "custom-secret-" + "7" * 20
    process, banner = start("--port", str(port), "--management-key", "custom-key-" + "8" * 20,
                            "--management-secret", custom)
    try:
        wait_until_serving(f"http://127.0.0.1:{port}")
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=15)
    finally:
        process.kill() if process.poll() is None else None
    assert "(not shown)" in banner
    assert custom not in banner + rest and "8" * 20 not in banner + rest
