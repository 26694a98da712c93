"""`hipaachat emulator`: serve the CometChat emulator in the foreground until Ctrl-C."""

from __future__ import annotations

import ipaddress
import logging
import sys

import click

from scripts.emulator.app import DEFAULT_MANAGEMENT_KEY, DEFAULT_MANAGEMENT_SECRET, Emulator
from scripts.emulator.faults import FaultConfig
from scripts.emulator.server import serve

_HELP = """Run a local CometChat: the Management API and every app's REST API v3.

\b
The emulator keeps apps, API keys, roles, permissions, webhooks, extensions and
settings in memory and answers with CometChat's paths, shapes, limits and error
codes, so the CometChat providers and `pulumi up -s local` work with no CometChat
account. The `local` stack (stacks/Pulumi.local.yaml) points at it:

\b
  hipaachat:cometchat:
    managementUrl: http://127.0.0.1:8765
    restUrl: http://127.0.0.1:8765/_apps/{app_id}/{region}/v3

\b
What it serves:
  /apps...                          Management API (headers `key` and `secret`)
  /_apps/{appId}/{region}/v3/...    one app's REST v3 (header `apikey`); also
                                    routed by `Host: {appId}.api-{region}.cometchat.io`
  /_emulator/state|faults|reset|clock   admin for tests (no auth: keep it on loopback)

\b
Faults make it misbehave like a real network: 429 with Retry-After, 5xx, answers
slower than a client's timeout, and answers dropped after the change was made.
Rates are per request, between 0 and 1; --seed makes a run repeatable.

\b
Examples:
  hipaachat emulator --port 8765
  hipaachat emulator --port 8765 --fault-rate-429 0.2 --fault-rate-drop 0.05 --seed 7
  curl -s http://127.0.0.1:8765/_emulator/state
  curl -s -X POST http://127.0.0.1:8765/_emulator/faults \\
       -d '{"script": [{"fault": "drop", "method": "POST", "path": "/apps"}]}'
"""


def _rate(name: str) -> click.Option:
    return click.option(f"--fault-rate-{name}", f"rate_{name}", type=click.FloatRange(0.0, 1.0), default=0.0,
                        show_default=True, help=f"Share of requests that get the `{name}` fault.")


@click.command("emulator", help=_HELP)
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port to listen on (the local stack expects 8765).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind. Keep the default: the admin endpoints have no authentication.")
@_rate("429")
@_rate("5xx")
@_rate("timeout")
@_rate("drop")
@click.option("--slow-seconds", type=click.FloatRange(min=0.0), default=30.0, show_default=True,
              help="How long a `timeout` fault holds the answer.")
@click.option("--retry-after", "retry_after", type=click.IntRange(min=0), default=1, show_default=True,
              help="Seconds a 429 fault asks the client to wait.")
@click.option("--seed", type=int, default=None, help="Seed for the fault draws (repeatable runs).")
@click.option("--management-key", default=DEFAULT_MANAGEMENT_KEY, show_default=True,
              help="Management API key the emulator accepts.")
@click.option("--management-secret", default=DEFAULT_MANAGEMENT_SECRET,
              help="Management API secret the emulator accepts (default: the local stack's synthetic one).")
def emulator(port: int, host: str, rate_429: float, rate_5xx: float, rate_timeout: float, rate_drop: float,
             slow_seconds: float, retry_after: int, seed: int | None, management_key: str,
             management_secret: str) -> None:
    faults = FaultConfig(rate_429=rate_429, rate_5xx=rate_5xx, rate_timeout=rate_timeout, rate_drop=rate_drop,
                         slow_seconds=slow_seconds, retry_after_seconds=retry_after, seed=seed)
    app = Emulator(management_key=management_key, management_secret=management_secret, faults=faults)
    base = f"http://{host}:{port}"
    click.echo(f"CometChat emulator on {base}")
    click.echo(f"  Management API:  {base}")
    click.echo(f"  REST API v3:     {base}/_apps/{{app_id}}/{{region}}/v3")
    click.echo("                   (or /v3 with Host: {app_id}.api-{region}.cometchat.io)")
    click.echo(f"  Admin:           {base}/_emulator/state")
    if (management_key, management_secret) == (DEFAULT_MANAGEMENT_KEY, DEFAULT_MANAGEMENT_SECRET):
        click.echo(f"  Management key/secret (synthetic local defaults): {management_key} / {management_secret}")
    else:
        click.echo("  Management key/secret: the ones given on the command line (not shown)")
    if not _is_loopback(host):
        click.echo("  WARNING: bound beyond loopback; anyone who can reach it can read and reset its state.", err=True)
    rates = faults.model_dump(include={"rate_429", "rate_5xx", "rate_timeout", "rate_drop"})
    active = {name: rate for name, rate in rates.items() if rate}
    if active:
        click.echo(f"  Faults: {active} (seed {seed})")
    click.echo("Press Ctrl-C to stop.")
    # One line per request (keys in paths masked), so a user can see what their `pulumi up` asked for.
    requests_log = logging.getLogger("hipaachat.emulator")
    requests_log.setLevel(logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))
    requests_log.addHandler(handler)
    try:
        serve(app, host, port)
    except KeyboardInterrupt:
        pass  # uvicorn shuts down cleanly, then re-raises the Ctrl-C it caught
    click.echo("Emulator stopped.")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
