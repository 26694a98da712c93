"""`hipaachat promote`: gates, byte-identical tenant files, and hash-chained promotion records."""

from scripts.promote.command import promote

__all__ = ["promote"]
