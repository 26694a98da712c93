"""The GitHub Actions workflows: schema-valid, holding the invariants a HIPAA deploy needs, and
(for plan.yml) actually run: its `run:` steps execute in order on a pull-request clone."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import jsonschema
import yaml

from scripts.cli import main

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
CHECK_JSONSCHEMA = str(Path(sys.executable).with_name("check-jsonschema"))
SARIF_SCHEMA = json.loads((Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json").read_text())


def load(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True, data.get("on"))  # PyYAML reads the key `on:` as the boolean True
    return data


def steps(workflow: dict) -> list[tuple[str, dict]]:
    return [(job, step) for job, spec in workflow["jobs"].items() for step in spec["steps"]]


def run_scripts() -> list[str]:
    return [step["run"] for name in ("plan.yml", "deploy.yml", "promote.yml") for _, step in steps(load(name))
            if "run" in step]


def test_workflows_validate_against_schemastores_github_workflow_schema() -> None:
    files = sorted(str(p) for p in WORKFLOWS.glob("*.yml"))
    assert [Path(f).name for f in files] == ["deploy.yml", "plan.yml", "promote.yml"]
    result = subprocess.run([CHECK_JSONSCHEMA, "--builtin-schema", "vendor.github-workflows", *files],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_refuses_a_malformed_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n"
                      "        uses: actions/checkout@v5\n    concurrency:\n      cancel-in-progress: maybe\n")
    result = subprocess.run([CHECK_JSONSCHEMA, "--builtin-schema", "vendor.github-workflows", str(broken)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1


def test_every_pulumi_action_step_runs_the_policy_pack() -> None:
    pulumi_steps = [(name, step) for name in ("plan.yml", "deploy.yml", "promote.yml")
                    for _, step in steps(load(name)) if str(step.get("uses", "")).startswith("pulumi/actions")]
    assert len(pulumi_steps) == 3  # prototype up; production preview and up
    for name, step in pulumi_steps:
        assert step["uses"].startswith("pulumi/actions@"), name  # pinned: tests/test_workflow_security.py
        assert "policies/hipaa" in step["with"]["policyPacks"].split(), (name, step)


def test_production_is_reviewed_serialised_and_applies_the_plan_it_previewed() -> None:
    deploy = load("deploy.yml")
    assert deploy["on"]["push"]["branches"] == ["main"]
    # Deploys only when something a deployment is made of changed; a docs-only push deploys nothing.
    paths = deploy["on"]["push"]["paths"]
    for needed in ("stacks/**", "policies/**", "components/**", "__main__.py", "uv.lock"):
        assert needed in paths
    assert not any(p.startswith(("README", "docs", "tests")) for p in paths)
    production = deploy["jobs"]["production"]
    assert production["needs"] == ["stacks", "prototype"]
    assert production["environment"] == "production"
    assert production["concurrency"]["cancel-in-progress"] is False
    assert production["permissions"]["id-token"] == "write"
    pulumi = [s for s in production["steps"] if str(s.get("uses", "")).startswith("pulumi/actions")]
    assert [s["with"]["command"] for s in pulumi] == ["preview", "up"]
    assert pulumi[0]["with"]["plan"] == pulumi[1]["with"]["plan"]
    uploads = [s for s in production["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    assert len(uploads) == 1
    paths = uploads[0]["with"]["path"].split()
    assert "stacks/promotions/" in paths and Path(pulumi[0]["with"]["plan"]).parent.as_posix() + "/" in paths
    steps_ = production["steps"]
    assert steps_.index(uploads[0]) < steps_.index(pulumi[1])  # evidence is kept before the update runs
    # A prototype job skipped for having no tenants must not skip production; a failed one must stop it.
    condition = production["if"]
    assert "!cancelled()" in condition and "needs.prototype.result == 'skipped'" in condition
    assert "needs.prototype.result == 'success'" in condition and "always()" not in condition
    assert any("promote --check" in s.get("run", "") for s in production["steps"])


def test_every_stack_of_an_environment_is_deployed_by_its_own_serialised_matrix_job() -> None:
    """Shards (ENV-*) deploy like their environment's stack: the matrix comes from `shards matrix`."""
    deploy = load("deploy.yml")
    listing = deploy["jobs"]["stacks"]
    script = next(s["run"] for s in listing["steps"] if s.get("id") == "stacks")
    assert "hipaachat shards matrix --environment" in script and "GITHUB_OUTPUT" in script
    for environment in ("prototype", "production"):
        job = deploy["jobs"][environment]
        assert listing["outputs"][environment] == f"${{{{ steps.stacks.outputs.{environment} }}}}"
        assert job["strategy"]["matrix"] == f"${{{{ fromJSON(needs.stacks.outputs.{environment}) }}}}"
        assert f"fromJSON(needs.stacks.outputs.{environment}).include[0] != null" in job["if"]
        assert job["strategy"]["fail-fast"] is False  # never cancel another stack's running `pulumi up`
        assert job["concurrency"] == {"group": "deploy-${{ matrix.stack }}", "cancel-in-progress": False}
        assert job["env"]["HIPAACHAT_STACK"] == "${{ matrix.stack }}"
        for step in job["steps"]:
            if str(step.get("uses", "")).startswith("pulumi/actions"):
                assert step["with"]["stack-name"] == "${{ matrix.stack }}"
            if "hipaachat plan" in step.get("run", ""):
                assert '--stack "$HIPAACHAT_STACK"' in step["run"]
    plan = load("plan.yml")["jobs"]["plan"]
    upload = next(s for s in plan["steps"] if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif"))
    assert "${{ matrix.stack }}" in upload["with"]["category"]  # one code-scanning analysis per stack
    # Without code scanning (private repository, fork PR) the upload fails: a notice, not a red job, and the
    # SARIF is kept as an artifact before the upload is tried.
    assert upload["continue-on-error"] is True
    notice = next(s for s in plan["steps"] if f"steps.{upload['id']}.outcome == 'failure'" in s.get("if", ""))
    assert "::notice" in notice["run"]
    artifact = next(s for s in plan["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact@"))
    assert plan["steps"].index(artifact) < plan["steps"].index(upload) and "plan-sarif" in artifact["with"]["path"]


def test_aws_access_is_oidc_only_never_static_keys() -> None:
    for name in ("plan.yml", "deploy.yml", "promote.yml"):
        text = (WORKFLOWS / name).read_text()
        for forbidden in ("aws-access-key-id", "aws-secret-access-key", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                          "AWS_SESSION_TOKEN"):
            assert forbidden not in text, (name, forbidden)
        workflow = load(name)
        for job_name, job in workflow["jobs"].items():
            aws = [s for s in job["steps"] if str(s.get("uses", "")).startswith("aws-actions/configure-aws-credentials")]
            for step in aws:
                assert step["with"]["role-to-assume"].startswith("${{ vars.")
                assert job["permissions"]["id-token"] == "write", job_name
            if name == "plan.yml":
                assert not aws  # pull requests plan offline, with no cloud credentials at all
    plan = load("plan.yml")
    assert all("id-token" not in grants for grants in
               [plan["permissions"], *(job.get("permissions", {}) for job in plan["jobs"].values())])


def _invocations(script: str) -> list[list[str]]:
    joined = re.sub(r"\\\n\s*", " ", script)
    found = []
    for match in re.finditer(r"\bhipaachat\s+([^|>;&)\n]+)", joined):
        found.append(shlex.split(match.group(1)))
    return found


def test_every_hipaachat_command_in_a_workflow_exists_in_the_cli() -> None:
    invocations = [args for script in run_scripts() for args in _invocations(script)]
    assert len(invocations) >= 8
    seen = set()
    for args in invocations:
        command: click.Command = main
        words = list(args)
        path = []
        while isinstance(command, click.Group):
            name = words.pop(0)
            # get_command, not .commands: the CLI loads heavy commands (audit, promote) only when invoked.
            found = command.get_command(click.Context(command), name)
            assert found is not None, f"hipaachat {' '.join(path + [name])}: no such command"
            command, path = found, path + [name]
        known = {opt for param in command.params for opt in getattr(param, "opts", [])}
        for word in words:
            if word.startswith("--"):
                assert word.split("=")[0] in known, f"hipaachat {' '.join(path)}: no option {word}"
        choices = {opt: param.type.choices for param in command.params if isinstance(param.type, click.Choice)
                   for opt in param.opts}
        for option, value in zip(words, words[1:]):
            if option in choices and not value.startswith("$"):
                assert value in choices[option], (path, option, value)
        seen.add(" ".join(path))
    assert seen == {"plan", "tenants validate", "promote", "shards matrix"}


def _uv_shim(directory: Path) -> Path:
    """`uv` on PATH as setup-uv leaves it, from this machine's uv (a binary or a pip install)."""
    directory.mkdir()
    found = shutil.which("uv")
    command = shlex.quote(found) if found else f"{shlex.quote(sys._base_executable)} -m uv"  # type: ignore[attr-defined]
    shim = directory / "uv"
    shim.write_text(f'#!/bin/sh\nexec {command} "$@"\n')
    shim.chmod(0o755)
    return directory


def _pull_request_clone(tmp_path: Path) -> Path:
    """origin (main) = this working tree; the clone is a PR branch adding a prototype tenant."""
    origin = tmp_path / "origin"
    shutil.copytree(ROOT, origin, ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", ".pytest_cache",
                                                                  "*.egg-info", "tests"))
    env = {"GIT_AUTHOR_NAME": "dev", "GIT_AUTHOR_EMAIL": "dev@example.org",
           "GIT_COMMITTER_NAME": "dev", "GIT_COMMITTER_EMAIL": "dev@example.org"}

    def git(cwd: Path, *args: str) -> None:
        subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=os.environ | env)

    git(origin, "init", "-q", "-b", "main")
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "main")
    clone = tmp_path / "workspace"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    git(clone, "switch", "-q", "-c", "onboard-harbor")
    catalog = clone / "stacks" / "tenants" / "prototype"
    (catalog / "harbor-clinic.yaml").write_text((catalog / "sunrise-clinic.yaml").read_text()
                                               .replace("sunrise-clinic", "harbor-clinic")
                                               .replace("Sunrise Family Clinic", "Harbor Clinic"))
    git(clone, "add", "-A")
    git(clone, "commit", "-q", "-m", "onboard harbor-clinic in prototype")
    return clone


