"""Writing a directory of generated files as one step: readers see the old set or the new one."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path


def replace_directory(target: Path, files: dict[str, str]) -> None:
    """Make `target` hold exactly `files` (name -> text); stale files from an earlier run disappear.

    The new set is written beside the target, then swapped in with two renames, so a failure
    while writing leaves the previous manifests untouched.
    """
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        for name, text in files.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            (staging / name).write_text(text)
        if target.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
            retired.rmdir()
            target.rename(retired)
            staging.rename(target)
            shutil.rmtree(retired)
        else:
            staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
