"""A finding names the tenant-file field as the file spells it, at the place it is written.

`retention.audit_log_days` is the old name of `retention.audit_days` and keeps working, so a
rule that names one spelling must still send the person to the key they actually wrote (and
not to the parent `retention:` line, where a missing key would be added).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.engine.locate import distinct, locate
from scripts.engine.models import Violation

TENANT = """\
id: maple-clinic
name: Maple Clinic (synthetic)
residency: us
retention:
  {key}: 30
"""
FLOOR = ("The tenant keeps each data type at least its floor.\n"
         "retention.audit_days: 30 is below the audit floor of 2192 days; set it to 2192 or more")
LOG_GROUP = ("retention.audit_log_days: 30 is below the 2192-day minimum; set it to 2192 or more "
             "(detail: log group retention_in_days = 30)")


@pytest.mark.parametrize("key", ["audit_days", "audit_log_days"])
def test_either_spelling_of_the_audit_retention_is_found_where_it_is_written(tmp_path: Path, key: str) -> None:
    catalog = tmp_path / "stacks" / "tenants" / "local"
    catalog.mkdir(parents=True)
    (catalog / "maple-clinic.yaml").write_text(TENANT.format(key=key))
    violations = [Violation(policy=policy, enforcement="mandatory", tenant="maple-clinic", message=message)
                  for policy, message in (("retention-floor-met", FLOOR), ("retention-log-group-minimum", LOG_GROUP))]
    located = locate(violations, tmp_path, "local")
    assert {(v.file, v.line, v.column, v.field) for v in located} == {
        ("stacks/tenants/local/maple-clinic.yaml", 5, len(f"  {key}: ") + 1, f"retention.{key}")}
    assert [v.located().split(": ", 2)[1] for v in located] == [f"retention.{key}"] * 2
    # The JSON's message says the same field; the other spelling appears nowhere.
    other = "audit_log_days" if key == "audit_days" else "audit_days"
    assert not any(f"retention.{other}" in v.message or f"retention.{other}" in v.located() for v in located)
    assert len(distinct(located)) == 2  # two policies, two different findings about one key


def test_a_field_the_file_does_not_set_points_at_its_parent(tmp_path: Path) -> None:
    catalog = tmp_path / "stacks" / "tenants" / "local"
    catalog.mkdir(parents=True)
    (catalog / "maple-clinic.yaml").write_text(TENANT.format(key="messages_days"))
    located = locate([Violation(policy="retention-floor-met", enforcement="mandatory", tenant="maple-clinic",
                                message=FLOOR)], tmp_path, "local")
    assert (located[0].line, located[0].column, located[0].field) == (4, None, "retention.audit_days")
