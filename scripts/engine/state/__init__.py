"""The one reader and the one writer of the pivot format: `pulumi stack export` version 3.

The captured registrations (`scripts.engine.models.CapturedResource`) are written and read in the
shape `pulumi stack export` produces, so `plan --export-state`, `plan --state` and `audit
--state` all speak the format a real deployment already has. Public API (keep it small):

- `read_state(path) -> StateDocument`: a `pulumi stack export` file or a self-managed backend
  checkpoint (`.pulumi/stacks/<project>/<stack>.json`). Raises `StateError` (an `InputError`,
  exit 2) naming the file and the reason. Secrets stay wrapped and are never decrypted.
- `parse_state(text, source) -> StateDocument`: the same, from bytes already in memory.
- `write_state(path, resources, stack=..., project=...)`: the export document, written atomically.
- `export_document(resources, stack=..., project=...) -> dict`: the document itself.
- `opaque_secrets(value)`: a copy with every secret replaced by one fixed envelope, for
  comparing values whose secrets come from different places (a capture, an export).
- `is_secret(value)`, `SECRET_ENVELOPE`: recognising and making Pulumi secret envelopes.
"""

from scripts.engine.state.envelope import SECRET_ENVELOPE, is_secret, opaque_secrets
from scripts.engine.state.models import PendingOperation, StateDocument, StateError, StateManifest
from scripts.engine.state.reader import parse_state, read_state
from scripts.engine.state.writer import export_document, write_state

__all__ = [
    "SECRET_ENVELOPE", "PendingOperation", "StateDocument", "StateError", "StateManifest", "export_document",
    "is_secret", "opaque_secrets", "parse_state", "read_state", "write_state",
]