def _run_steps(workflow: dict, job: str, clone: Path, environ: dict[str, str],
               matrix: dict[str, object] | None = None) -> tuple[str | None, str]:
    """Run the job's `run:` steps in order as the runner would (bash -eo pipefail, GITHUB_ENV, GITHUB_OUTPUT).

    `matrix` is one `include` entry: the job's `env` reads it through `${{ matrix.<key> }}`.
    Returns the name of the first failing step (None if all passed) and the combined output.
    """
    job_env = {key: re.sub(r"\$\{\{ matrix\.(\w+) \}\}", lambda m: str((matrix or {})[m.group(1)]), value)
               for key, value in workflow["jobs"][job].get("env", {}).items()}
    env = dict(environ) | job_env
    output = []
    for step in workflow["jobs"][job]["steps"]:
        if "uses" in step:
            continue  # actions (checkout, setup-uv, upload-sarif) are GitHub's, not runnable here
        assert "${{" not in step["run"], "run: steps must read GitHub values from the environment"
        script = Path(env["RUNNER_TEMP"]) / "step.sh"
        script.write_text(step["run"])
        result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=clone,
                                env=env | step.get("env", {}), capture_output=True, text=True, timeout=900)
        output.append(f"## {step['name']}\n{result.stdout}{result.stderr}")
        if result.returncode != 0:
            return step["name"], "\n".join(output)
        for line in Path(env["GITHUB_ENV"]).read_text().splitlines():
            key, _, value = line.partition("=")
            env[key] = value
    return None, "\n".join(output)


