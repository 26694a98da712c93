"""What a bucket, role or log group's ARN will say, from the name it is given.

At a first `pulumi preview` an ARN is unknown (the provider computes it), but the name it is
derived from is an input the program wrote: `arn:aws:s3:::<bucket>`, `arn:aws:iam::<account>:
role/<name>`, `arn:aws:logs:<region>:<account>:log-group:<name>`. Matching a policy's literal
ARN or wildcard pattern on (service, resource) -- partition, region and account aside -- tells
which tenant's resource it names before any ARN exists, so isolation shortcuts written as
literals are refused at preview, where CI and reviewers see them.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from typing import Any

from policies.hipaa.contracts import BUCKETS, IAM_ROLE, LOG_GROUP

# A resource's key: (service, resource part of its ARN without sub-paths), e.g. ("s3", "bucket").
Key = tuple[str, str]

_ARN = re.compile(r"^arn:[^:]+:(?P<service>[^:]+):[^:]*:[^:]*:(?P<rest>.+)$")
_WILDCARD = re.compile(r"[*?]")
# Accounts are principals, never a tenant's resource: `arn:aws:iam::<12 digits>:root` or the bare id.
ACCOUNT_ROOT = re.compile(r"^(arn:[^:]+:iam::\d{12}:root|\d{12})$")
# Which input names each kind of resource, and the service whose ARNs it derives.
NAME_INPUTS = {**{bucket: ("bucket", "s3") for bucket in BUCKETS}, IAM_ROLE: ("name", "iam"),
               LOG_GROUP: ("name", "logs")}


def arn_key(arn: str) -> Key | None:
    """The key an ARN (or ARN pattern) points into; None for ARNs of other kinds and non-ARNs."""
    match = _ARN.match(arn)
    if match is None:
        return None
    service, rest = match["service"], match["rest"]
    if service == "s3":
        return "s3", rest.split("/", 1)[0]
    if service == "iam" and rest.startswith("role/"):
        return "iam", rest if _WILDCARD.search(rest) else "role/" + rest.rsplit("/", 1)[-1]
    if service == "logs" and rest.startswith("log-group:"):
        group = rest[len("log-group:"):].split(":log-stream:", 1)[0]
        return "logs", "log-group:" + (group[:-2] if group.endswith(":*") else group)
    return None


def name_key(resource_type: str, props: dict[str, Any]) -> Key | None:
    """The key of a bucket, role or log group from its name input; None if unnamed or unknown."""
    field, service = NAME_INPUTS.get(resource_type, (None, None))
    name = props.get(field) if field else None
    if not isinstance(name, str) or not name:
        return None
    return service, {"s3": name, "iam": f"role/{name}", "logs": f"log-group:{name}"}[service]


def is_pattern(key: Key) -> bool:
    return bool(_WILDCARD.search(key[1]))


def covers(pattern: Key, key: Key) -> bool:
    """Whether an IAM wildcard pattern (`*`, `?`) on (service, resource) matches `key`."""
    return pattern[0] == key[0] and fnmatchcase(key[1], pattern[1])
