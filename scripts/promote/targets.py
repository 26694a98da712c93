"""Which stacks `--from`/`--to` name, and where a promoted tenant lands.

An environment (`prototype`, `production`) is all its stacks: the stack of that name and its
shards `<env>-*`. Any other name is one stack. A tenant already in a stack of the destination
environment is re-promoted there (its shard is its home until `shards move` changes it). A new
tenant goes to `--stack` when given; otherwise to the one stack whose `hipaachat:residencies`
names its residency, else to the one stack that accepts it at all; anything else is ambiguous
and refused, naming the candidates.
"""

from __future__ import annotations

from pathlib import Path

from components.catalog import catalog_dir, tenant_file_names
from components.settings import fleet_of
from scripts.project import InputError, Project, load_stack

ENVIRONMENTS = ("prototype", "production")


def stacks_of(project: Project, name: str) -> list[str]:
    """The stacks `name` designates: every stack of an environment, or the one stack named."""
    if name in ENVIRONMENTS:
        found = [s for s in project.stacks() if fleet_of(s) == name]
        if not found:
            raise InputError(f"no {name} stacks in stacks/ (stacks/Pulumi.{name}.yaml or stacks/Pulumi.{name}-*.yaml); "
                             f"create one with `hipaachat stacks new {name} --environment {name}`")
        return found
    load_stack(project, name)
    return [name]


def tenant_files(project: Project, stack: str) -> dict[str, Path]:
    """A stack's tenant files by tenant id (the catalog loader's names: <id>.yaml or <id>.yml)."""
    return {p.stem: p for p in reversed(tenant_file_names(catalog_dir(project.root, stack))[0])}


def holder(project: Project, stacks: list[str], tenant: str) -> str | None:
    """The stack among `stacks` that holds `tenant` (the first, if `stacks check` would refuse two)."""
    return next((s for s in stacks if tenant in tenant_files(project, s)), None)


def place(project: Project, stacks: list[str], tenant: str, residency: str, explicit: str | None) -> str:
    """The destination stack for `tenant` (see the module docstring for the rule)."""
    home = holder(project, stacks, tenant)
    if explicit is not None:
        if explicit not in stacks:
            raise InputError(f"--stack {explicit}: not one of the destination's stacks ({', '.join(stacks)})")
        if home is not None and home != explicit:
            raise InputError(f"tenant {tenant} lives in {home}; promote it there, or move it first with "
                             f"`hipaachat shards move {tenant} --to {explicit}`")
        return explicit
    if home is not None:
        return home
    if len(stacks) == 1:
        return stacks[0]
    settings = {s: load_stack(project, s).settings for s in stacks}
    named = [s for s in stacks if settings[s].residencies and residency in settings[s].residencies]
    accepting = [s for s in stacks if settings[s].allows(residency)]
    for candidates in (named, accepting):
        if len(candidates) == 1:
            return candidates[0]
    raise InputError(f"tenant {tenant} (residency {residency}) could go to "
                     f"{', '.join(named or accepting) or 'none of ' + ', '.join(stacks)}; say which with --stack STACK "
                     "(a stack's hipaachat:residencies decides when exactly one stack names the residency)")
