"""`hipaachat shards`: an environment's stacks planned together, a CI matrix, moves, the Operator."""

from scripts.shards.command import shards

__all__ = ["shards"]
