"""Audit evidence of each tenant's trail: triggers, saved query, record schema and who can read the key."""

from __future__ import annotations

from components.ingest.correlation import SCHEMA, TRAIL_TRIGGERS
from tests.audit.conftest import AuditRun


def test_each_tenant_shows_its_trail(local_audit: AuditRun) -> None:
    for tenant in local_audit.json()["tenants"]:
        tid, trail = tenant["id"], tenant["trail"]
        assert set(TRAIL_TRIGGERS) <= set(trail["subscribed_triggers"]) and trail["missing_triggers"] == []
        assert trail["saved_query"] == f"hipaachat/local/{tid}/who-saw-what"
        assert trail["saved_query_log_groups"] == [f"/hipaachat/local/{tid}/audit"]
        assert trail["record_schema"] == SCHEMA
        assert trail["pseudonym_key_secret"] == f"hipaachat/local/{tid}/pseudonym-key"
        # The auditor and the ingest function, and no one else (no operator, no other tenant).
        assert trail["key_reader_roles"] == [f"hipaachat-local-{tid}-auditor", f"{tid}-ingest-role"]
