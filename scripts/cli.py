"""The `hipaachat` operator CLI.

Exit codes are a contract CI relies on: 0 success, 1 a mandatory policy violation or a
policy pack that failed (a real deploy would be blocked either way), 2 bad input (the message
names file, field and fix).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import click

from components.files import InputFileError
from scripts.console import fail
from scripts.project import InputError
from scripts.tenants.command import tenants


class _Hipaachat(click.Group):
    """Bad input from any command is exit 2 with one message, never a traceback; heavy commands load lazily.

    Commands whose imports are heavy (the emulator's web stack) are imported only when invoked,
    so that every other command, and every bad-input answer, starts in a fraction of a second.
    """

    lazy = {"emulator": "scripts.emulator.command:emulator", "promote": "scripts.promote.command:promote",
            "audit": "scripts.audit.command:audit", "stacks": "scripts.stacks:stacks",
            "shards": "scripts.shards:shards", "plan": "scripts.plan.command:plan",
            "trail": "scripts.trail.command:trail"}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module, attribute = self.lazy[cmd_name].split(":")
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (InputFileError, InputError) as exc:
            fail(str(exc))


@click.group(cls=_Hipaachat, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--cwd", "cwd", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Run in this project directory instead of the current one (like `pulumi --cwd`).")
@click.pass_context
def main(ctx: click.Context, cwd: Path | None) -> None:
    """Tenant-isolated, HIPAA-grade healthcare messaging on CometChat and AWS, as Pulumi code.

    A tenant is a YAML file under stacks/tenants/<stack>/; `pulumi up` provisions it and the
    policy pack in policies/hipaa refuses anything that breaks isolation or retention.
    Commands find the project like `pulumi` does: Pulumi.yaml here or in a parent, or --cwd.

    \b
    Start here:
      hipaachat plan --stack local          offline preview + policy pack, no credentials
      hipaachat tenants validate --stack local
      hipaachat tenants new --stack local my-clinic --residency eu
    """
    ctx.obj = cwd


main.add_command(tenants)
