"""Which controls each policy makes preventive: the metadata the evidence report reads.

Sources are Prowler's `hipaa_aws.json` compliance mapping, Checkov ids
verified in Checkov's source, the AWS Config HIPAA conformance pack and the text of 45 CFR Part 164.
A policy makes a detective check preventive: the Prowler/Checkov/Config ids name the check an
auditor would otherwise run after deployment. Ids are cross-references: Checkov does not scan
Pulumi programs and some Config rules are not in the current HIPAA pack (noted per entry).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

FRAMEWORK_NAME = "HIPAA Security Rule"
FRAMEWORK_VERSION = "45 CFR Part 164 Subpart C"
FRAMEWORK_REFERENCE = "https://www.ecfr.gov/current/title-45/subtitle-A/subchapter-C/part-164/subpart-C"


class ControlMapping(BaseModel):
    model_config = ConfigDict(frozen=True)

    cfr: list[str] = Field(min_length=1)
    prowler: list[str] = Field(default_factory=list)
    checkov: list[str] = Field(default_factory=list)
    aws_config: list[str] = Field(default_factory=list)
    fix: str
    note: str | None = None


def _m(cfr: list[str], fix: str, prowler: list[str] | None = None, checkov: list[str] | None = None,
       aws_config: list[str] | None = None, note: str | None = None) -> ControlMapping:
    return ControlMapping(cfr=cfr, prowler=prowler or [], checkov=checkov or [], aws_config=aws_config or [],
                          fix=fix, note=note)


_ACCESS = ["164.308(a)(4)(i)", "164.312(a)(1)"]
_AT_REST = ["164.312(a)(2)(iv)", "164.312(e)(2)(ii)"]
_BAA = ["164.308(b)(1)", "164.314(a)(1)", "164.502(e)"]
_MONITORING = ["164.308(a)(1)(ii)(D)", "164.308(a)(6)", "164.312(b)"]

CONTROLS: dict[str, ControlMapping] = {
    "isolation-tenant-tag": _m(
        _ACCESS, "Tag the resource with hipaachat:tenant=<its tenant id> (components.tags.tenant_tags).",
        aws_config=["required-tags"], note="ABAC: IAM conditions on aws:ResourceTag rely on this tag."),
    "isolation-tenant-ancestry": _m(
        _ACCESS, "Create the resource inside its tenant's component (ResourceOptions(parent=<tenant part>))."),
    "isolation-no-cross-tenant-reference": _m(
        _ACCESS + ["164.312(c)(1)"], "Reference only the owning tenant's keys, buckets, roles, secrets, "
        "log groups and CometChat app; give the other tenant its own."),
    "isolation-cometchat-app-per-tenant": _m(
        _ACCESS, "Give each tenant exactly one CometChat app whose tenantId is that tenant; never share an app."),
    "isolation-no-wildcard-principal": _m(
        _ACCESS + ["164.308(a)(3)(i)"], "Name principals by ARN or AWS service; keep Principal \"*\" only in Deny "
        "statements (e.g. the TLS-only bucket policy).",
        prowler=["kms_key_not_publicly_accessible", "s3_bucket_policy_public_write_access", "s3_bucket_public_access"],
        checkov=["CKV_AWS_33", "CKV_AWS_70"],
        aws_config=["s3-bucket-public-read-prohibited", "s3-bucket-public-write-prohibited"]),
    "isolation-iam-scoped-to-tenant": _m(
        _ACCESS + ["164.308(a)(3)(i)", "164.308(a)(4)(ii)(B)"], "Grant only on the tenant's own ARNs (no \"*\", "
        "no AWS managed policies) and pin trust policies to aws:PrincipalTag/hipaachat:tenant.",
        prowler=["iam_inline_policy_no_administrative_privileges",
                 "iam_customer_attached_policy_no_administrative_privileges",
                 "iam_aws_attached_policy_no_administrative_privileges"],
        checkov=["CKV_AWS_1", "CKV_AWS_289", "CKV_AWS_290", "CKV_AWS_355"],
        aws_config=["iam-policy-no-statements-with-admin-access", "iam-policy-no-statements-with-full-access",
                    "iam-inline-policy-blocked-kms-actions"]),
    "isolation-github-oidc-trust": _m(
        _ACCESS + ["164.308(a)(3)(ii)(B)", "164.308(a)(4)(ii)(B)", "164.312(d)"],
        "Require StringEquals token.actions.githubusercontent.com:aud = sts.amazonaws.com and :sub = "
        "repo:ORG/REPO:environment:<environment> (components.ci_identity does).", checkov=["CKV_AWS_358"],
        note="GitHub signs OIDC tokens for every repository; only the sub condition tells this one apart."),
    "residency-aws-region": _m(
        ["164.308(a)(1)(ii)(B)", "164.314(a)(1)"], "Create AWS resources through the tenant's own aws provider, "
        "whose region is the residency's region (components.settings regions).",
        note="Residency is a contractual (BAA) and jurisdictional commitment; HIPAA cites it via risk management."),
    "residency-cometchat-region": _m(
        ["164.308(a)(1)(ii)(B)", "164.314(a)(1)"], "Create the CometChat app in the residency's CometChat region."),
    "encryption-kms-key-rotation": _m(
        ["164.312(a)(2)(iv)"], "Set enable_key_rotation=True on the tenant key.",
        prowler=["kms_cmk_rotation_enabled"], checkov=["CKV_AWS_7"], aws_config=["cmk-backing-key-rotation-enabled"],
        note="cmk-backing-key-rotation-enabled is not in the AWS Config HIPAA pack."),
    "encryption-kms-deletion-window": _m(
        ["164.312(a)(2)(iv)", "164.308(a)(7)(ii)(A)"], "Set deletion_window_in_days to at least 7 (hipaachat uses 30).",
        prowler=["kms_cmk_not_deleted_unintentionally"], aws_config=["kms-cmk-not-scheduled-for-deletion"]),
    "encryption-s3-tenant-key": _m(
        _AT_REST + ["164.312(c)(1)"], "Give every bucket a default SSE-KMS rule and every object aws:kms, both with "
        "the owning tenant's key (components.buckets.HardenedBucket).",
        prowler=["s3_bucket_default_encryption", "s3_bucket_kms_encryption"], checkov=["CKV_AWS_145", "CKV_AWS_19"],
        aws_config=["s3-bucket-server-side-encryption-enabled", "s3-default-encryption-kms"]),
    "encryption-s3-public-access-blocked": _m(
        _ACCESS + ["164.308(a)(3)(i)"], "Add a BucketPublicAccessBlock with all four flags true.",
        prowler=["s3_bucket_public_access", "s3_bucket_level_public_access_block"],
        checkov=["CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56", "CKV2_AWS_6"],
        aws_config=["s3-account-level-public-access-blocks-periodic", "s3-bucket-public-read-prohibited",
                    "s3-bucket-public-write-prohibited"]),
    "encryption-s3-tls-only": _m(
        ["164.312(e)(1)", "164.312(e)(2)(i)", "164.312(e)(2)(ii)"], "Attach a bucket policy that denies s3:* when "
        "aws:SecureTransport is false (components.policy_documents.tls_only_bucket_policy).",
        prowler=["s3_bucket_secure_transport_policy"], checkov=["CKV_AWS_379"],
        aws_config=["s3-bucket-ssl-requests-only"]),
    "encryption-log-group-tenant-key": _m(
        _AT_REST, "Set kms_key_id on the log group to the owning tenant's key ARN.",
        prowler=["cloudwatch_log_group_kms_encryption_enabled"], checkov=["CKV_AWS_158"],
        aws_config=["cloudwatch-log-group-encrypted"],
        note="cloudwatch-log-group-encrypted left the AWS Config HIPAA pack in 2022."),
    "encryption-secret-tenant-key": _m(
        ["164.312(a)(2)(iv)"], "Set kms_key_id on the secret to the owning tenant's key ARN.",
        checkov=["CKV_AWS_149"], aws_config=["secretsmanager-using-cmk"]),
    "retention-log-group-minimum": _m(
        ["164.312(b)", "164.316(b)(2)(i)"], "Set retention_in_days to a CloudWatch value at or above the minimum "
        "(2192 = 6 years), or 0 for never expire.",
        prowler=["cloudwatch_log_group_retention_policy_specific_days_enabled"], checkov=["CKV_AWS_66", "CKV_AWS_338"],
        aws_config=["cw-loggroup-retention-period-check"],
        note="Prowler, Checkov and AWS Config default to 365 days; this pack defaults to 2192 (6 years)."),
    "retention-object-lock-compliance": _m(
        ["164.312(b)", "164.312(c)(1)", "164.316(b)(2)(i)"], "Enable Object Lock on the audit archive with a "
        "COMPLIANCE default retention at or above the minimum days.",
        prowler=["s3_bucket_object_lock"], checkov=["CKV_AWS_143"], aws_config=["s3-bucket-default-lock-enabled"]),
    "retention-floor-met": _m(
        ["164.316(b)(2)(i)"], "Raise the tenant file's retention.messages_days / retention.audit_days "
        "to the floor the finding names (or remove it: unset means the floor)."),
    "retention-archive-covers-floors": _m(
        ["164.312(c)(1)", "164.316(b)(2)(i)"], "Set the audit archive's Object Lock default retention to at least "
        "the tenant's longest floor (components.log_sinks does so)."),
    "production-care-declared": _m(
        ["164.316(b)(2)(i)"], "Add care: {jurisdiction, provider_type, serves_minors} to the tenant "
        "file; `hipaachat tenants schema` lists the fields."),
    "retention-s3-versioning": _m(
        ["164.312(c)(1)", "164.308(a)(7)(ii)(A)"], "Add a BucketVersioning with status Enabled.",
        prowler=["s3_bucket_object_versioning"], checkov=["CKV_AWS_21"], aws_config=["s3-bucket-versioning-enabled"]),
    "retention-audit-sinks-retained": _m(
        ["164.316(b)(2)(i)", "164.312(b)"], "Register audit sinks with retain_on_delete=True and the "
        "hipaachat:retain=true tag (components.log_sinks); in production also protect=True."),
    "retention-evidence-readable": _m(
        ["164.316(b)(2)(i)", "164.312(b)"], "Register the tenant's KMS key and alias, and its auditor role and "
        "role policy, with retain_on_delete=True (protect=True in production) and tag the key and role "
        "hipaachat:retain=true (components.keys, components.access).",
        prowler=["kms_cmk_not_deleted_unintentionally"], aws_config=["kms-cmk-not-scheduled-for-deletion"],
        note="A retained log group or archive under a deleted key is unreadable: destroyed in effect."),
    "isolation-pseudonym-key-readers": _m(
        _ACCESS, "Grant secretsmanager:GetSecretValue on a tenant's pseudonym key only to its own ingest role and "
        "auditor role (components.audit_trail, components.ingest.policy).",
        note="NIST SP 800-53 SI-19(4): the key that links pseudonyms is kept separately; pseudonymisation, not "
             "de-identification under 45 CFR 164.514."),
    "production-trail-complete": _m(
        ["164.312(b)"], "Subscribe the tenant's webhook to message_sent, message_edited, message_deleted, "
        "message_delivery_receipt and message_read_receipt (components.cometchat.providers.webhook)."),
    "monitoring-tenant-watched": _m(
        _MONITORING, "Deploy the tenant's Monitoring part (components.monitoring): ingest errors, throttles, API 5xx, "
        "auth-failure and silence alarms and the evidence-tamper rule, each notifying the tenant's own encrypted topic.",
        prowler=["cloudwatch_log_metric_filter_authentication_failures",
                 "cloudwatch_log_metric_filter_disable_or_scheduled_deletion_of_kms_cmk"],
        aws_config=["cloudwatch-alarm-action-check"]),
    "monitoring-own-tenant-only": _m(
        _MONITORING + _ACCESS, "Point the tenant's alarms, rules and targets only at its own topic, function, API, key, "
        "buckets, log group and roles; give the other tenant its own monitoring."),
    "monitoring-tamper-pattern-complete": _m(
        _MONITORING, "Build the tamper rule's event pattern from the tenant's own key, audit bucket and log group "
        "(components.monitoring_documents.tamper_pattern).",
        prowler=["cloudwatch_log_metric_filter_disable_or_scheduled_deletion_of_kms_cmk"]),
    "monitoring-topic-protected": _m(
        _MONITORING + ["164.312(a)(2)(iv)"], "Encrypt the alarm topic with the tenant's key (kms_master_key_id) and "
        "let only cloudwatch.amazonaws.com and events.amazonaws.com of this account publish.",
        prowler=["sns_topics_kms_encryption_at_rest_enabled"]),
    "access-minimum-necessary": _m(
        ["164.502(b)", "164.514(d)"], "Give each role only the scopes its care function needs (patient [own], "
        "provider [panel], care-coordinator [assigned], admin [audit], front-desk [scheduling]); never audit "
        "together with clinical scopes, never every scope."),
    "notifications-email-sms-phi-free": _m(
        ["164.514(b)(2)", "164.502(b)", "164.312(e)(1)"], "Make the template a pointer, e.g. \"You have a new message "
        "in your care portal. Log in to view it.\" (placeholders: {{deep_link}}, {{app_name}})."),
    "notifications-push-in-app-phi-free": _m(
        ["164.514(b)(2)", "164.502(b)"], "Keep push and in-app texts pointer-only too; lock screens show them."),
    "ai-features-baa-covered": _m(
        _BAA, "Turn the feature or extension off, or list it in hipaachat:baaCoveredFeatures once the BAA covers it."),
    "production-baa-attested": _m(
        _BAA, "Record the signed BAA in the tenant file: baa: {signed: YYYY-MM-DD (not in the future), reference}."),
    "production-cometchat-plan-hipaa-eligible": _m(
        _BAA, "Set hipaachat:cometchatPlan {hipaaEligible: true, reference, attestedBy} once CometChat confirms."),
    "production-oncall-recorded": _m(
        _MONITORING, "Set hipaachat:oncall to the team's real on-call rotation (email, https pager or topicArn) "
        "instead of the shipped example endpoints, then `hipaachat stacks sync`."),
    "production-cometchat-app-protected": _m(
        ["164.312(c)(1)", "164.308(a)(7)(ii)(A)"], "Register production CometChat apps with protect=True so a region "
        "or name change can never replace (delete) a tenant's app and its message history."),
    "policy-config-invalid": _m(
        ["164.316(a)"], "Fix the stack's hipaachat: settings; isolation, encryption, residency, retention and "
        "notification policies cannot be relaxed, production gates only in prototype."),
    "waivers-valid": _m(
        ["164.316(a)", "164.316(b)(1)"], "Fix or renew the waiver in policies/waivers.yaml (policy, tenant or urn, "
        "reason, approved_by, expires within a year), or fix the underlying violation."),
    "waiver-applied": _m(
        ["164.316(b)(1)"], "Nothing to do before the waiver expires; fix the underlying violation by then."),
}
