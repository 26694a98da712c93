"""Find the project (Pulumi.yaml) and name its files; the bad-input error every command raises.

Every command works on the project it is run in (Pulumi.yaml in the current directory or a
parent, or `--cwd`), never on wherever the package is installed: a copy of the repo with
edited tenant files plans the edits.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from components.files import PROJECT_FILE, read_yaml


class InputError(Exception):
    """Bad input from the user: the message names the file, the field and the fix (exit 2)."""


# What an offline plan passes for a `secure:` value it cannot decrypt. It is marked secret like
# the real value, so nothing downstream can tell it apart or print it.
UNDECRYPTED = "[secret: not decrypted offline]"


@dataclass(frozen=True)
class Project:
    root: Path
    stack_config_dir: Path

    @classmethod
    def find(cls, start: Path | None = None) -> "Project":
        here = (start or Path.cwd()).resolve()
        for directory in (here, *here.parents):
            manifest = directory / "Pulumi.yaml"
            if manifest.is_file():
                return cls._from_manifest(manifest)
        raise InputError(f"no Pulumi.yaml in {here} or any parent; run inside a hipaachat project or pass --cwd DIR")

    @classmethod
    def _from_manifest(cls, manifest: Path) -> "Project":
        data = read_yaml(manifest, PROJECT_FILE, root=manifest.parent, shown=str(manifest)) or {}
        config_dir = data.get("stackConfigDir", ".") if isinstance(data, dict) else None
        if not isinstance(config_dir, str):
            raise InputError(f"{manifest}: must be a mapping whose stackConfigDir is a directory name (e.g. stacks)")
        return cls(root=manifest.parent, stack_config_dir=manifest.parent / config_dir)

    def stack_file(self, stack: str) -> Path:
        return self.stack_config_dir / f"Pulumi.{stack}.yaml"

    def relative(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(self.root))
        except ValueError:
            return str(path)

    def stacks(self) -> list[str]:
        return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in self.stack_config_dir.glob("Pulumi.*.yaml"))