def _runner_environ(tmp_path: Path, clone: Path) -> dict[str, str]:
    """A pull request's runner: this machine's uv as setup-uv leaves it, and GitHub's files for steps to write."""
    runner = tmp_path / "runner"
    runner.mkdir()
    files = {"GITHUB_STEP_SUMMARY": runner / "summary.md", "GITHUB_ENV": runner / "env",
             "GITHUB_OUTPUT": runner / "output"}
    for file in files.values():
        file.touch()
    venv_bin = str(Path(sys.executable).parent)
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p != venv_bin)
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("GITHUB_", "VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT"))} | {
        "PATH": f"{_uv_shim(tmp_path / 'bin')}{os.pathsep}{path}", "CI": "true", "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request", "GITHUB_BASE_REF": "main", "GITHUB_HEAD_REF": "onboard-harbor",
        "GITHUB_WORKSPACE": str(clone), "GITHUB_ACTOR": "dev", "RUNNER_TEMP": str(runner),
        **{name: str(file) for name, file in files.items()}}


def _job_output(environ: dict[str, str], name: str) -> str:
    """The value a step wrote to GITHUB_OUTPUT as `name=value` (the last one wins, as on GitHub)."""
    lines = Path(environ["GITHUB_OUTPUT"]).read_text().splitlines()
    return [line.partition("=")[2] for line in lines if line.startswith(f"{name}=")][-1]


