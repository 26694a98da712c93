"""`hipaachat trail --stack` derives the names the program declares (one source of truth), offline."""

from __future__ import annotations

from scripts.engine.capture import run_program
from scripts.engine.models import tenant_owners
from scripts.project import Project, load_stack
from scripts.trail.locate import declared


def test_declared_names_are_the_programs_own(project_root) -> None:
    project = Project.find(project_root)
    config = load_stack(project, "local")
    resources = run_program(project_root, "local", config.values, config.secret_keys)
    owner = tenant_owners(resources)
    for tenant_id in ("sunrise-clinic", "lindenhof-praxis"):
        mine = {(r.type, r.name): r.inputs for r in resources if owner.get(r.urn) == tenant_id}
        target = declared(project, "local", tenant_id)
        assert target.log_group == mine[("aws:cloudwatch/logGroup:LogGroup", f"{tenant_id}-audit")]["name"]
        assert target.bucket == mine[("aws:s3/bucket:Bucket", f"{tenant_id}-audit-archive")]["bucket"]
        assert target.key_secret == mine[("aws:secretsmanager/secret:Secret", f"{tenant_id}-pseudonym-key")]["name"]
        [tenant] = [i for (t, _), i in mine.items() if t == "hipaachat:index:Tenant"]
        assert target.region == tenant["awsRegion"]
        query = mine[("aws:cloudwatch/queryDefinition:QueryDefinition", f"{tenant_id}-trail-query")]
        assert query["logGroupNames"] == [target.log_group]
