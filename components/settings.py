"""Stack settings: everything under the `hipaachat:` namespace of `stacks/Pulumi.<stack>.yaml`.

One model serves three readers: the program (through `pulumi.Config`), the CLI (which reads
the YAML file directly, offline) and the policy pack (through `PULUMI_CONFIG`, which the
Pulumi CLI sets for packs too). Defaults are the safe reading so that a stack that says
nothing is still protected.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from components.cometchat.tuning import ClientTuning
from components.monitoring_settings import OnCall, Thresholds
from components.retention_floors import Care, Floor, FloorRow, floors_for

NAMESPACE = "hipaachat"
DEFAULT_RETENTION_DAYS = 2192  # 6 years: 45 CFR 164.316(b)(2)(i), applied to audit evidence.

Environment = Literal["prototype", "production"]
ResidencyCode = Literal["us", "eu", "in"]


class Region(BaseModel):
    """Where one residency lives: CometChat's data region and the AWS region beside it."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    cometchat_region: Literal["us", "eu", "in"] = Field(alias="cometchatRegion")
    aws_region: str = Field(alias="awsRegion", pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")


# CometChat's US region is in Ohio (us-east-2); EU and IN locations are not published, so the
# AWS regions below are the closest in-jurisdiction choices. Stacks may override them.
DEFAULT_REGIONS: dict[str, Region] = {
    "us": Region(cometchatRegion="us", awsRegion="us-east-2"),
    "eu": Region(cometchatRegion="eu", awsRegion="eu-central-1"),
    "in": Region(cometchatRegion="in", awsRegion="ap-south-1"),
}


class AwsEndpoints(BaseModel):
    """A custom AWS endpoint (moto on loopback for the `local` stack); absent = real AWS."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    url: str
    access_key: str = Field("test", alias="accessKey")
    secret_key: str = Field("test", alias="secretKey")


class CometChatEndpoints(BaseModel):
    """Where the CometChat APIs are. Real CometChat by default; the emulator for `local`.

    `rest_url` is a template with `{app_id}` and `{region}` placeholders.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    management_url: str = Field("https://apimgmt.cometchat.io", alias="managementUrl")
    rest_url: str = Field("https://{app_id}.api-{region}.cometchat.io/v3", alias="restUrl")


class CometChatPlan(BaseModel):
    """The stack's record that its CometChat plan is HIPAA-eligible (there is no API flag)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    hipaa_eligible: bool = Field(False, alias="hipaaEligible")
    reference: str | None = None
    attested_by: str | None = Field(None, alias="attestedBy")


class StackSettings(BaseModel):
    """The `hipaachat:*` settings of one stack."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    environment: Environment = "prototype"
    regions: dict[str, Region] = Field(default_factory=lambda: dict(DEFAULT_REGIONS))
    retention_minimum_days: int = Field(DEFAULT_RETENTION_DAYS, alias="retentionMinimumDays", ge=1)
    # Rows that replace or extend policies/hipaa/retention_floors.yaml for this stack (counsel reviews them).
    retention_floors: list[FloorRow] = Field(default_factory=list, alias="retentionFloors")
    aws_endpoint: AwsEndpoints | None = Field(None, alias="awsEndpoint")
    cometchat: CometChatEndpoints = Field(default_factory=CometChatEndpoints)
    cometchat_plan: CometChatPlan = Field(default_factory=CometChatPlan, alias="cometchatPlan")
    baa_covered_features: list[str] = Field(default_factory=list, alias="baaCoveredFeatures")
    policy: dict[str, Literal["advisory", "mandatory", "disabled"]] = Field(default_factory=dict)
    # Timeouts and retry budget of the CometChat client (components.cometchat.tuning.ClientTuning).
    cometchat_client: dict[str, Any] | None = Field(None, alias="cometchatClient")
    # Prefix of globally unique names (S3 buckets); change it if another AWS account already uses ours.
    name_prefix: str = Field("hipaachat", alias="namePrefix", pattern=r"^[a-z][a-z0-9-]{1,20}$")
    # The residencies this stack may hold (a residency shard such as `production-eu`); None = any.
    residencies: list[ResidencyCode] | None = Field(None, min_length=1)
    # Who is paged and when (components.monitoring_settings); the CLI and the program refuse a
    # production stack without `oncall` (monitoring_settings.oncall_problem).
    oncall: OnCall | None = None
    monitoring: Thresholds = Field(default_factory=Thresholds)
    # Words a reviewer added to components/pointer_vocabulary.yaml for this stack's email/SMS templates.
    pointer_vocabulary: list[str] = Field(default_factory=list, alias="pointerVocabulary")

    @field_validator("pointer_vocabulary")
    @classmethod
    def _plain_words(cls, words: list[str]) -> list[str]:
        """One lower-case word each: a phrase, a number or a placeholder is not vocabulary."""
        bad = [w for w in words if not re.fullmatch(r"[a-z]+(?:'[a-z]+)?", w)]
        if bad:
            raise ValueError(f"{len(bad)} entries are not single lower-case words; list words such as "
                             "[activity, mailbox]")
        return words

    @field_validator("regions", mode="before")
    @classmethod
    def _merge_regions(cls, value: Any) -> Any:
        """A stack overrides single residencies; the others keep their defaults."""
        if isinstance(value, dict):
            merged: dict[str, Any] = {k: v.model_dump(by_alias=True) for k, v in DEFAULT_REGIONS.items()}
            merged.update(value)
            return merged
        return value

    @field_validator("cometchat_client")
    @classmethod
    def _client_tuning(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            ClientTuning.model_validate(value)
        return value

    def floors(self, care: Care | None, minimum: int | None = None) -> dict[str, Floor]:
        """The tenant's retention floors under this stack's minimum (or a stricter `minimum`) and rows."""
        return floors_for(care, max(self.retention_minimum_days, minimum or 0), self.retention_floors)

    def region_for(self, residency: str) -> Region:
        return self.regions[residency]

    def allows(self, residency: str) -> bool:
        """Whether this stack may hold a tenant of `residency` (residency shards hold one or a few)."""
        return self.residencies is None or residency in self.residencies

    @classmethod
    def from_config(cls, values: dict[str, Any]) -> "StackSettings":
        """Build from `hipaachat:`-namespaced keys (as stack files and `PULUMI_CONFIG` hold them).

        Values that arrive as JSON strings (how `PULUMI_CONFIG` carries objects) are decoded.
        Keys of other namespaces (e.g. `aws:region`) are ignored; secret keys are never read.
        """
        own: dict[str, Any] = {}
        for key, value in values.items():
            ns, _, name = key.partition(":")
            if ns != NAMESPACE or not name or name in SECRET_KEYS:
                continue
            if isinstance(value, str) and value[:1] in "[{":
                value = json.loads(value)
            own[name] = value
        return cls.model_validate(own)


def fleet_of(stack: str) -> str | None:
    """The environment whose fleet `stack` belongs to: `production` and `production-eu` -> production.

    Stacks named after an environment share its settings (stacks/environments/<env>.yaml) and
    are its shards; any other stack (e.g. `local`) stands alone.
    """
    for environment in ("prototype", "production"):
        if stack == environment or stack.startswith(f"{environment}-"):
            return environment
    return None


def naming_scope(stack: str) -> str:
    """What physical names (buckets, roles, log groups, aliases) carry instead of the stack name.

    Shards of one environment share a scope, so a tenant keeps every physical name when
    `hipaachat shards move` carries it to another shard (a rename would replace its evidence).
    Tenant ids are unique across an environment (`hipaachat stacks check`), so names stay unique.
    """
    return fleet_of(stack) or stack


# Secret settings are read only by the program, through pulumi.Config().require_secret().
SECRET_KEYS = frozenset({"cometchatManagementKey", "cometchatManagementSecret"})