def test_the_plan_workflow_runs_green_on_a_pull_request_and_blocks_a_direct_production_edit(tmp_path: Path) -> None:
    clone = _pull_request_clone(tmp_path)
    environ = _runner_environ(tmp_path, clone)
    summary = Path(environ["GITHUB_STEP_SUMMARY"])
    workflow = load("plan.yml")
    assert workflow["on"] == {"pull_request": None}
    assert workflow["jobs"]["plan"]["needs"] == "stacks"
    assert workflow["jobs"]["plan"]["strategy"]["matrix"] == "${{ fromJSON(needs.stacks.outputs.matrix) }}"

    failed, log = _run_steps(workflow, "stacks", clone, environ)
    assert failed is None, log
    matrix = json.loads(_job_output(environ, "matrix"))
    # only the stack the PR touched: production's catalog and the shared code are unchanged
    assert [entry["stack"] for entry in matrix["include"]] == ["prototype"], log
    for entry in matrix["include"]:
        failed, log = _run_steps(workflow, "plan", clone, environ, matrix=entry)
        assert failed is None, log
    text = summary.read_text()
    assert "### hipaachat plan: stack `prototype` (prototype)" in text and "| `harbor-clinic` |" in text
    assert "stack `production`" not in text
    sarif = json.loads((clone / "plan-sarif" / "prototype.sarif").read_text())
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(sarif)
    assert sorted(p.name for p in (clone / "plan-sarif").iterdir()) == ["prototype.sarif"]

    # The same workflow on a PR that edits the production catalog by hand must fail, at the check.
    production = clone / "stacks" / "tenants" / "production" / "sunrise-clinic.yaml"
    production.write_text(production.read_text().replace("audit_log_days: 2192", "audit_log_days: 3653"))
    subprocess.run(["git", "commit", "-qam", "tweak production directly"], cwd=clone, check=True, capture_output=True,
                   env=os.environ | {"GIT_AUTHOR_NAME": "dev", "GIT_AUTHOR_EMAIL": "dev@example.org",
                                     "GIT_COMMITTER_NAME": "dev", "GIT_COMMITTER_EMAIL": "dev@example.org"})
    failed, log = _run_steps(workflow, "stacks", clone, environ)
    assert failed == "Production tenants changed only by promotion", log
    assert "(edited without a promotion)" in log


def test_a_pull_request_that_changes_no_stack_plans_nothing(tmp_path: Path) -> None:
    """The matrix is empty, so the plan job's guard skips it; the summary says why."""
    clone = _pull_request_clone(tmp_path)
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=clone, check=True, capture_output=True)
    environ = _runner_environ(tmp_path, clone)
    failed, log = _run_steps(load("plan.yml"), "stacks", clone, environ)
    assert failed is None, log
    assert json.loads(_job_output(environ, "matrix")) == {"include": []}
    assert "No stack changed: nothing to plan." in Path(environ["GITHUB_STEP_SUMMARY"]).read_text()
