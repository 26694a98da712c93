"""The one way hipaachat reads a user's file: bounded, strict, and never a traceback.

Every file the CLI, the program or the policy pack reads (tenant files, stack files,
Pulumi.yaml, waivers, promotion records, state exports) goes through this module, because
these files come from pull requests and from other tools, and a reader that trusts them can be
made to hang (a FIFO, an alias-expansion bomb), to leak (a symlink to a file outside the
project) or to crash with a traceback instead of telling the user what to fix.

API (all functions raise `InputFileError`, and only it, for anything wrong with the file):

- `read_bytes(path, limits, root=..., shown=...) -> bytes`: the file's bytes after the checks
  every read shares: it exists; it is a regular file (a directory, device, socket or FIFO is
  refused from `os.stat`, before any open, so a FIFO never blocks); a symlink resolves inside
  `root` (the project); it is at most `limits.max_bytes`. Use it to hash a file byte-for-byte.
- `read_text(path, limits, ...) -> str`: `read_bytes` plus: strict UTF-8 (the error names the
  byte offset and line), a UTF-8 BOM stripped, CRLF turned into LF, NUL bytes refused.
- `read_yaml(path, limits, ...) -> Any`: `read_text` plus YAML with anchors/aliases refused
  (an alias bomb fails at its first anchor, in milliseconds), nesting deeper than
  `limits.max_depth` refused and duplicate keys refused. `read_yaml_with_lines` also returns
  the `LineIndex` for line numbers in schema errors.
- `read_json(path, limits, ...) -> Any`: `read_text` plus strict JSON (NaN and Infinity refused,
  the error names line and column) and nesting at most `limits.max_depth`.
- `read_lines(path, limits, ...) -> Iterator[tuple[int, str]]`: streams a large text file
  (JSON Lines records, exports) line by line with the same UTF-8, NUL and size checks and
  without holding the file in memory; the size limit is enforced while reading.

`limits` is one of the per-kind `Limits` below (TENANT_FILE, STACK_FILE, ...); a new kind of
input adds one constant here, so the limits of every input are reviewed in one place.
`root` is the project root (symlinks must resolve inside it; None skips that check for a
file the caller already vetted). `shown` is how messages name the file (default: the path
relative to `root`).
"""

from __future__ import annotations

import codecs
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components.yaml_lines import LineIndex, load_with_lines

KIB = 1024
MIB = 1024 * KIB
_CHUNK = 64 * KIB


@dataclass(frozen=True)
class Limits:
    """What one kind of input may be: its name in messages, its size and its YAML nesting."""

    kind: str
    max_bytes: int
    max_depth: int = 32


# A tenant file is a page of YAML; 256 KiB is a hundred times the example and still instant.
TENANT_FILE = Limits("tenant file", 256 * KIB, 32)
STACK_FILE = Limits("stack file", 256 * KIB, 32)
PROJECT_FILE = Limits("project file", 64 * KIB, 16)
WAIVER_FILE = Limits("waiver file", 1 * MIB, 16)
# Promotion records grow by one line per promotion; exports hold every resource of a stack.
PROMOTION_RECORDS = Limits("promotion record file", 64 * MIB, 32)
STATE_EXPORT = Limits("state export", 512 * MIB, 64)

_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
         (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))
_SAVE_AS_UTF8 = "save it as UTF-8 text (most editors: 'Save with encoding' > UTF-8)"


class InputFileError(ValueError):
    """A file the user gave us cannot be used: names the file, where in it, the problem and the fix.

    `field` is a YAML key path (`notifications.email`) or None; `line` and `offset` (bytes from
    the start) locate the problem when known. `str()` is the one-line message the CLI prints
    before exiting 2.
    """

    def __init__(self, file: str, problem: str, fix: str, *, field: str | None = None,
                 line: int | None = None, offset: int | None = None) -> None:
        self.file, self.problem, self.fix = file, problem, fix
        self.field, self.line, self.offset = field, line, offset
        super().__init__(str(self))

    @property
    def detail(self) -> str:
        """The message without the file name (for reports that already group by file)."""
        at = f" at byte offset {self.offset}" if self.offset is not None else ""
        return f"{self.problem}{at}; {self.fix}"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.detail}"


def display_name(path: Path, root: Path | None) -> str:
    """The path as messages show it: relative to the project when it lies inside it."""
    if root is not None:
        try:
            return str(path.absolute().relative_to(root.absolute()))
        except ValueError:
            pass
    return str(path)


def read_bytes(path: Path, limits: Limits, *, root: Path | None = None, shown: str | None = None) -> bytes:
    """The file's bytes, after the type, containment and size checks (see the module docstring)."""
    shown = shown or display_name(path, root)
    fd = _open_regular(path, limits, root, shown)
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise _too_large(shown, limits)
    return data


def read_text(path: Path, limits: Limits, *, root: Path | None = None, shown: str | None = None) -> str:
    """The file as text: strict UTF-8, BOM stripped, CRLF accepted (as LF), NUL refused."""
    shown = shown or display_name(path, root)
    return decode(read_bytes(path, limits, root=root, shown=shown), shown)


def decode(data: bytes, shown: str, *, base_offset: int = 0, base_line: int = 1) -> str:
    """Bytes to text under the same rules as `read_text` (for bytes that came from elsewhere, e.g. git)."""
    if base_offset == 0:
        for bom, name in _BOMS:
            if data.startswith(bom):
                raise InputFileError(shown, f"is {name} text, not UTF-8", _SAVE_AS_UTF8, line=1, offset=0)
        data = data.removeprefix(codecs.BOM_UTF8)
    nul = data.find(b"\x00")
    if nul >= 0:
        raise InputFileError(shown, "contains a NUL byte (binary data, not text)",
                             "remove it, or point at the text file that was meant",
                             line=base_line + data.count(b"\n", 0, nul), offset=base_offset + nul)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(shown, f"is not UTF-8 text (byte 0x{data[exc.start]:02X})", _SAVE_AS_UTF8,
                             line=base_line + data.count(b"\n", 0, exc.start),
                             offset=base_offset + exc.start) from None
    return text.replace("\r\n", "\n")


