"""A tenant's life through CI, as the README's "A tenant's life" section tells it, in a real git repository.

Every step is a commit (or a refused command) followed by exactly what the workflows run: the
`run:` steps of plan.yml's `stacks` job as a pull request would (`promote --check` over the whole
production environment, then `shards matrix --changed-since`), and after the merge deploy.yml's
`stacks` job and its production check. Each must pass or fail exactly when the step says. The
expensive steps (a stack plan with the pack) run twice: once for the onboarding PR and once for
the shard that gained a tenant by a move.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import record_production_settings
from tests.test_workflows import ROOT, _job_output, _run_steps, _runner_environ, load

HIPAACHAT = str(Path(sys.executable).with_name("hipaachat"))
GIT_ENV = {"GIT_AUTHOR_NAME": "dev", "GIT_AUTHOR_EMAIL": "dev@example.org",
           "GIT_COMMITTER_NAME": "dev", "GIT_COMMITTER_EMAIL": "dev@example.org"}
CHECK_STEP = "Production tenants changed only by promotion"
DEPLOY_CHECK = "Production tenants arrived by promotion"


class Repo:
    """The origin (main) and a developer's clone, with a pull request's runner around it."""

    def __init__(self, tmp_path: Path) -> None:
        self.origin = tmp_path / "origin"
        shutil.copytree(ROOT, self.origin, ignore=shutil.ignore_patterns(
            ".git", ".venv", "__pycache__", ".pytest_cache", "*.egg-info", "tests", "plan-sarif"))
        record_production_settings(self.origin)  # the team recorded its attestation and on-call (the README's setup)
        self.git(self.origin, "init", "-q", "-b", "main")
        self.git(self.origin, "add", "-A")
        self.git(self.origin, "commit", "-q", "-m", "main")
        self.git(self.origin, "config", "receive.denyCurrentBranch", "updateInstead")
        self.clone = tmp_path / "workspace"
        self.git(tmp_path, "clone", "-q", str(self.origin), str(self.clone))
        self.environ = _runner_environ(tmp_path, self.clone)
        self.plan, self.deploy = load("plan.yml"), load("deploy.yml")

    @staticmethod
    def git(cwd: Path, *args: str) -> str:
        return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                              env=os.environ | GIT_ENV).stdout

    def hipaachat(self, *args: str) -> subprocess.CompletedProcess[str]:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")} | GIT_ENV
        return subprocess.run([HIPAACHAT, *args], cwd=self.clone, capture_output=True, text=True, timeout=600,
                              env=environ | {"COLUMNS": "80"})

    def commit(self, message: str) -> None:
        self.git(self.clone, "add", "-A")
        self.git(self.clone, "commit", "-q", "-m", message)

    def pull_request(self) -> tuple[str | None, str, dict]:
        """plan.yml's `stacks` job on the clone's HEAD against origin/main: (failed step, log, matrix)."""
        for name in ("GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"):
            Path(self.environ[name]).write_text("")
        failed, log = _run_steps(self.plan, "stacks", self.clone, self.environ)
        matrix = json.loads(_job_output(self.environ, "matrix")) if failed is None else {}
        return failed, log, matrix

    def summary(self) -> str:
        return Path(self.environ["GITHUB_STEP_SUMMARY"]).read_text()

    def merge(self) -> None:
        """The PR merges: main moves to the clone's HEAD, and deploy.yml's checks run on it."""
        self.git(self.clone, "push", "-q", "origin", "HEAD:main")
        self.git(self.clone, "fetch", "-q", "origin")
        failed, log = self.deploy_checks()
        assert failed is None, log

    def deploy_checks(self) -> tuple[str | None, str]:
        """deploy.yml: the `stacks` job (matrix per environment), then the production job's check."""
        Path(self.environ["GITHUB_OUTPUT"]).write_text("")
        failed, log = _run_steps(self.deploy, "stacks", self.clone, self.environ)
        if failed is not None:
            return failed, log
        job = self.deploy["jobs"]["production"]
        check = {"jobs": {"production": {"steps": [s for s in job["steps"] if s.get("name") == DEPLOY_CHECK]}}}
        assert check["jobs"]["production"]["steps"], "deploy.yml's production job lost its promotion check"
        production = json.loads(_job_output(self.environ, "production"))
        failed, more = _run_steps(check, "production", self.clone,
                                  self.environ | {"HIPAACHAT_STACK": production["include"][0]["stack"]})
        return failed, log + more

    def plan_job(self, stack: str) -> tuple[str | None, str]:
        """plan.yml's `plan` job for one stack; its SARIF goes with the runner (never into the branch)."""
        try:
            return _run_steps(self.plan, "plan", self.clone, self.environ, matrix={"stack": stack})
        finally:
            shutil.rmtree(self.clone / "plan-sarif", ignore_errors=True)

    def tenant(self, stack: str, tenant: str) -> Path:
        return self.clone / "stacks" / "tenants" / stack / f"{tenant}.yaml"


