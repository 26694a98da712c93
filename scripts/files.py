"""The one way hipaachat writes a file: all of it or nothing, under its final name only when complete.

Readers of what the CLI writes (pulumi reading a stack file, CI uploading SARIF, an auditor's
tooling, the next `promote` reading its records) must never see half a file, and a failed or
interrupted write must leave the previous file as it was and no temporary file behind. So every
write goes to a uniquely named temporary file beside the target, is flushed to disk, and is then
renamed over the target. A new file gets the usual 0644; a replaced file keeps its mode.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

NEW_FILE_MODE = 0o644


@contextmanager
def atomic_file(path: Path, mode: str = "w") -> Iterator[IO[Any]]:
    """A handle (`mode` "w" for text, "wb" for bytes) whose content becomes `path` when the block ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    file_mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else NEW_FILE_MODE
    handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.chmod(partial, file_mode)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def write_atomically(path: Path, data: str | bytes) -> None:
    """Write `data` (text as UTF-8) to `path` atomically."""
    with atomic_file(path, "wb" if isinstance(data, bytes) else "w") as out:
        out.write(data)
