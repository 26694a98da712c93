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
        self._tenant_id, self._stack, self._key_arn, self._tags = args.tenant_id, args.stack, args.key_arn, args.tags
        self.secret = aws.secretsmanager.Secret(
            f"{args.tenant_id}-cometchat-credentials",
            name=f"hipaachat/{args.stack}/{args.tenant_id}/cometchat",
            description=f"CometChat app keys of tenant {args.tenant_id} (written by hipaachat)",
            kms_key_id=args.key_arn,
            recovery_window_in_days=30,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"secret_arn": self.secret.arn})

    def webhook_auth(self, username: str, password: pulumi.Input[str]) -> aws.secretsmanager.Secret:
        """The webhook's Basic-auth pair, for the ingest endpoint to check deliveries against."""
        secret = aws.secretsmanager.Secret(
            f"{self._tenant_id}-webhook-credentials",
            name=f"hipaachat/{self._stack}/{self._tenant_id}/webhook",
            description=f"Basic auth CometChat uses on tenant {self._tenant_id}'s webhook (written by hipaachat)",
            kms_key_id=self._key_arn,
            recovery_window_in_days=30,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.secretsmanager.SecretVersion(
            f"{self._tenant_id}-webhook-credentials-version",
            secret_id=secret.id,
            secret_string=pulumi.Output.secret(pulumi.Output.from_input(password).apply(
                lambda value: json.dumps({"username": username, "password": value}))),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return secret

    def store(self, values: pulumi.Input[dict[str, str]]) -> aws.secretsmanager.SecretVersion:
        """Write the app's keys as the secret's current version; the value stays a Pulumi secret."""
        return aws.secretsmanager.SecretVersion(
            f"{self._tenant_id}-cometchat-credentials-version",
            secret_id=self.secret.id,
            secret_string=pulumi.Output.secret(pulumi.Output.from_input(values).apply(json.dumps)),
            opts=pulumi.ResourceOptions(parent=self),
        )