# Where care is delivered decides the retention floors; production requires it (synthetic values).
CARE = {"us": ("US-MA", "clinic"), "eu": ("DE", "physician")}


def _onboard(repo: Repo, tenant: str, residency: str) -> None:
    """`tenants new` in prototype with its care, then the BAA the production gate needs (synthetic)."""
    jurisdiction, provider_type = CARE[residency]
    created = repo.hipaachat("tenants", "new", "--stack", "prototype", tenant, "--residency", residency,
                             "--jurisdiction", jurisdiction, "--provider-type", provider_type, "--adults-only")
    assert created.returncode == 0, created.stderr
    path = repo.tenant("prototype", tenant)
    path.write_text(path.read_text().replace("# baa:", "baa:\n  signed: 2026-10-01\n  reference: BAA-2026-077\n# was:"))


def _pending(repo: Repo) -> list[tuple[str, str]]:
    result = repo.hipaachat("promote", "--check", "--from", "prototype", "--to", "production", "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    return [(p["tenant"], p["state"]) for p in json.loads(result.stdout)["pending"]]


def _promote(repo: Repo, *tenants: str) -> dict:
    args = [a for t in tenants for a in ("--tenant", t)]
    result = repo.hipaachat("promote", "--from", "prototype", "--to", "production", *args, "--actor", "dev",
                            "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def test_a_tenants_life_passes_ci_exactly_when_it_should(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    git = lambda *a: repo.git(repo.clone, *a)  # noqa: E731
    git("switch", "-q", "-c", "life")

    # 1. Onboard two tenants in prototype: the PR passes, both pending promotion, prototype planned.
    _onboard(repo, "harbor-clinic", "us")
    _onboard(repo, "fjord-praxis", "eu")
    repo.commit("onboard harbor-clinic and fjord-praxis in prototype")
    failed, log, matrix = repo.pull_request()
    assert failed is None, log
    assert [e["stack"] for e in matrix["include"]] == ["prototype"], log
    assert "**Pending promotion**" in repo.summary() and "`harbor-clinic`" in repo.summary()
    failed, log = repo.plan_job("prototype")
    assert failed is None, log
    assert _pending(repo) == [("fjord-praxis", "new"), ("harbor-clinic", "new")]
    repo.merge()

    # 2. Promote both (as promote.yml does): the promotion PR passes, nothing is pending.
    outcome = _promote(repo, "harbor-clinic", "fjord-praxis")
    assert outcome["status"] == "promoted" and outcome["to"] == "production"
    repo.commit("promote harbor-clinic and fjord-praxis")
    failed, log, matrix = repo.pull_request()
    assert failed is None, log
    assert [e["stack"] for e in matrix["include"]] == ["production"], log
    assert _pending(repo) == []
    repo.merge()

    # 3. Edit in prototype: pending, not a failure.
    source = repo.tenant("prototype", "harbor-clinic")
    source.write_text(source.read_text().replace("name: \"Harbor Clinic\"", "name: \"Harbor Family Clinic\""))
    assert "Harbor Family Clinic" in source.read_text()
    repo.commit("rename harbor-clinic in prototype")
    failed, log, _ = repo.pull_request()
    assert failed is None, log
    assert "| `harbor-clinic` | `stacks/tenants/prototype/harbor-clinic.yaml` | changed |" in repo.summary(), log
    assert _pending(repo) == [("harbor-clinic", "changed")]
    repo.merge()

    # 4. Promote the edit: production catches up.
    assert _promote(repo, "harbor-clinic")["status"] == "promoted"
    repo.commit("promote harbor-clinic's rename")
    failed, log, _ = repo.pull_request()
    assert failed is None and _pending(repo) == [], log
    repo.merge()

    # 5. A direct production edit: the PR check and the deploy check both fail; the revert passes.
    production = repo.tenant("production", "harbor-clinic")
    edited = production.read_text().replace("ai: false", "ai: true")
    assert edited != production.read_text(), "the tenant file `tenants new` writes lost its features.ai line"
    production.write_text(edited)
    repo.commit("tweak production directly")
    failed, log, _ = repo.pull_request()
    assert failed == CHECK_STEP and "(edited without a promotion)" in log, log
    failed, log = repo.deploy_checks()
    assert failed == DEPLOY_CHECK, log
    git("revert", "--no-edit", "HEAD")
    failed, log, _ = repo.pull_request()
    assert failed is None, log
    repo.merge()

    # 6. Offboard: production refuses and names the path; offboarding prototype and promoting passes.
    refused = repo.hipaachat("tenants", "offboard", "--stack", "production", "fjord-praxis")
    assert refused.returncode == 1 and "hipaachat tenants offboard --stack prototype fjord-praxis" in refused.stderr
    assert "hipaachat promote --from prototype --to production --tenant fjord-praxis" in refused.stderr
    assert git("status", "--porcelain") == ""
    offboarded = repo.hipaachat("tenants", "offboard", "--stack", "prototype", "fjord-praxis")
    assert offboarded.returncode == 0, offboarded.stderr
    repo.commit("offboard fjord-praxis in prototype")
    failed, log, _ = repo.pull_request()
    assert failed is None and _pending(repo) == [("fjord-praxis", "changed")], log
    repo.merge()
    assert _promote(repo, "fjord-praxis")["status"] == "promoted"
    assert "state: offboarded" in repo.tenant("production", "fjord-praxis").read_text()
    repo.commit("promote fjord-praxis's offboarding")
    failed, log, _ = repo.pull_request()
    assert failed is None and _pending(repo) == [], log
    repo.merge()

    # 7. A tenant created directly in production: refused by `tenants new`, caught when written by hand.
    refused = repo.hipaachat("tenants", "new", "--stack", "production", "rogue-clinic")
    assert refused.returncode == 1 and "hipaachat tenants new --stack prototype rogue-clinic" in refused.stderr
    assert not repo.tenant("production", "rogue-clinic").exists()
    shutil.copy(repo.tenant("production", "harbor-clinic"), repo.tenant("production", "rogue-clinic"))
    rogue = repo.tenant("production", "rogue-clinic")
    rogue.write_text(rogue.read_text().replace("id: harbor-clinic", "id: rogue-clinic")
                     .replace("Harbor Family Clinic", "Rogue Clinic"))
    repo.commit("a production tenant by hand")
    failed, log, _ = repo.pull_request()
    assert failed == CHECK_STEP and "rogue-clinic.yaml` | no promotion record" in log, log
    git("reset", "-q", "--hard", "origin/main")

    # 8. A second production stack: the PR passes; deploy lists production only until it has tenants.
    created = repo.hipaachat("stacks", "new", "production-eu", "--environment", "production", "--residency", "eu")
    assert created.returncode == 0, created.stderr
    repo.commit("production-eu")
    failed, log, _ = repo.pull_request()
    assert failed is None, log
    repo.merge()

    # 9. Move fjord-praxis (eu) to the eu shard: the move records itself; the check accepts it everywhere.
    moved = repo.hipaachat("shards", "move", "fjord-praxis", "--to", "production-eu")
    assert moved.returncode == 0, moved.stdout + moved.stderr
    repo.commit("move fjord-praxis to production-eu")
    failed, log, matrix = repo.pull_request()
    assert failed is None, log
    assert "production-eu" in [e["stack"] for e in matrix["include"]], log
    failed, log = repo.plan_job("production-eu")
    assert failed is None, log
    repo.merge()
    assert [e["stack"] for e in json.loads(_job_output(repo.environ, "production"))["include"]] == [
        "production", "production-eu"]

    # 10. A tenant file dropped into the shard by hand: caught by the PR check and by every production deploy.
    dropped = repo.tenant("production-eu", "stowaway-praxis")
    dropped.write_text(repo.tenant("production-eu", "fjord-praxis").read_text()
                       .replace("id: fjord-praxis", "id: stowaway-praxis").replace("Fjord Praxis", "Stowaway Praxis"))
    repo.commit("a shard tenant by hand")
    failed, log, _ = repo.pull_request()
    assert failed == CHECK_STEP and "production-eu/stowaway-praxis.yaml` | no promotion record" in log, log
    failed, log = repo.deploy_checks()
    assert failed == DEPLOY_CHECK, log
