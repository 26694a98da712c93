"""hipaachat: one Tenant component per tenant file in stacks/tenants/<stack>/."""

from pathlib import Path

from components.program import deploy_stack

deploy_stack(Path(__file__).resolve().parent)
