"""The tenant catalog: what a well-formed tenant file is, and how bad ones are reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.catalog import CatalogError, load_catalog
from components.retention_plan import retention_plan

GOOD = """\
id: {id}
name: {name}
residency: {residency}
retention:
  audit_log_days: 2192
baa:
  signed: 2026-10-01
  reference: BAA-2026-041
roles:
  patient:    {{sees: [own], clinical_content: true}}
  admin:      {{sees: [audit], clinical_content: false}}
  front-desk: {{sees: [scheduling], clinical_content: false}}
notifications:
  push: "You have a new message from your care team."
  in_app: "New message"
  email: "You have a new message in your care portal. Log in to view it."
  sms: "New message in your care portal: {{{{deep_link}}}}"
"""


def write(directory: Path, tenant_id: str, text: str | None = None, **fields: str) -> Path:
    values = {"id": tenant_id, "name": f"Clinic {tenant_id} (synthetic)", "residency": "us", **fields}
    path = directory / f"{tenant_id}.yaml"
    path.write_text(text if text is not None else GOOD.format(**values))
    return path


def issues_of(directory: Path) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        load_catalog(directory, display_root=directory.parent)
    return [str(i) for i in caught.value.issues]


def test_example_catalogs_load(project_root: Path) -> None:
    for stack in ("local", "prototype"):
        tenants = load_catalog(project_root / "stacks" / "tenants" / stack)
        assert tenants, stack
    local = {t.tenant.residency for t in load_catalog(project_root / "stacks" / "tenants" / "local")}
    assert local == {"us", "eu", "in"}


def test_defaults_are_the_safe_ones(tmp_path: Path) -> None:
    text = GOOD.format(id="quiet-clinic", name="Quiet", residency="eu").replace(
        "retention:\n  audit_log_days: 2192\n", "")
    write(tmp_path, "quiet-clinic", text)
    tenant = load_catalog(tmp_path)[0].tenant
    # Unset retention is the floor (components.retention_plan), never a number below it.
    assert tenant.retention.configured == {"messages": None, "audit": None}
    assert retention_plan(tenant).by_type["audit"].kept == 2192
    assert tenant.features.ai is False


def test_bad_field_names_file_line_field_and_fix(tmp_path: Path) -> None:
    text = GOOD.format(id="sunrise", name="Sunrise", residency="mars")
    write(tmp_path, "sunrise", text)
    [issue] = issues_of(tmp_path)
    assert issue.startswith(f"{tmp_path.name}/sunrise.yaml:3:12: residency:")
    assert "use us, eu or in" in issue


def test_every_error_in_every_file_is_reported_at_once(tmp_path: Path) -> None:
    first = GOOD.format(id="alpha", name="Alpha", residency="us").replace("audit_log_days: 2192", "audit_log_days: 2200")
    write(tmp_path, "alpha", first.replace('  in_app: "New message"\n', ""))
    write(tmp_path, "beta", GOOD.format(id="beta", name="Beta", residency="us").replace("residency: us", "residency: xx"))
    issues = issues_of(tmp_path)
    assert len(issues) == 3
    assert any("alpha.yaml:5:19: retention.audit_log_days:" in i and "use 2557" in i for i in issues)
    assert any("alpha.yaml" in i and "notifications.in_app: is required" in i for i in issues)
    assert any("beta.yaml:3:12: residency:" in i for i in issues)


def test_typo_in_a_key_is_refused_not_ignored(tmp_path: Path) -> None:
    write(tmp_path, "gamma", GOOD.format(id="gamma", name="Gamma", residency="us").replace("features", "feature")
          + "featurs:\n  ai: true\n")
    [issue] = issues_of(tmp_path)
    assert "featurs: is not a tenant field" in issue


def test_duplicate_names_across_files_are_caught(tmp_path: Path) -> None:
    write(tmp_path, "one", name="Shared Name")
    write(tmp_path, "two", name="shared name")
    [issue] = issues_of(tmp_path)
    assert "two.yaml:2:7: name:" in issue and "already used by" in issue and "one.yaml" in issue


def test_id_must_match_file_name(tmp_path: Path) -> None:
    write(tmp_path, "copy", GOOD.format(id="original", name="Orig", residency="us"))
    [issue] = issues_of(tmp_path)
    assert "copy.yaml:1:5: id:" in issue and "set id: copy, or rename the file to original.yaml" in issue


@pytest.mark.parametrize("bad_id", ["Upper", "ends-", "1st-clinic", "a" * 40, "under_score"])
def test_ids_must_be_dns_safe(tmp_path: Path, bad_id: str) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(GOOD.format(id=bad_id, name="X", residency="us"))
    [issue] = issues_of(tmp_path)
    assert "id: must be DNS-safe" in issue


def test_admin_never_sees_clinical_content(tmp_path: Path) -> None:
    text = GOOD.format(id="delta", name="Delta", residency="us").replace(
        "admin:      {sees: [audit], clinical_content: false}", "admin:      {sees: [audit], clinical_content: true}")
    write(tmp_path, "delta", text)
    [issue] = issues_of(tmp_path)
    assert "delta.yaml:11:49: roles.admin.clinical_content: must be false" in issue


def test_front_desk_sees_scheduling_only(tmp_path: Path) -> None:
    text = GOOD.format(id="eps", name="Eps", residency="us").replace("front-desk: {sees: [scheduling]",
                                                                     "front-desk: {sees: [scheduling, panel]")
    write(tmp_path, "eps", text)
    [issue] = issues_of(tmp_path)
    assert "eps.yaml:12:22: roles.front-desk.sees: the front desk must see only [scheduling]" in issue


def test_unknown_visibility_scope_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "zeta", GOOD.format(id="zeta", name="Zeta", residency="us").replace("[own]", "[everything]"))
    [issue] = issues_of(tmp_path)
    assert "roles.patient.sees:" in issue and "unknown visibility" in issue


def test_custom_roles_are_allowed_within_cometchat_limits(tmp_path: Path) -> None:
    custom = "".join(f"  role-{i}: {{sees: [care-team], clinical_content: true}}\n" for i in range(25))
    write(tmp_path, "eta", GOOD.format(id="eta", name="Eta", residency="us").replace("roles:\n", "roles:\n" + custom))
    [issue] = issues_of(tmp_path)
    assert "CometChat allows 24" in issue


def test_invalid_yaml_points_at_the_line(tmp_path: Path) -> None:
    write(tmp_path, "theta", "id: theta\nname: [unclosed\nresidency: us\n")
    [issue] = issues_of(tmp_path)
    assert "theta.yaml:" in issue and "(yaml): not valid YAML" in issue


def test_empty_catalog_is_an_error(tmp_path: Path) -> None:
    [issue] = issues_of(tmp_path)
    assert "no tenant files found" in issue and "hipaachat tenants new" in issue


def test_a_copied_id_names_the_file_that_owns_it_and_never_suggests_overwriting(tmp_path: Path) -> None:
    write(tmp_path, "sunrise-clinic")
    write(tmp_path, "river-clinic", GOOD.format(id="sunrise-clinic", name="River", residency="us"))
    [issue] = issues_of(tmp_path)
    assert issue.startswith(f"{tmp_path.name}/river-clinic.yaml:1:5: id: 'sunrise-clinic' is already taken by "
                            f"{tmp_path.name}/sunrise-clinic.yaml")
    assert "set id: river-clinic" in issue and "rename" not in issue


def test_negative_retention_never_suggests_one_day(tmp_path: Path) -> None:
    write(tmp_path, "neg", GOOD.format(id="neg", name="Neg", residency="us").replace("2192", "-1"))
    [issue] = issues_of(tmp_path)
    assert "neg.yaml:5:19: retention.audit_log_days: -1 is negative" in issue
    assert "use 1 " not in issue and "at least 2192" in issue


def test_an_empty_file_says_empty_and_points_at_tenants_new(tmp_path: Path) -> None:
    write(tmp_path, "blank", "# nothing yet\n")
    [issue] = issues_of(tmp_path)
    assert "blank.yaml:1: (file): the file is empty" in issue and "hipaachat tenants new" in issue


def test_admin_clinical_content_points_at_its_own_line_and_field(tmp_path: Path) -> None:
    text = GOOD.format(id="gamma", name="Gamma", residency="us").replace(
        "admin:      {sees: [audit], clinical_content: false}", "admin:\n    sees: [audit]\n    clinical_content: true")
    write(tmp_path, "gamma", text)
    [issue] = issues_of(tmp_path)
    assert issue.startswith(f"{tmp_path.name}/gamma.yaml:13:23: roles.admin.clinical_content: must be false")
