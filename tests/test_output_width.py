"""Output read in CI logs and pull request bodies is never cut or wrapped at a terminal's 80 columns."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from scripts.promote.models import Gate
from scripts.promote.render import gates_markdown

HIPAACHAT = str(Path(sys.executable).with_name("hipaachat"))


def piped(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """As CI runs a command: stdout a pipe, no COLUMNS (rich would otherwise assume 80)."""
    environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    return subprocess.run([HIPAACHAT, *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=environ)


def test_tenants_list_piped_keeps_every_cell_whole(project_copy: Path) -> None:
    path = project_copy / "stacks" / "tenants" / "local" / "lindenhof-praxis.yaml"
    long_name = "Lindenhof Praxis fuer Allgemeinmedizin und Innere Medizin (synthetic)"
    text = path.read_text()
    start = text.index("\nname: ") + 1
    path.write_text(text[:start] + f'name: "{long_name}"' + text[text.index("\n", start):])
    result = piped("tenants", "list", "--stack", "local", cwd=project_copy)
    assert result.returncode == 0, result.stderr
    assert "…" not in result.stdout
    row = next(line for line in result.stdout.splitlines() if "lindenhof-praxis" in line)
    assert long_name in row  # one line, the whole name: no ellipsis, no wrap mid-word


def test_the_promotion_summary_for_a_pull_request_is_a_markdown_table_with_whole_rows() -> None:
    detail = ("stacks/tenants/production/harbor-clinic.yaml plans with no mandatory violation across 57 resources "
              "in stack production | including a pipe")
    markdown = gates_markdown([Gate(name="destination-plan", passed=True, detail=detail),
                               Gate(name="committed", passed=False, detail="untracked", fix="git add it")],
                              "hipaachat promote prototype -> production: harbor-clinic")
    lines = markdown.splitlines()
    assert lines[0] == "#### hipaachat promote prototype -> production: harbor-clinic"
    assert lines[2:4] == ["| gate | result | detail | fix |", "| --- | --- | --- | --- |"]
    assert lines[4] == ("| `destination-plan` | pass | " + detail.replace("|", "\\|") + " |  |")
    assert lines[5] == "| `committed` | **FAIL** | untracked | git add it |"
    assert len(lines) == 6
