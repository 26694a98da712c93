"""How every `hipaachat` command speaks on stderr: a warning, or one red line and its exit code.

Messages name user files and values (paths, tenant ids, YAML keys), so they are printed as text,
never as rich markup: a `[...]` in a message must show, not vanish as a style tag.
"""

from __future__ import annotations

import sys
from typing import NoReturn

from rich.console import Console
from rich.markup import escape

EXIT_BAD_INPUT = 2
stderr = Console(stderr=True)


# Wide enough for any table a command prints: rich sizes columns to their content, so a wide
# console never pads, it only stops cutting "lindenhof-praxis" to "linde…" in CI logs.
PIPE_WIDTH = 4096


def stdout_console() -> Console:
    """Stdout for tables: the terminal's width at a terminal; piped or in CI, never truncated or wrapped."""
    return Console() if sys.stdout.isatty() else Console(width=PIPE_WIDTH)


def fail(message: str, code: int = EXIT_BAD_INPUT, *, label: str = "error") -> NoReturn:
    """Print `label: message` in red on stderr and exit with `code` (2 = bad input unless said otherwise)."""
    stderr.print(f"[bold red]{label}:[/] {escape(message)}", markup=True, highlight=False, soft_wrap=True)
    sys.exit(code)


def warn(message: str) -> None:
    """Print `warning: message` in yellow on stderr; the command goes on."""
    stderr.print(f"[yellow]warning:[/] {escape(message)}", highlight=False, soft_wrap=True)
