"""The promotion record file: canonical JSON lines, a hash chain, one writer at a time.

Each line is the record's canonical JSON (sorted keys, no whitespace); its `id` is the sha256
of that canonical JSON without `id`, and `previous` is the id of the line before (null for the
first). Editing a line changes its id; deleting or reordering lines breaks `previous`. Either
is visible to `hipaachat promote --check` without any secret or server.

Appends hold an exclusive lock on the records directory and replace the file atomically, so
two promotions racing on one file both land (in some order) and a reader never sees half a
line. The lock is on the directory, not the file, because the rename swaps the file's inode.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from components.files import PROMOTION_RECORDS, read_bytes
from scripts.files import write_atomically
from scripts.promote.models import PromotionRecord

RECORDS_DIR = Path("stacks") / "promotions"


class ChainBroken(Exception):
    """The record file was edited, truncated or reordered after it was written."""


def records_path(root: Path, stack: str) -> Path:
    return root / RECORDS_DIR / f"{stack}.jsonl"


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def seal(body: dict[str, Any]) -> PromotionRecord:
    """A record whose id is the sha256 of its canonical JSON without `id`."""
    # Hash what will be written (defaults included), so the id always matches the line on disk.
    dumped = PromotionRecord.model_validate({**body, "id": ""}).model_dump(by_alias=True, mode="json")
    dumped.pop("id")
    return PromotionRecord.model_validate({**dumped, "id": digest(canonical(dumped))})


def encode(record: PromotionRecord) -> bytes:
    return canonical(record.model_dump(by_alias=True, mode="json")) + b"\n"


@dataclass
class Chain:
    """The records of one file, in order, and what is wrong with the chain (if anything)."""

    records: list[tuple[int, PromotionRecord]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def head(self) -> str | None:
        return self.records[-1][1].id if self.records else None


def _read(path: Path, root: Path | None) -> bytes:
    """The record file's bytes through the bounded reader; a missing file is empty.

    `root` is the project root: a record file that is a symlink out of the project, a FIFO or
    oversized is an InputFileError, not something to hash.
    """
    if not os.path.lexists(path):
        return b""
    return read_bytes(path, PROMOTION_RECORDS, root=root)


def read_chain(path: Path, *, root: Path | None = None) -> Chain:
    """Parse and verify every line; a missing file is an empty, intact chain."""
    return parse_chain(_read(path, root))


def parse_chain(data: bytes) -> Chain:
    """Parse and verify the lines of a record file's bytes."""
    chain = Chain()
    previous: str | None = None
    for number, line in enumerate(data.splitlines(), start=1):
        try:
            raw = json.loads(line)
            record = PromotionRecord.model_validate(raw)
        except (json.JSONDecodeError, UnicodeDecodeError, ValidationError) as exc:
            chain.problems.append(f"line {number}: not a promotion record ({type(exc).__name__})")
            previous = None
            continue
        body = {k: v for k, v in raw.items() if k != "id"}
        if digest(canonical(body)) != record.id:
            chain.problems.append(f"line {number}: its id does not match its contents (edited after it was written)")
        if canonical(raw) != line:
            chain.problems.append(f"line {number}: not in canonical form (rewritten by hand or by another tool)")
        if number > 1 and record.previous != previous:
            chain.problems.append(f"line {number}: previous is {record.previous} but line {number - 1} has id "
                                  f"{previous} (a line was deleted, inserted or reordered)")
        elif number == 1 and record.previous is not None:
            chain.problems.append("line 1: previous must be null for the first record (earlier lines were deleted)")
        chain.records.append((number, record))
        previous = record.id
    return chain


@contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on the records directory (blocks until other writers finish)."""
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def append(path: Path, build: Callable[[str | None], PromotionRecord],
           before: Callable[[], None] = lambda: None, *, root: Path | None = None) -> PromotionRecord:
    """Append the record `build(previous_id)`, holding the records lock throughout.

    `before` runs inside the lock, after the chain is verified and the record built, and before
    the record lands (the promotion writes the tenant files there). A broken chain refuses the
    append: adding to a tampered file would bury the evidence of the tampering.
    """
    with locked(path.parent):
        existing = _read(path, root)
        chain = parse_chain(existing)
        if chain.problems:
            raise ChainBroken("; ".join(chain.problems))
        record = build(chain.head)
        before()
        write_atomically(path, existing + encode(record))
    return record
