"""The tenant's IAM roles: `operator` runs the tenant, `auditor` reads its evidence.

Roles are created first (trust policy only) because the tenant key's policy names them;
their permissions are attached by `grant()` once the key, secret, buckets and log group
exist. That ordering breaks the role <-> key policy cycle without any wildcard.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import policy_documents


@dataclass
class AccessArgs:
    tenant_id: str
    stack: str
    account_id: pulumi.Input[str]
    tags: dict[str, str]


class Access(pulumi.ComponentResource):
    operator: aws.iam.Role
    auditor: aws.iam.Role

    def __init__(self, name: str, args: AccessArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("hipaachat:tenant:Access", name, None, opts)
        self._name = name
        trust = pulumi.Output.from_input(args.account_id).apply(
            lambda account: policy_documents.trust_policy(account, args.tenant_id))
        # Role names carry stack and tenant so two stacks in one account never collide.
        self.operator = aws.iam.Role(
            f"{args.tenant_id}-operator",
            name=f"hipaachat-{args.stack}-{args.tenant_id}-operator"[:64],
            assume_role_policy=trust,
            max_session_duration=3600,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.auditor = aws.iam.Role(
            f"{args.tenant_id}-auditor",
            name=f"hipaachat-{args.stack}-{args.tenant_id}-auditor"[:64],
            assume_role_policy=trust,
            max_session_duration=3600,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._tenant_id = args.tenant_id

    def grant(self, key_arn: pulumi.Output[str], secret_arn: pulumi.Output[str],
              template_bucket_arn: pulumi.Output[str], archive_bucket_arn: pulumi.Output[str],
              log_group_arn: pulumi.Output[str]) -> None:
        """Attach least-privilege inline policies naming only this tenant's resources."""
        aws.iam.RolePolicy(
            f"{self._tenant_id}-operator-policy",
            role=self.operator.id,
            policy=pulumi.Output.all(key_arn, secret_arn, template_bucket_arn, log_group_arn).apply(
                lambda a: policy_documents.operator_policy(*a)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicy(
            f"{self._tenant_id}-auditor-policy",
            role=self.auditor.id,
            policy=pulumi.Output.all(key_arn, archive_bucket_arn, log_group_arn).apply(
                lambda a: policy_documents.auditor_policy(*a)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"operator_arn": self.operator.arn, "auditor_arn": self.auditor.arn})
