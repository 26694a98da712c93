"""Which pulumi-aws resource types accept tags, asked of pulumi-aws itself.

"Every tenant-owned AWS resource carries the tenant tag" only makes sense for types that can be
tagged (a KMS alias, a role policy or a bucket's versioning cannot). Rather than keep a list that
drifts from the provider, the pack asks the installed pulumi-aws: a resource class with a `tags`
property is taggable. Modules are imported lazily, once per type, in the pack process only.
"""

from __future__ import annotations

import importlib
import keyword
from functools import lru_cache


class UnknownAwsType(LookupError):
    """The type token names no pulumi-aws resource installed here (a typo, or a newer provider)."""


@lru_cache(maxsize=None)
def is_taggable(resource_type: str) -> bool:
    """True when `aws:<module>/<name>:<Class>` has a `tags` input; raises UnknownAwsType if unresolvable."""
    try:
        _, module_path, class_name = resource_type.split(":")
    except ValueError as exc:
        raise UnknownAwsType(f"{resource_type} is not a pulumi-aws type token") from exc
    module = module_path.split("/", 1)[0]
    name = f"pulumi_aws.{module}_" if keyword.iskeyword(module) else f"pulumi_aws.{module}"
    if module == "index":
        name = "pulumi_aws"
    try:
        cls = getattr(importlib.import_module(name), class_name)
    except (ImportError, AttributeError) as exc:
        raise UnknownAwsType(f"{resource_type} is not a resource of the installed pulumi-aws") from exc
    return isinstance(getattr(cls, "tags", None), property)
