"""`hipaachat stacks`: several Pulumi stacks per environment sharing one source of settings."""

from scripts.stacks.command import stacks

__all__ = ["stacks"]
