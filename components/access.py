"""The tenant's IAM roles: `operator` runs the tenant, `auditor` reads its evidence.

Roles are created first (trust policy only) because the tenant key's policy names them;
their permissions are attached by `grant()` once the key, secret, buckets and log group
exist. That ordering breaks the role <-> key policy cycle without any wildcard.

The auditor role and its policy are evidence: they are what keeps the retained log group
and archive readable after offboarding, so they are retained (and protected in production)
like the sinks themselves. An offboarded tenant has no operator.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import policy_documents
from components.tags import RETAIN_TAG


@dataclass
class AccessArgs:
    tenant_id: str
    stack: str
    account_id: pulumi.Input[str]
    tags: dict[str, str]
    protect: bool
    operator: bool = True


class Access(pulumi.ComponentResource):
    operator: aws.iam.Role | None
    auditor: aws.iam.Role

    def __init__(self, name: str, args: AccessArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("hipaachat:tenant:Access", name, None, opts)
        self._tenant_id = args.tenant_id
        self._keep = pulumi.ResourceOptions(parent=self, retain_on_delete=True, protect=args.protect)
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
        ) if args.operator else None
        self.auditor = aws.iam.Role(
            f"{args.tenant_id}-auditor",
            name=f"hipaachat-{args.stack}-{args.tenant_id}-auditor"[:64],
            assume_role_policy=trust,
            max_session_duration=3600,
            tags={**args.tags, RETAIN_TAG: "true"},
            opts=self._keep,
        )

    @property
    def operator_arn(self) -> pulumi.Output[str] | None:
        return self.operator.arn if self.operator is not None else None

    def grant(self, key_arn: pulumi.Output[str], archive_bucket_arn: pulumi.Output[str],
              log_group_arn: pulumi.Output[str], secret_arn: pulumi.Output[str] | None = None,
              template_bucket_arn: pulumi.Output[str] | None = None) -> None:
        """Attach least-privilege inline policies naming only this tenant's resources."""
        if self.operator is not None and secret_arn is not None and template_bucket_arn is not None:
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
            opts=self._keep,
        )
        self.register_outputs({"operator_arn": self.operator_arn, "auditor_arn": self.auditor.arn})
