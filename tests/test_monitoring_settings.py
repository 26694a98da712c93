"""`hipaachat:oncall` and `hipaachat:monitoring`: production must say who is paged; bad values are bad input."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from components.monitoring_settings import ENVIRONMENT_DEFAULTS, OnCall
from components.settings import StackSettings

HIPAACHAT = str(Path(sys.executable).with_name("hipaachat"))
PRODUCTION_FILES = ("stacks/Pulumi.production.yaml", "stacks/environments/production.yaml")


def _edit(project: Path, edit) -> None:
    for name in PRODUCTION_FILES:
        path = project / name
        path.write_text(edit(path.read_text()))


def _plan(project: Path) -> subprocess.CompletedProcess:
    return subprocess.run([HIPAACHAT, "plan", "--stack", "production"], cwd=project, capture_output=True, text=True,
                          timeout=120)


def test_production_without_oncall_is_bad_input_naming_file_key_and_example(project_copy: Path) -> None:
    _edit(project_copy, lambda text: re.sub(r"  hipaachat:oncall:\n(    .*\n)+", "", text))
    result = _plan(project_copy)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert "stacks/Pulumi.production.yaml" in result.stderr and "stacks/environments/production.yaml" in result.stderr
    assert "config.hipaachat:oncall:" in result.stderr and "email: [oncall@example.org]" in result.stderr


def test_malformed_threshold_is_bad_input_naming_file_and_key(project_copy: Path) -> None:
    _edit(project_copy, lambda text: text.replace("silenceHours: 12", "silenceHours: soon"))
    result = _plan(project_copy)
    assert result.returncode == 2, result.stderr
    assert "config.hipaachat:monitoring.silenceHours:" in result.stderr


def test_oncall_refuses_endpoints_that_are_not_email_or_https() -> None:
    with pytest.raises(ValidationError, match="not an email address"):
        OnCall.model_validate({"email": ["oncall"], "https": []})
    with pytest.raises(ValidationError, match="not an email address"):
        OnCall.model_validate({"https": ["http://pager.example.org/hook"]})
    with pytest.raises(ValidationError, match="names no email"):
        OnCall.model_validate({})


def test_thresholds_default_per_environment_and_a_stack_overrides_one() -> None:
    prototype = StackSettings.model_validate({"environment": "prototype", "monitoring": {"authFailures": 7}})
    assert prototype.oncall is None  # prototype may run without a pager
    resolved = prototype.monitoring.resolved("prototype")
    assert resolved.auth_failures == 7
    assert resolved.silence_hours == ENVIRONMENT_DEFAULTS["prototype"].silence_hours
    assert ENVIRONMENT_DEFAULTS["production"].silence_hours < ENVIRONMENT_DEFAULTS["prototype"].silence_hours