def read_yaml_with_lines(path: Path, limits: Limits, *, root: Path | None = None,
                         shown: str | None = None) -> tuple[Any, LineIndex]:
    """The file as YAML data plus the line of every key path; see the module docstring for what is refused."""
    shown = shown or display_name(path, root)
    text = read_text(path, limits, root=root, shown=shown)
    try:
        return load_with_lines(text, max_depth=limits.max_depth)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputFileError(shown, f"is not valid YAML ({problem})",
                             getattr(exc, "fix", "fix the syntax at that line"),
                             line=mark.line + 1 if mark else None) from None


def read_yaml(path: Path, limits: Limits, *, root: Path | None = None, shown: str | None = None) -> Any:
    """The file as YAML data (None for an empty file)."""
    return read_yaml_with_lines(path, limits, root=root, shown=shown)[0]


def read_json(path: Path, limits: Limits, *, root: Path | None = None, shown: str | None = None) -> Any:
    """The file as JSON data; see the module docstring for what is refused."""
    shown = shown or display_name(path, root)
    text = read_text(path, limits, root=root, shown=shown)
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise InputFileError(shown, f"is not valid JSON ({exc.msg} at column {exc.colno})",
                             "fix the syntax at that line", line=exc.lineno) from None
    except ValueError as exc:
        raise InputFileError(shown, f"is not valid JSON ({exc})", "write numbers as numbers") from None
    except RecursionError:
        raise InputFileError(shown, f"nesting is deeper than the limit of {limits.max_depth} levels",
                             "flatten the structure") from None
    if _depth(data) > limits.max_depth:
        raise InputFileError(shown, f"nesting is deeper than the limit of {limits.max_depth} levels",
                             "flatten the structure")
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _depth(value: Any) -> int:
    """How deeply lists and objects nest (iteratively: no recursion limit to hit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def read_lines(path: Path, limits: Limits, *, root: Path | None = None,
               shown: str | None = None) -> Iterator[tuple[int, str]]:
    """Stream (line number, line without its newline) from a large text file, checked as it is read."""
    shown = shown or display_name(path, root)
    fd = _open_regular(path, limits, root, shown)
    with os.fdopen(fd, "rb") as handle:
        offset, number, pending = 0, 1, b""
        while True:
            chunk = handle.read(_CHUNK)
            if offset + len(pending) + len(chunk) > limits.max_bytes:
                raise _too_large(shown, limits)
            if not chunk:
                break
            pending += chunk
            *complete, pending = pending.split(b"\n")
            for raw in complete:
                yield number, decode(raw, shown, base_offset=offset, base_line=number).removesuffix("\r")
                offset += len(raw) + 1
                number += 1
        if pending:
            yield number, decode(pending, shown, base_offset=offset, base_line=number).removesuffix("\r")


def _open_regular(path: Path, limits: Limits, root: Path | None, shown: str) -> int:
    """An fd for a regular file inside `root`, checked before and after opening (no blocking, no races)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if path.is_symlink():
            raise InputFileError(shown, "is a symlink to a file that does not exist",
                                 "point it at an existing file inside the project, or replace it with the file")
        raise InputFileError(shown, f"no such {limits.kind}", "check the path (or create the file)") from None
    except OSError as exc:
        raise InputFileError(shown, f"cannot be read ({exc.strerror})", "check its permissions") from None
    if root is not None:
        _check_inside(path, root, shown)
    _check_regular(info, limits, shown)
    if info.st_size > limits.max_bytes:
        raise _too_large(shown, limits)
    try:
        # O_NONBLOCK: if the file was swapped for a FIFO since the stat, open must not wait for a writer.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise InputFileError(shown, f"cannot be read ({exc.strerror})", "check its permissions") from None
    opened = os.fstat(fd)
    if (opened.st_dev, opened.st_ino) != (info.st_dev, info.st_ino) or not stat.S_ISREG(opened.st_mode):
        os.close(fd)
        raise InputFileError(shown, "changed while it was being read", "run the command again")
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)
    return fd


def _check_inside(path: Path, root: Path, shown: str) -> None:
    """A file reached through a symlink must still be part of the project that is reviewed and planned."""
    resolved, base = path.resolve(), root.resolve()
    if resolved != base and base not in resolved.parents:
        raise InputFileError(shown, "resolves (through a symlink) to a file outside the project",
                             "copy the file into the project instead of linking to it")


def _check_regular(info: os.stat_result, limits: Limits, shown: str) -> None:
    mode = info.st_mode
    if stat.S_ISREG(mode):
        return
    what = ("a directory" if stat.S_ISDIR(mode) else "a named pipe (FIFO)" if stat.S_ISFIFO(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "not a regular file")
    raise InputFileError(shown, f"is {what}, where a {limits.kind} is expected",
                         f"replace it with a regular {limits.kind}")


def _too_large(shown: str, limits: Limits) -> InputFileError:
    return InputFileError(shown, f"is larger than the {_size(limits.max_bytes)} limit for a {limits.kind}",
                          "split it up or remove what does not belong in it")


def _size(n: int) -> str:
    if n % MIB == 0:
        return f"{n // MIB} MiB"
    return f"{n // KIB} KiB" if n % KIB == 0 else f"{n} bytes"
