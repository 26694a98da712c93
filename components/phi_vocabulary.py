"""The reviewed pointer vocabulary: every word an email or SMS template may use.

Email and SMS leave the BAA boundary, and no list of what PHI looks like is ever complete (a
held-out set found whole classes a denylist missed: lab values, conditions it did not know,
"your mother's results", Medicare numbers). So these two channels are checked the other way
round: a template passes only if every word is in the vocabulary and every placeholder is
approved (`components.phi.ALLOWED_PLACEHOLDERS`). Digits (other than a count of messages),
URLs, e-mail addresses and any word not listed are findings.

The words are reviewed data, not code: components/pointer_vocabulary.yaml, grouped for review.
Changing it is a reviewed change with its own test (tests/test_phi_vocabulary.py pins the
list's fingerprint). A stack may extend it in review with `hipaachat:pointerVocabulary`
(components.settings), which the linter takes as `extra` words.
"""

from __future__ import annotations

from pathlib import Path

from components.yaml_lines import load_with_lines

VOCABULARY_FILE = Path(__file__).with_name("pointer_vocabulary.yaml")


def _load(path: Path) -> frozenset[str]:
    data, _ = load_with_lines(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
        raise ValueError(f"{path.name}: every group is a list of words")
    words = [w for group in data.values() for w in group]
    bad = [w for w in words if not isinstance(w, str) or w != w.lower() or not w.strip()]
    if bad:
        raise ValueError(f"{path.name}: {len(bad)} entries are not lower-case words; quote yes/no/on/off")
    return frozenset(words)


POINTER_VOCABULARY: frozenset[str] = _load(VOCABULARY_FILE)
