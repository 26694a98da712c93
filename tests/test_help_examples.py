"""Examples a person copies from `--help` and the README must work today: no offboarding date in the future."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

HIPAACHAT = str(Path(sys.executable).with_name("hipaachat"))


def test_offboard_examples_never_use_a_future_date(project_root: Path) -> None:
    help_text = subprocess.run([HIPAACHAT, "tenants", "offboard", "--help"], capture_output=True, text=True,
                               timeout=60, cwd=project_root).stdout
    group_help = subprocess.run([HIPAACHAT, "tenants", "--help"], capture_output=True, text=True, timeout=60,
                                cwd=project_root).stdout
    readme = (project_root / "README.md").read_text()
    dates = [dt.date.fromisoformat(d) for text in (help_text, group_help, readme)
             for d in re.findall(r"(?:--on |offboarded_on: )(\d{4}-\d{2}-\d{2})", text)]
    assert dates, "the examples show a date"
    assert all(d <= dt.date.today() for d in dates), dates
