"""Running the emulator: blocking (the CLI) or in a background thread (tests, `hipaachat local`).

Tests anywhere in the repo can use it without our conftest:

    from scripts.emulator.server import run_in_thread
    with run_in_thread() as emulator:            # 127.0.0.1, a free port
        ManagementClient(emulator.url, emulator.management_key, emulator.management_secret)
        emulator.rest_url_template               # for AppClient
        emulator.set_faults(FaultConfig(script=[ScriptedFault(fault="drop", method="POST", path="/apps")]))
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn

from scripts.emulator.app import DEFAULT_MANAGEMENT_KEY, DEFAULT_MANAGEMENT_SECRET, Emulator
from scripts.emulator.faults import FaultConfig

# On stop, answers held by a `timeout` fault are abandoned after this long.
_GRACEFUL_SECONDS = 1


def _config(emulator: Emulator, host: str, log_level: str) -> uvicorn.Config:
    # uvicorn's access log prints raw paths, and `/apikeys/{key}` paths carry keys: the emulator
    # logs each request itself, with the key masked.
    return uvicorn.Config(emulator, host=host, log_level=log_level, access_log=False, lifespan="on",
                          timeout_graceful_shutdown=_GRACEFUL_SECONDS)


def serve(emulator: Emulator, host: str, port: int, log_level: str = "info") -> None:
    """Serve until Ctrl-C (uvicorn handles SIGINT/SIGTERM and shuts down cleanly)."""
    config = _config(emulator, host, log_level)
    config.port = port
    uvicorn.Server(config).run()


@dataclass
class EmulatorHandle:
    """A running emulator: its URLs, its credentials, and how to steer and stop it."""

    url: str
    port: int
    emulator: Emulator
    _server: uvicorn.Server = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def rest_url_template(self) -> str:
        return f"{self.url}/_apps/{{app_id}}/{{region}}/v3"

    @property
    def management_key(self) -> str:
        return self.emulator.management_key

    @property
    def management_secret(self) -> str:
        return self.emulator.management_secret

    def set_faults(self, faults: FaultConfig) -> None:
        self._admin("POST", "/_emulator/faults", faults.model_dump())

    def reset(self) -> None:
        self._admin("POST", "/_emulator/reset")

    def state(self) -> dict[str, Any]:
        return self._admin("GET", "/_emulator/state")

    def advance_clock(self, seconds: float) -> None:
        self._admin("POST", "/_emulator/clock", {"advance_seconds": seconds})

    def _admin(self, method: str, path: str, body: Any = None) -> Any:
        # Over HTTP on purpose: the admin endpoints are part of what is being exercised.
        # trust_env=False: a proxy from the environment must never see loopback admin calls.
        with httpx.Client(trust_env=False, timeout=10) as client:
            response = client.request(method, self.url + path, json=body)
        response.raise_for_status()
        return response.json()

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> "EmulatorHandle":
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def run_in_thread(
    port: int = 0,
    faults: FaultConfig | None = None,
    *,
    management_key: str = DEFAULT_MANAGEMENT_KEY,
    management_secret: str = DEFAULT_MANAGEMENT_SECRET,
    log_level: str = "warning",
) -> EmulatorHandle:
    """Start an emulator on 127.0.0.1 (`port=0`: a free port) and return once it accepts requests."""
    emulator = Emulator(management_key=management_key, management_secret=management_secret, faults=faults)
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say so, and without
    # it every answer (headers, then body) waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    # uvicorn installs signal handlers only on the main thread, so Ctrl-C still reaches pytest.
    server = uvicorn.Server(_config(emulator, "127.0.0.1", log_level))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="cometchat-emulator", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("the CometChat emulator did not start; see uvicorn's log above")
        time.sleep(0.01)
    bound = sock.getsockname()[1]
    return EmulatorHandle(f"http://127.0.0.1:{bound}", bound, emulator, server, thread)
