"""The record a move between shards leaves, so `promote --check` accepts the moved file.

A move changes two stacks of one environment: the tenant leaves SRC and arrives in DST with
the same bytes. One `kind: "move"` record (from SRC, to DST, the file's sha256, no gates: a
move plans nothing and changes no setting of the tenant) is appended to each stack's chain.
`shards move` calls this; it is promote's public surface for other verbs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from scripts.promote import gitinfo, records
from scripts.promote.models import PromotionRecord


class MoveNotRecorded(Exception):
    """The move cannot be recorded (a broken chain, no actor): nothing moved."""


def record_move(root: Path, tenant: str, source: str, target: str, data: bytes, move: Callable[[], None],
                actor: str | None = None) -> list[PromotionRecord]:
    """Run `move` (the file rename) inside the target chain's lock, then record it in both chains.

    Both chains are verified and the actor found before anything moves.
    """
    who = gitinfo.actor(actor, root)
    if who is None:
        raise MoveNotRecorded("no actor for the move record: set GITHUB_ACTOR or git config user.email")
    for stack in (source, target):
        chain = records.read_chain(records.records_path(root, stack), root=root)
        if chain.problems:
            raise MoveNotRecorded(f"stacks/promotions/{stack}.jsonl: the record chain is broken ("
                                  + "; ".join(chain.problems) + "); restore it from git history, then move again")
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")

    def build(previous: str | None) -> PromotionRecord:
        return records.seal({"previous": previous, "time": now, "actor": who, "commit": gitinfo.head_commit(root),
                             "from": source, "to": target, "kind": "move",
                             "tenants": [{"id": tenant, "sha256": records.digest(data)}], "gates": [],
                             "plan_sha256": None, "waivers": []})
    try:
        arrived = records.append(records.records_path(root, target), build, before=move, root=root)
        left = records.append(records.records_path(root, source), build, root=root)
    except records.ChainBroken as exc:
        raise MoveNotRecorded(str(exc)) from exc
    return [arrived, left]
