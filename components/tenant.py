"""The Tenant component: everything one clinic owns, built from one tenant file.

Parts: access (IAM roles), keys (KMS), credentials (Secrets Manager), template store, audit
sinks and the CometChat layer (app, roles, safeguards, webhook into the ingest endpoint).

Every child is a descendant of this component and carries the `hipaachat:tenant` tag, so
the policy pack can prove that nothing of tenant A points at anything of tenant B. All AWS
resources go through the tenant's own regional provider: residency is decided once, here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.access import Access, AccessArgs
from components.audit_trail import AuditTrail, AuditTrailArgs, log_group_name as audit_log_group_name
from components.catalog import Tenant as TenantSpec
from components.credentials import Credentials, CredentialsArgs
from components.keys import Keys, KeysArgs
from components.lifecycle import deploys, evidence_until
from components.cometchat.providers import CometChatConnection
from components.log_sinks import AuditSinks, AuditSinksArgs
from components.retention_plan import retention_plan
from components.messaging import Messaging, MessagingArgs
from components.monitoring import watch
from components.settings import StackSettings, naming_scope
from components.tags import TENANT_TYPE, tenant_tags
from components.templates import TemplateStore, TemplateStoreArgs


@dataclass
class TenantArgs:
    spec: TenantSpec
    settings: StackSettings
    stack: str


def bucket_name(prefix: str, stack: str, tenant_id: str, kind: str) -> str:
    """A readable, deterministic S3 bucket name within S3's 63-character limit."""
    name = f"{prefix}-{stack}-{tenant_id}-{kind}"
    if len(name) <= 63:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[:54]}-{digest}"


