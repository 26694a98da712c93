"""`hipaachat promote`: gates, byte-identical tenant files, and hash-chained promotion records.

The command lives in scripts.promote.command; this package init stays import-light so the
record reader (used by audits) does not pull in the planner.
"""
