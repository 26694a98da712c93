"""Secret canaries: known, synthetic secret values, where they are planted, and every command that writes output.

To cover a new command, add one `Command` line to COMMANDS; `{out}` in its arguments is a fresh
directory whose every file is scanned afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# Synthetic and unique, so any occurrence in an output can only be a leak.
MANAGEMENT_KEY = "canary-mgmt-key-Zq81wT"
MANAGEMENT_SECRET = "canary-mgmt-secret-Xv27pR"
AWS_SECRET_KEY = "canary-aws-secret-Lm55kD"
WEBHOOK_PASSWORD = "CanaryWebhookPw0419Hq"
APP_KEY = "canaryappkey0000000000000000000000000042"
# `pulumi config set --secret` stores ciphertext; printing it is a leak too (it is the secret, encrypted).
CIPHERTEXT = "v1:Y2FuYXJ5LWNpcGhlcnRleHQtMDAx"

CANARIES = (MANAGEMENT_KEY, MANAGEMENT_SECRET, AWS_SECRET_KEY, WEBHOOK_PASSWORD, APP_KEY, CIPHERTEXT)

# Where a real operator's environment holds secrets; a command must not echo its environment.
ENVIRONMENT = {
    "PULUMI_CONFIG_PASSPHRASE": MANAGEMENT_SECRET,
    "AWS_SECRET_ACCESS_KEY": AWS_SECRET_KEY,
    "COMETCHAT_API_KEY": APP_KEY,
    "COMETCHAT_WEBHOOK_PASSWORD": WEBHOOK_PASSWORD,
}

STACK_PLAIN = f"""\
config:
  hipaachat:environment: prototype
  hipaachat:retentionMinimumDays: 2192
  hipaachat:awsEndpoint:
    url: http://127.0.0.1:5000
    accessKey: test
    secretKey: {AWS_SECRET_KEY}
  hipaachat:cometchat:
    managementUrl: http://127.0.0.1:8765
    restUrl: http://127.0.0.1:8765/_apps/{{app_id}}/{{region}}/v3
  hipaachat:cometchatManagementKey: {MANAGEMENT_KEY}
  hipaachat:cometchatManagementSecret: {MANAGEMENT_SECRET}
"""

STACK_SECURE = STACK_PLAIN.replace(
    f"hipaachat:cometchatManagementKey: {MANAGEMENT_KEY}", f"hipaachat:cometchatManagementKey:\n    secure: {CIPHERTEXT}"
).replace(f"hipaachat:cometchatManagementSecret: {MANAGEMENT_SECRET}",
          f"hipaachat:cometchatManagementSecret:\n    secure: {CIPHERTEXT}")

STACK_VARIANTS = {"plain-config": STACK_PLAIN, "secure-config": STACK_SECURE}


def _break_the_secrets_line(project: Path) -> None:
    """A syntax error on the very line that holds a secret: the error must locate it, not quote it."""
    stack = project / "stacks" / "Pulumi.local.yaml"
    stack.write_text(stack.read_text().replace(f"ManagementSecret: {MANAGEMENT_SECRET}",
                                               f'ManagementSecret: "{MANAGEMENT_SECRET}\n  broken: [', 1)
                     .replace(f"secure: {CIPHERTEXT}\n", f"secure: [{CIPHERTEXT}\n", 1))


def _misplace_a_secret(project: Path) -> None:
    """A secret pasted into a tenant file by mistake: the validation error must not repeat it."""
    tenant = project / "stacks" / "tenants" / "local" / "lotus-health.yaml"
    tenant.write_text(tenant.read_text() + f"api_key: {APP_KEY}\nname2: {MANAGEMENT_KEY}\n")


def _state_with_plaintext_secrets(project: Path) -> None:
    """A deployed state whose secret values were stored in plain (a hygiene finding, never to be echoed)."""
    urn = "urn:pulumi:local::hipaachat::aws:secretsmanager/secretVersion:SecretVersion::leaked"
    (project / "state.json").write_text(json.dumps({"version": 3, "deployment": {
        "manifest": {"time": "2026-11-01T00:00:00Z", "magic": "", "version": "v3.200.0"},
        "resources": [
            {"urn": "urn:pulumi:local::hipaachat::pulumi:pulumi:Stack::hipaachat-local", "custom": False,
             "type": "pulumi:pulumi:Stack"},
            {"urn": urn, "custom": True, "id": "leaked-id", "type": "aws:secretsmanager/secretVersion:SecretVersion",
             "inputs": {"secretId": "arn:aws:secretsmanager:us-east-2:123456789012:secret:x",
                        "secretString": json.dumps({"apiKey": APP_KEY, "webhookPassword": WEBHOOK_PASSWORD})},
             "outputs": {"secretString": MANAGEMENT_SECRET, "password": WEBHOOK_PASSWORD}},
        ]}}))


@dataclass(frozen=True)
class Command:
    id: str
    args: tuple[str, ...]
    prepare: Callable[[Path], None] | None = None
    exit_codes: tuple[int, ...] = (0,)


PLAN = ("plan", "--stack", "local")

COMMANDS: list[Command] = [
    Command("plan-table", PLAN),
    Command("plan-json", PLAN + ("--format", "json", "--out", "{out}/plan.json")),
    Command("plan-bad-stack-syntax", PLAN + ("--format", "json"), _break_the_secrets_line, exit_codes=(2,)),
    Command("plan-secret-in-tenant-file", PLAN, _misplace_a_secret, exit_codes=(2,)),
    Command("tenants-validate", ("tenants", "validate", "--stack", "local", "--strict")),
    Command("tenants-list-table", ("tenants", "list", "--stack", "local")),
    Command("tenants-list-json", ("tenants", "list", "--stack", "local", "--format", "json")),
    Command("tenants-schema", ("tenants", "schema")),
    Command("tenants-new", ("tenants", "new", "--stack", "local", "canary-clinic", "--residency", "eu")),
    Command("tenants-validate-bad", ("tenants", "validate", "--stack", "local"), _misplace_a_secret, exit_codes=(2,)),
    Command("plan-sarif", PLAN + ("--format", "sarif")),
    Command("plan-markdown", PLAN + ("--format", "markdown")),
    Command("plan-export-state", PLAN + ("--format", "json", "--export-state", "{out}/state.json")),
    Command("audit-declared", ("audit", "--stack", "local", "--out", "{out}/evidence")),
    Command("audit-plaintext-state", ("audit", "--state", "state.json", "--out", "{out}/evidence"),
            _state_with_plaintext_secrets, exit_codes=(1,)),
    Command("promote-check", ("promote", "--check", "--from", "prototype", "--to", "production")),
    Command("trail-bad-date", ("trail", "--stack", "local", "--tenant", "sunrise-clinic", "--subject",
                               "Patient/synthetic-1", "--from", "2026-02-30"), exit_codes=(2,)),
]
