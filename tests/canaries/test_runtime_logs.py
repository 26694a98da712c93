"""No planted secret appears in the emulator's log or the CometChat providers' log.

The emulator runs as the real `hipaachat emulator` process with canary management
credentials; the providers run in the real `python -m pulumi.dynamic` host and create an app
(whose generated keys become canaries too), its roles, extensions and a webhook with a canary
password, refresh them, fail once on purpose, and delete. Both processes' whole output is scanned,
as are the error the failure raised and the state the engine would store.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.canaries.commands import CANARIES, MANAGEMENT_KEY, MANAGEMENT_SECRET, WEBHOOK_PASSWORD
from tests.cometchat_providers import tenants
from tests.cometchat_providers.dynamic_host import DynamicProviderHost
from tests.cometchat_providers.engine import MiniEngine

HIPAACHAT = str(Path(sys.executable).with_name("hipaachat"))


@dataclass(frozen=True)
class EmulatorProcess:
    """What the provider test helpers need to know about an emulator (as EmulatorHandle offers)."""

    url: str
    management_key: str
    management_secret: str
    log: Path

    @property
    def rest_url_template(self) -> str:
        return f"{self.url}/_apps/{{app_id}}/{{region}}/v3"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def emulator_process(tmp_path: Path) -> Iterator[EmulatorProcess]:
    port, log = _free_port(), tmp_path / "emulator.log"
    with log.open("wb") as sink:
        process = subprocess.Popen([HIPAACHAT, "emulator", "--port", str(port), "--management-key", MANAGEMENT_KEY,
                                    "--management-secret", MANAGEMENT_SECRET], stdout=sink, stderr=sink)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/_emulator/state", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                assert process.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        try:
            yield EmulatorProcess(url, MANAGEMENT_KEY, MANAGEMENT_SECRET, log)
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)


def test_no_canary_in_emulator_or_provider_logs(emulator_process: EmulatorProcess, event_loop_per_test) -> None:
    texts: list[str] = []
    with DynamicProviderHost() as host:
        engine = MiniEngine(host)
        app = engine.create(tenants.app(emulator_process, "canary-clinic"))
        app_keys = (app.output("fullAccessKey"), app.output("authOnlyKey"))
        roles = engine.create(tenants.roles(emulator_process, app, tenants.MATRIX))
        extensions = engine.create(tenants.extensions(emulator_process, app, ai=False))
        hook = engine.create(tenants.webhook(emulator_process, app, "https://ingest.canary.example.invalid/cometchat",
                                             password=WEBHOOK_PASSWORD))
        for state in (app, roles, extensions, hook):
            assert engine.read(state) is not None
            texts.append(state.plain_view())
        wrong = tenants.connection(emulator_process, secret=MANAGEMENT_SECRET + "-wrong")
        with pytest.raises(Exception) as refused:  # the emulator refuses the credentials; the error is output too
            engine.create(tenants.app(emulator_process, "canary-refused", conn=wrong))
        texts.append(str(refused.value))
        engine.delete(hook)
        engine.delete(app)  # a production-grade delete archives and says so in the provider's log
    host_log = host.log_lines  # after the host stopped: its output is drained completely
    emulator_log = emulator_process.log.read_text(errors="replace")

    assert all(len(key) == 40 for key in app_keys)  # real generated keys, not empty outputs
    assert host_log and emulator_log  # both processes really wrote logs that are scanned
    canaries = CANARIES + app_keys
    for text in (emulator_log, "\n".join(host_log), *texts):
        assert [c for c in canaries if c in text] == []
