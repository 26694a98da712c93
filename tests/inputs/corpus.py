"""The malformed-input corpus: hand-written and generated files nobody should be able to crash us with.

Each case edits a fresh copy of the project (one file, usually) and names the command to run,
the file the error must name and, where the reader can know it, a phrase the message must hold
(the byte offset of a bad byte, the limit that was exceeded). All content is synthetic.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

TENANT = "stacks/tenants/local/lotus-health.yaml"
STACK = "stacks/Pulumi.local.yaml"
WAIVERS = "policies/waivers.yaml"
MANIFEST = "Pulumi.yaml"

PLAN = ("plan", "--stack", "local")
VALIDATE = ("tenants", "validate", "--stack", "local")
LIST = ("tenants", "list", "--stack", "local", "--format", "json")

# Nine anchors of nine aliases each: 9**9 (387 million) strings once expanded.
ALIAS_BOMB = "".join(
    [f'l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n']
    + [f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9) + "]\n" for i in range(1, 10)]
)


@dataclass(frozen=True)
class Case:
    """One malformed input: how to make it, what to run, and what the error must say."""

    id: str
    target: str
    make: Callable[[Path], None]
    command: tuple[str, ...] = PLAN
    says: tuple[str, ...] = ()
    named: str | None = None  # how the message names the file, when not as `target`


def _text(relative: str, text: str) -> Callable[[Path], None]:
    return _bytes(relative, text.encode("utf-8"))


def _bytes(relative: str, data: bytes) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        path = root / relative
        path.unlink(missing_ok=True)
        path.write_bytes(data)
    return make


def _edit(relative: str, change: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        path = root / relative
        path.write_bytes(change(path.read_bytes()))
    return make


def _replace(relative: str, old: str, new: bytes) -> Callable[[Path], None]:
    def change(data: bytes) -> bytes:
        assert old.encode() in data, old
        return data.replace(old.encode(), new, 1)
    return _edit(relative, change)


def _directory(relative: str) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        (root / relative).unlink()
        (root / relative).mkdir()
    return make


def _fifo(relative: str) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        (root / relative).unlink()
        os.mkfifo(root / relative)
    return make


def _symlink_outside(relative: str) -> Callable[[Path], None]:
    """A link to a copy of the very same (valid) file, kept outside the project: still refused."""
    def make(root: Path) -> None:
        path = root / relative
        outside = root.parent / f"outside-{path.name}"
        outside.write_bytes(path.read_bytes())
        path.unlink()
        path.symlink_to(outside)
    return make


def _dangling(relative: str) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        (root / relative).unlink()
        (root / relative).symlink_to(root / "stacks" / "no-such-file.yaml")
    return make


def _device(relative: str) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        (root / relative).unlink()
        (root / relative).symlink_to("/dev/zero")
    return make


def _extra(name: str, text: str = "id: x\n") -> Callable[[Path], None]:
    def make(root: Path) -> None:
        (root / "stacks" / "tenants" / "local" / name).write_text(text)
    return make


def _latin1_cases() -> list[Case]:
    """Latin-1 (or Windows-1252) saved files: the classic 'not UTF-8' with the offset named."""
    tenant_bytes = (Path(__file__).resolve().parents[2] / TENANT).read_bytes()
    at = tenant_bytes.index(b"Centre") + len("Centr")
    return [
        Case("latin1-tenant-name", TENANT, _replace(TENANT, "Centre", "Centr\xe9".encode("latin-1")),
             says=(f"byte offset {at}", "UTF-8")),
        Case("latin1-tenant-validate", TENANT, _replace(TENANT, "Centre", "Centr\xe9".encode("latin-1")),
             command=VALIDATE, says=(f"byte offset {at}",)),
        Case("cp1252-smart-quotes", TENANT, _replace(TENANT, '"New message"', b"\x93New message\x94"),
             says=("byte offset", "0x93")),
        Case("latin1-stack", STACK, _edit(STACK, lambda d: d + "# r\xe9sum\xe9\n".encode("latin-1")),
             says=("byte offset",)),
        Case("latin1-waivers", WAIVERS, _edit(WAIVERS, lambda d: b"# \xe9\n" + d), says=("byte offset 2",)),
        Case("latin1-manifest", MANIFEST, _edit(MANIFEST, lambda d: b"# \xe9\n" + d), command=VALIDATE,
             says=("byte offset 2",)),
    ]


def _encoding_cases() -> list[Case]:
    tenant = (Path(__file__).resolve().parents[2] / TENANT).read_text()
    return [
        Case("utf16-bom", TENANT, _bytes(TENANT, tenant.encode("utf-16")), says=("UTF-16",)),
        Case("utf16-no-bom", TENANT, _bytes(TENANT, tenant.encode("utf-16-le")), says=("NUL",)),
        Case("utf32-bom", TENANT, _bytes(TENANT, tenant.encode("utf-32")), says=("UTF-32",)),
        Case("nul-in-value", TENANT, _replace(TENANT, "Lotus", b"Lo\x00tus"), says=("NUL", "byte offset")),
        Case("nul-stack", STACK, _edit(STACK, lambda d: d + b"\x00"), says=("NUL",)),
        Case("nul-manifest", MANIFEST, _edit(MANIFEST, lambda d: d + b"\x00"), command=LIST, says=("NUL",)),
        Case("truncated-multibyte", TENANT, _edit(TENANT, lambda d: d + b"# \xe2\x82"), says=("not UTF-8",)),
        Case("overlong-slash", TENANT, _replace(TENANT, "synthetic)", b"synthetic\xc0\xaf)"), says=("0xC0",)),
        Case("encoded-surrogate", TENANT, _replace(TENANT, "Centre", b"Centre\xed\xa0\x80"), says=("0xED",)),
        Case("lone-continuation", STACK, _edit(STACK, lambda d: b"\x80" + d), says=("byte offset 0",)),
    ]


def _yaml_cases() -> list[Case]:
    return [
        Case("alias-bomb-tenant", TENANT, _text(TENANT, ALIAS_BOMB), says=("anchors",)),
        Case("alias-bomb-tenant-list", TENANT, _text(TENANT, ALIAS_BOMB), command=LIST, says=("anchors",)),
        Case("alias-bomb-stack", STACK, _text(STACK, ALIAS_BOMB), says=("anchors",)),
        Case("alias-bomb-waivers", WAIVERS, _text(WAIVERS, ALIAS_BOMB), says=("anchors",)),
        Case("one-anchor", TENANT, _replace(TENANT, "residency: in", b"residency: &r in\nx: *r"),
             says=("anchors",)),
        Case("merge-key", TENANT, _replace(TENANT, "features:\n", b"features:\n  <<: {ai: true}\n"),
             says=("merge keys",)),
        Case("duplicate-key", TENANT, _edit(TENANT, lambda d: d + b"residency: us\n"), says=("duplicate key",)),
        Case("deep-flow", TENANT, _text(TENANT, "x: " + "[" * 50_000 + "]" * 50_000 + "\n"),
             says=("nesting", "32")),
        Case("deep-block", TENANT, _text(TENANT, "".join(f"{'  ' * i}k{i}:\n" for i in range(40)) + "  " * 40 + "v\n"),
             says=("nesting",)),
        Case("deep-stack", STACK, _text(STACK, "config:\n  a: " + "{b: " * 40 + "1" + "}" * 40 + "\n"),
             says=("nesting",)),
        Case("python-tag", TENANT, _text(TENANT, "id: !!python/object/apply:os.system ['true']\n"),
             says=("YAML",)),
        Case("two-documents", TENANT, _edit(TENANT, lambda d: d + b"---\nid: other\n"), says=("YAML",)),
        Case("tab-indent", TENANT, _replace(TENANT, "  ai: false", b"\tai: false"), says=("YAML",)),
        Case("unclosed-quote", STACK, _edit(STACK, lambda d: d + b'  hipaachat:x: "open\n'), says=("YAML",)),
        Case("manifest-alias", MANIFEST, _edit(MANIFEST, lambda d: d + b"a: &a 1\nb: *a\n"), says=("anchors",)),
    ]


def _size_and_kind_cases() -> list[Case]:
    return [
        Case("oversize-tenant", TENANT, _edit(TENANT, lambda d: d + b"#" + b"x" * (256 * 1024) + b"\n"),
             says=("256 KiB",)),
        Case("oversize-stack", STACK, _edit(STACK, lambda d: d + (b"# padding\n" * 30_000)), says=("256 KiB",)),
        Case("oversize-waivers", WAIVERS, _edit(WAIVERS, lambda d: b"#" * (1024 * 1024 + 1) + b"\n" + d),
             says=("1 MiB",)),
        Case("symlink-outside-tenant", TENANT, _symlink_outside(TENANT), says=("outside the project",)),
        Case("symlink-outside-stack", STACK, _symlink_outside(STACK), says=("outside the project",)),
        Case("symlink-outside-manifest", MANIFEST, _symlink_outside(MANIFEST), says=("outside the project",)),
        Case("dangling-symlink", TENANT, _dangling(TENANT), says=("does not exist",)),
        Case("directory-tenant", TENANT, _directory(TENANT), says=("directory",)),
        Case("directory-stack", STACK, _directory(STACK), says=("directory",)),
        Case("directory-waivers", WAIVERS, _directory(WAIVERS), says=("directory",)),
        Case("fifo-tenant", TENANT, _fifo(TENANT), says=("FIFO",)),
        Case("fifo-stack", STACK, _fifo(STACK), command=LIST, says=("FIFO",)),
        Case("fifo-waivers", WAIVERS, _fifo(WAIVERS), says=("FIFO",)),
        Case("symlink-to-device", TENANT, _device(TENANT), says=("outside the project",)),
        # The waiver file may live anywhere ($HIPAACHAT_WAIVERS), so here the device itself is refused.
        Case("device-waivers", WAIVERS, _device(WAIVERS), says=("a device",)),
    ]


def _name_and_type_cases() -> list[Case]:
    local = "stacks/tenants/local/"
    return [
        Case("name-with-space", local + "Lotus Health.yaml", _extra("Lotus Health.yaml"), says=("<id>.yaml",)),
        Case("name-backup-suffix", local + "lotus-health.yaml.bak", _extra("lotus-health.yaml.bak"),
             says=("<id>.yaml",)),
        Case("name-uppercase", local + "Lotus.yaml", _extra("Lotus.yaml"), says=("<id>.yaml",)),
        Case("name-txt", local + "notes.txt", _extra("notes.txt", "synthetic notes\n"), command=VALIDATE,
             says=("<id>.yaml",)),
        Case("name-id-mismatch", TENANT, _replace(TENANT, "id: lotus-health", b"id: lotus-clinic"),
             says=("match the file name",)),
        Case("stack-name-traversal", STACK, lambda root: None, command=("plan", "--stack", "../local"),
             says=("no such stack file",), named="local.yaml"),
        Case("type-top-level-list", TENANT, _text(TENANT, "- id: lotus-health\n"), says=("mapping",)),
        Case("type-top-level-scalar", TENANT, _text(TENANT, "lotus-health\n"), says=("mapping",)),
        Case("type-empty-file", TENANT, _text(TENANT, ""), says=("the file is empty", "tenants new")),
        Case("type-bom-only", TENANT, _bytes(TENANT, b"\xef\xbb\xbf"), says=("the file is empty", "tenants new")),
        Case("type-roles-string", TENANT, _text(TENANT, _tenant().replace("roles:\n", "roles: everyone\nx:\n")),
             says=("roles",)),
        Case("type-days-words", TENANT, _edit(TENANT, lambda d: d + b"retention:\n  audit_log_days: six years\n"),
             says=("retention.audit_log_days",)),
        Case("type-notifications-list", TENANT,
             _text(TENANT, _tenant().split("notifications:")[0] + "notifications: [push, sms]\n"),
             says=("notifications",)),
        Case("type-stack-list", STACK, _text(STACK, "- config\n"), says=("mapping",)),
        Case("type-stack-config-list", STACK, _text(STACK, "config: [a, b]\n"), says=("config",)),
        Case("type-manifest-config-dir", MANIFEST, _edit(MANIFEST, lambda d: d.replace(
            b"stackConfigDir: stacks", b"stackConfigDir: [stacks]")), says=("stackConfigDir",)),
    ]


def _tenant() -> str:
    return (Path(__file__).resolve().parents[2] / TENANT).read_text()


def _generated_cases() -> list[Case]:
    """Seeded, so a failure names a reproducible input: random binary files and single bad bytes."""
    cases = []
    original = (Path(__file__).resolve().parents[2] / TENANT).read_bytes()
    for seed in range(6):
        rng = random.Random(seed)
        blob = bytes(rng.randrange(256) for _ in range(rng.randrange(64, 4096)))
        cases.append(Case(f"random-binary-{seed}", TENANT, _bytes(TENANT, blob)))
        at = rng.randrange(original.index(b"\n") + 1, len(original))  # after line 1's multi-byte dash
        bad = bytes([rng.choice([0x80, 0xBF, 0xC0, 0xC1, 0xF5, 0xFF])])
        cases.append(Case(f"bad-byte-{seed}", TENANT, _bytes(TENANT, original[:at] + bad + original[at:]),
                          says=(f"byte offset {at}",)))
    for depth in (33, 200, 5000):
        cases.append(Case(f"depth-{depth}", TENANT, _text(TENANT, "a: " + "[" * depth + "]" * depth + "\n"),
                          says=("nesting",)))
    return cases


CORPUS: list[Case] = (_latin1_cases() + _encoding_cases() + _yaml_cases() + _size_and_kind_cases()
                      + _name_and_type_cases() + _generated_cases())
