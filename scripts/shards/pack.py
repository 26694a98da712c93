"""Build the publishable policy pack: policies/hipaa plus every project module it imports.

`pulumi policy publish` uploads only the pack's directory, and Pulumi Cloud then runs it far
from this repository, but policies/hipaa imports `components` (the settings model, the tag
contract, the PHI linter) so that the program and the pack share one definition of each.
The build copies that import closure next to the pack, pins the third-party requirements to
the versions tested here, and writes the entry point Pulumi runs. The result needs nothing
from the repository: the tests extract its archive and serve it from a fresh virtualenv.
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import io
import sys
import tarfile
from pathlib import Path

import yaml

from components.files import PROJECT_FILE, WAIVER_FILE, read_text, read_yaml
from scripts.engine.pack_manifest import pack_version
from scripts.files import atomic_file
from scripts.project import InputError, Project
from scripts.shards.writer import replace_directory

PACK = Path("policies") / "hipaa"
OWN_PACKAGES = ("components", "policies")
# Imported by name at run time (policies/hipaa/aws_schema.py asks pulumi-aws which types take tags).
RUNTIME_IMPORTS = frozenset({"pulumi_aws"})
ENTRY = '''\
"""Entry point of the published hipaachat HIPAA pack (built by `hipaachat shards pack`).

`pulumi` runs `python -m pulumi.policy <engine> <this directory>`; the pack's own modules and the
project modules it imports sit beside this file, so nothing outside this directory is needed.
Waivers are the ones in policies/waivers.yaml at build time: publish a new version to change them.
"""

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
runpy.run_path(str(HERE / "policies" / "hipaa" / "__main__.py"), run_name="__main__")
'''


def _source_of(project: Project, module: str) -> Path | None:
    """The file of one of our modules: the project's own copy first (its edits), else the installed one."""
    relative = Path(*module.split("."))
    for candidate in (project.root / relative / "__init__.py", (project.root / relative).with_suffix(".py")):
        if candidate.is_file():
            return candidate
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, AttributeError, ValueError):  # `from x import name` where name is no module
        return None
    return Path(spec.origin) if spec and spec.origin and spec.origin.endswith(".py") else None


def import_closure(project: Project) -> tuple[dict[str, Path], set[str]]:
    """(module file name inside the pack -> source, third-party top-level imports) reachable from the pack.

    Every import counts, including those inside functions: a policy may import lazily.
    """
    files: dict[str, Path] = {}
    external: set[str] = set()
    todo = [f"policies.hipaa.{p.stem}" for p in (project.root / PACK).glob("*.py") if p.stem != "__init__"]
    todo += ["policies", "policies.hipaa"]
    while todo:
        module = todo.pop()
        source = _source_of(project, module)
        if source is None:
            continue
        target = "/".join(module.split(".")) + ("/__init__.py" if source.name == "__init__.py" else ".py")
        if target in files:
            continue
        files[target] = source
        parts = module.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]
        for node in ast.walk(ast.parse(source.read_text(), str(source))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                top = name.split(".")[0]
                if top in OWN_PACKAGES:
                    todo.append(name)
                elif top not in sys.stdlib_module_names and top != "__future__":
                    external.add(top)
    return files, external | RUNTIME_IMPORTS


def requirements(external: set[str]) -> list[str]:
    """Pinned requirement lines for the distributions that provide `external` imports."""
    providers = importlib.metadata.packages_distributions()
    pins = set()
    for name in external:
        for dist in providers.get(name, []):
            if dist.lower() != "hipaachat":
                pins.add(f"{dist}=={importlib.metadata.version(dist)}")
    return sorted(pins, key=str.lower)


def build_pack(project: Project, out_dir: Path, archive: Path | None = None) -> tuple[str, str]:
    """Write the self-contained pack into `out_dir` (and a .tar.gz of it); returns (name, version)."""
    manifest_path = project.root / PACK / "PulumiPolicy.yaml"
    if not manifest_path.is_file():
        raise InputError(f"{project.relative(manifest_path)}: missing; the policy pack lives in {PACK}")
    manifest = read_yaml(manifest_path, PROJECT_FILE, root=project.root) or {}
    version = pack_version(project.root / PACK, root=project.root)
    closure, external = import_closure(project)
    files = {name: source.read_text() for name, source in sorted(closure.items())}
    waivers = project.root / "policies" / "waivers.yaml"
    if waivers.is_file():
        files["policies/waivers.yaml"] = read_text(waivers, WAIVER_FILE, root=project.root)
    # Reviewed data the bundled modules read beside themselves (the retention floor table, the pointer
    # vocabulary): every YAML file in a directory the closure ships, except the manifest written below.
    for directory in sorted({Path(name).parent for name in closure}):
        for data in sorted((project.root / directory).glob("*.yaml")):
            if data.name != "PulumiPolicy.yaml":
                files[str(directory / data.name)] = read_text(data, PROJECT_FILE, root=project.root)
    files["__main__.py"] = ENTRY
    files["requirements.txt"] = "\n".join(requirements(external)) + "\n"
    files["PulumiPolicy.yaml"] = yaml.safe_dump({
        "description": manifest.get("description", "hipaachat HIPAA guardrails"),
        # Where `pulumi` installs requirements.txt when it runs the downloaded pack.
        "runtime": {"name": "python", "options": {"virtualenv": "venv"}},
        "version": version,
    }, sort_keys=False)
    replace_directory(out_dir, files)
    if archive is not None:
        write_archive(archive, files)
    return "hipaachat-hipaa", version


def write_archive(archive: Path, files: dict[str, str]) -> None:
    """A .tar.gz of the pack directory's files, as `pulumi policy publish` uploads it."""
    with atomic_file(archive, "wb") as out, tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, text in sorted(files.items()):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
