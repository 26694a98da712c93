"""The promotion record file: canonical lines, a hash chain that exposes edits, and a lock
that keeps every line when promotions race (real concurrent processes)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

from scripts.promote import records

APPENDER = """
import sys
from pathlib import Path
from scripts.promote import records

path, who, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
for n in range(count):
    def build(previous, n=n):
        return records.seal({"previous": previous, "time": "2026-11-30T00:00:00Z", "actor": who,
                             "commit": None, "from": "prototype", "to": "production",
                             "tenants": [{"id": f"{who}-{n}", "sha256": "0" * 64}], "gates": [],
                             "plan_sha256": "0" * 64, "waivers": []})
    records.append(path, build)
"""


def _body(previous: str | None, tenant: str) -> dict:
    return {"previous": previous, "time": "2026-11-30T12:00:00Z", "actor": "ops@example.org", "commit": "a" * 40,
            "from": "prototype", "to": "production", "tenants": [{"id": tenant, "sha256": "b" * 64}],
            "gates": [{"name": "destination-plan", "passed": True, "detail": "ok"}], "plan_sha256": "c" * 64,
            "waivers": []}


def _write_chain(path: Path, tenants: list[str]) -> list[bytes]:
    previous = None
    for tenant in tenants:
        record = records.append(path, lambda prev, t=tenant: records.seal(_body(prev, t)))
        assert record.previous == previous
        previous = record.id
    return path.read_bytes().splitlines(keepends=True)


def test_a_line_is_canonical_json_and_its_id_is_the_sha256_of_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "promotions" / "production.jsonl"
    line = _write_chain(path, ["sunrise-clinic"])[0]
    raw = json.loads(line)
    assert line == json.dumps(raw, sort_keys=True, separators=(",", ":")).encode() + b"\n"
    without_id = {k: v for k, v in raw.items() if k != "id"}
    assert raw["id"] == hashlib.sha256(json.dumps(without_id, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    assert raw["previous"] is None and raw["from"] == "prototype"
    assert set(raw) == {"id", "previous", "time", "actor", "commit", "from", "to", "tenants", "gates",
                        "plan_sha256", "waivers", "kind"}
    assert raw["kind"] == "promotion"  # `shards move` writes "move" records into the same chains


def test_an_intact_chain_links_every_line_to_the_one_before(tmp_path: Path) -> None:
    path = tmp_path / "production.jsonl"
    _write_chain(path, ["a-clinic", "b-clinic", "c-clinic"])
    chain = records.read_chain(path)
    assert chain.problems == []
    ids = [r.id for _, r in chain.records]
    assert [r.previous for _, r in chain.records] == [None, *ids[:-1]]


def test_an_edited_line_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "production.jsonl"
    lines = _write_chain(path, ["a-clinic", "b-clinic", "c-clinic"])
    lines[1] = lines[1].replace(b"b-clinic", b"x-clinic")
    path.write_bytes(b"".join(lines))
    assert any(p.startswith("line 2: its id does not match") for p in records.read_chain(path).problems)


def test_a_deleted_line_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "production.jsonl"
    lines = _write_chain(path, ["a-clinic", "b-clinic", "c-clinic"])
    path.write_bytes(lines[0] + lines[2])
    assert [p for p in records.read_chain(path).problems if "previous is" in p][0].startswith("line 2:")
    path.write_bytes(lines[1] + lines[2])  # the first line deleted
    assert any("previous must be null" in p for p in records.read_chain(path).problems)


def test_reordered_and_garbage_lines_are_detected(tmp_path: Path) -> None:
    path = tmp_path / "production.jsonl"
    lines = _write_chain(path, ["a-clinic", "b-clinic"])
    path.write_bytes(lines[1] + lines[0])
    assert records.read_chain(path).problems
    path.write_bytes(lines[0] + b"not json\n")
    assert records.read_chain(path).problems == ["line 2: not a promotion record (JSONDecodeError)"]


def test_reformatting_a_line_without_changing_values_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "production.jsonl"
    _write_chain(path, ["a-clinic"])
    path.write_text(json.dumps(json.loads(path.read_text()), indent=1).replace("\n", "") + "\n")
    assert any("not in canonical form" in p for p in records.read_chain(path).problems)


def test_appending_to_a_broken_chain_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "production.jsonl"
    lines = _write_chain(path, ["a-clinic", "b-clinic"])
    tampered = lines[0].replace(b"a-clinic", b"z-clinic") + lines[1]
    path.write_bytes(tampered)
    landed = []
    try:
        records.append(path, lambda prev: records.seal(_body(prev, "c-clinic")), before=lambda: landed.append(1))
    except records.ChainBroken as exc:
        assert "line 1" in str(exc)
    else:
        raise AssertionError("a broken chain accepted a new record")
    assert path.read_bytes() == tampered and landed == []


def test_racing_processes_never_lose_a_line(tmp_path: Path) -> None:
    """Eight processes append 15 records each to one file at once; all 120 land, chained."""
    path = tmp_path / "promotions" / "production.jsonl"
    path.parent.mkdir()
    workers = [subprocess.Popen([sys.executable, "-c", APPENDER, str(path), f"w{i}", "15"],
                                stderr=subprocess.PIPE, text=True) for i in range(8)]
    for worker in workers:
        _, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
    chain = records.read_chain(path)
    assert chain.problems == []
    tenants = sorted(t.id for _, r in chain.records for t in r.tenants)
    assert tenants == sorted(f"w{i}-{n}" for i in range(8) for n in range(15))
    assert not list(path.parent.glob(".*.partial"))