class Tenant(pulumi.ComponentResource):
    """One tenant: regional provider, key, credentials, template store, audit sinks and roles."""

    def __init__(self, name: str, args: TenantArgs, opts: pulumi.ResourceOptions | None = None):
        spec, settings, stack = args.spec, args.settings, args.stack
        region = settings.region_for(spec.residency)
        production = settings.environment == "production"
        # An offboarded tenant keeps only its evidence subtree (components.lifecycle).
        active = deploys(spec, settings=settings) == "everything"
        until = evidence_until(spec, settings)
        kept = retention_plan(spec, settings)
        # The tenant's declared facts ride on the component's inputs: policies read them here
        # (BAA, features, templates, retention) and compare them with what is actually deployed.
        super().__init__(TENANT_TYPE, name, {
            "tenantId": spec.id,
            "displayName": spec.name,
            "residency": spec.residency,
            "environment": settings.environment,
            "awsRegion": region.aws_region,
            "cometchatRegion": region.cometchat_region,
            "retentionDays": kept.by_type["audit"].kept,
            # Declared care and retention per data type: the pack recomputes the floors and compares.
            "care": spec.care.model_dump() if spec.care else None,
            "retention": {t: {"configured": k.configured, "kept": k.kept, "lockDays": k.lock_days}
                          for t, k in kept.by_type.items()},
            "baa": spec.baa.model_dump(mode="json") if spec.baa else None,
            "features": spec.features.model_dump(),
            "notifications": spec.notifications.model_dump(),
            "roles": {k: v.model_dump() for k, v in spec.roles.items()},
            "lifecycle": {"state": spec.lifecycle.state, "offboardedOn": _iso(spec.lifecycle.offboarded_on),
                          "evidenceUntil": _iso(until)},
        }, opts)

        self.provider = aws.Provider(f"{spec.id}-aws", **_provider_args(settings, region.aws_region),
                                     opts=pulumi.ResourceOptions(parent=self))
        child = pulumi.ResourceOptions(parent=self, provider=self.provider)
        account_id = aws.get_caller_identity_output(
            opts=pulumi.InvokeOutputOptions(provider=self.provider)).account_id

        def tags(part: str) -> dict[str, str]:
            return tenant_tags(spec.id, stack, part)

        # Names follow the environment, tags the stack: a tenant moved between shards keeps its resources.
        names = naming_scope(stack)
        log_group_name = audit_log_group_name(names, spec.id)
        self.access = Access(f"{spec.id}-access", AccessArgs(
            tenant_id=spec.id, stack=names, account_id=account_id, tags=tags("access"), protect=production,
            operator=active), opts=child)
        self.keys = Keys(f"{spec.id}-keys", KeysArgs(
            tenant_id=spec.id, stack=names, region=region.aws_region, account_id=account_id,
            log_group_name=log_group_name, operator_role_arn=self.access.operator_arn,
            auditor_role_arn=self.access.auditor.arn, tags=tags("keys"), protect=production), opts=child)
        key_arn = self.keys.key.arn
        self.sinks = AuditSinks(f"{spec.id}-audit-sinks", AuditSinksArgs(
            tenant_id=spec.id, log_group_name=log_group_name,
            archive_bucket_name=bucket_name(settings.name_prefix, names, spec.id, "audit"),
            retention_days=kept.log_group_days, lock_days=kept.bucket_default_days,
            object_lock_days={t: k.lock_days for t, k in kept.by_type.items()}, key_arn=key_arn, tags=tags("audit"),
            protect=production), opts=child)
        outputs: dict[str, pulumi.Input] = {
            "key_arn": key_arn,
            "log_group": self.sinks.log_group.name,
            "archive_bucket": self.sinks.archive.bucket.id,
        }
        self.trail = AuditTrail(f"{spec.id}-audit-trail", AuditTrailArgs(
            tenant_id=spec.id, scope=names, key_arn=key_arn, auditor_role=self.access.auditor,
            archive_bucket_arn=self.sinks.archive.bucket.arn, log_group=self.sinks.log_group,
            tags=tags("audit"), protect=production), opts=child)
        outputs["pseudonym_key_secret_arn"] = self.trail.secret.arn
        self.credentials: Credentials | None = None
        self.templates: TemplateStore | None = None
        self.messaging: Messaging | None = None
        if not active:
            self.access.grant(key_arn=key_arn, archive_bucket_arn=self.sinks.archive.bucket.arn,
                              log_group_arn=self.sinks.log_group.arn)
            self.register_outputs(outputs)
            return
        self.credentials = credentials = Credentials(f"{spec.id}-credentials", CredentialsArgs(
            tenant_id=spec.id, stack=names, key_arn=key_arn, tags=tags("credentials")), opts=child)
        self.templates = templates = TemplateStore(f"{spec.id}-template-store", TemplateStoreArgs(
            tenant_id=spec.id, bucket_name=bucket_name(settings.name_prefix, names, spec.id, "templates"),
            key_arn=key_arn, notifications=spec.notifications, tags=tags("templates")), opts=child)
        self.messaging = messaging = Messaging(f"{spec.id}-cometchat", MessagingArgs(
            spec=spec, stack=names, settings=settings, connection=CometChatConnection.from_stack(settings),
            credentials=credentials, sinks=self.sinks, key_arn=key_arn, tags=tags("cometchat"),
            pseudonym_key_secret_arn=self.trail.secret.arn), opts=child)
        self.access.grant(
            key_arn=key_arn,
            archive_bucket_arn=self.sinks.archive.bucket.arn,
            log_group_arn=self.sinks.log_group.arn,
            secret_arn=credentials.secret.arn,
            template_bucket_arn=templates.store.bucket.arn,
        )
        self.monitoring = watch(self, spec.id, names, region.aws_region, settings, account_id, tags("monitoring"))
        self.register_outputs({
            **outputs,
            "credentials_secret_arn": credentials.secret.arn,
            "templates_bucket": templates.store.bucket.id,
            "cometchat_app_id": messaging.app.app_id,
            "webhook_url": messaging.ingest.url,
        })


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _provider_args(settings: StackSettings, aws_region: str) -> dict:
    """Provider settings: the residency's region, plus loopback endpoints for the local stack."""
    args: dict = {"region": aws_region}
    endpoint = settings.aws_endpoint
    if endpoint is None:
        return args
    services = ("apigatewayv2", "logs", "iam", "kms", "lambda", "s3", "secretsmanager", "sts", "sns", "cloudwatch",
                "events")
    return {
        **args,
        "access_key": endpoint.access_key,
        "secret_key": endpoint.secret_key,
        "endpoints": [{service: endpoint.url for service in services}],
        "s3_use_path_style": True,
        "skip_credentials_validation": True,
        "skip_metadata_api_check": True,
        "skip_region_validation": True,
    }
