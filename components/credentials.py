"""The tenant's CometChat credentials, in Secrets Manager under the tenant's own key.

The app-keys secret's value is written only from the CometChat app's secret outputs, never
from anything fake. A second secret holds the webhook's Basic-auth pair, which the ingest
endpoint reads; both are encrypted with the tenant's own key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass
class CredentialsArgs:
    tenant_id: str
    stack: str
    key_arn: pulumi.Input[str]
    tags: dict[str, str]


class Credentials(pulumi.ComponentResource):
    secret: aws.secretsmanager.Secret

    def __init__(self, name: str, args: CredentialsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("hipaachat:tenant:Credentials", name, None, opts)
        self._args = args
        self.secret = self._secret("cometchat", f"CometChat app keys of tenant {args.tenant_id}")
        self.register_outputs({"secret_arn": self.secret.arn})

    def _secret(self, kind: str, what: str) -> aws.secretsmanager.Secret:
        """A secret of this tenant under its own key; 30 days to undo a mistaken deletion."""
        a = self._args
        return aws.secretsmanager.Secret(
            f"{a.tenant_id}-{kind}-credentials",
            name=f"hipaachat/{a.stack}/{a.tenant_id}/{kind}",
            description=f"{what} (written by hipaachat)",
            kms_key_id=a.key_arn,
            recovery_window_in_days=30,
            tags=a.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _write(self, secret: aws.secretsmanager.Secret, value: pulumi.Input[str]) -> aws.secretsmanager.SecretVersion:
        """The secret's current value; it stays a Pulumi secret end to end."""
        return aws.secretsmanager.SecretVersion(
            f"{secret.pulumi_resource_name}-version",
            secret_id=secret.id,
            secret_string=pulumi.Output.secret(value),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def webhook_auth(self, username: str, password: pulumi.Input[str]) -> aws.secretsmanager.Secret:
        """The webhook's Basic-auth pair, for the ingest endpoint to check deliveries against."""
        secret = self._secret("webhook", f"Basic auth CometChat uses on tenant {self._args.tenant_id}'s webhook")
        self._write(secret, pulumi.Output.from_input(password).apply(
            lambda value: json.dumps({"username": username, "password": value})))
        return secret

    def store(self, values: pulumi.Input[dict[str, str]]) -> aws.secretsmanager.SecretVersion:
        """Write the app's keys as the secret's current version."""
        return self._write(self.secret, pulumi.Output.from_input(values).apply(json.dumps))
