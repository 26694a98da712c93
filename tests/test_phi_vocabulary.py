"""The reviewed pointer vocabulary (components/pointer_vocabulary.yaml): changing it is a reviewed change.

Adding a word to the vocabulary lets every email and SMS template use it. So the list is
pinned here by fingerprint: a pull request that extends it must update FINGERPRINT and WORDS
below, and the reviewer sees the words in the diff of this test as well as of the list.
"""

from __future__ import annotations

import hashlib
import re

import pytest

import components.phi as phi
from components.phi import lint, lint_pointer
from components.phi_terms import LAB_TERMS, RELATIVES, is_clinical
from components.phi_vocabulary import POINTER_VOCABULARY

FINGERPRINT = "d61946780d883105a02cfe25c11d5724f1eff416b0d13d33567ba6b93c470547"
WORDS = 250


def test_the_vocabulary_is_the_reviewed_one() -> None:
    digest = hashlib.sha256("\n".join(sorted(POINTER_VOCABULARY)).encode()).hexdigest()
    assert (len(POINTER_VOCABULARY), digest) == (WORDS, FINGERPRINT), (
        "components/pointer_vocabulary.yaml changed: have the new words reviewed (pointer-only, never what a "
        "message is about), then update WORDS and FINGERPRINT in this test")


@pytest.mark.parametrize("word", sorted(POINTER_VOCABULARY))
def test_no_vocabulary_word_is_phi(word: str) -> None:
    assert re.fullmatch(r"[a-z]+(?:'[a-z]+)?", word), "lower case letters and one apostrophe at most"
    assert word not in RELATIVES and word not in LAB_TERMS
    assert not is_clinical(word)
    assert lint(word) == [] and lint(word.capitalize()) == []


def test_months_weekdays_and_relative_days_are_not_in_it() -> None:
    calendar = {"january", "march", "may", "june", "monday", "friday", "today", "tomorrow", "tonight", "week"}
    # "may" is the verb; as a month it still needs a number, and numbers are refused.
    assert POINTER_VOCABULARY & calendar == {"may"}


def test_extending_the_vocabulary_is_what_lets_a_word_through(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "Your inbox has a fresh message."
    assert [text[f.start:f.end] for f in lint_pointer(text)] == ["fresh"]
    monkeypatch.setattr(phi, "POINTER_VOCABULARY", POINTER_VOCABULARY | {"fresh"})
    assert lint_pointer(text) == []


def test_a_stack_extends_the_vocabulary_in_review_but_not_past_the_denylist() -> None:
    from components.settings import StackSettings

    settings = StackSettings.from_config({"hipaachat:pointerVocabulary": ["fresh", "cancer"]})
    extra = frozenset(settings.pointer_vocabulary)
    assert lint_pointer("Your inbox has a fresh message.", extra) == []
    assert [f.kind.value for f in lint_pointer("Your cancer message is here.", extra)] == ["clinical_term"]
    with pytest.raises(ValueError, match="single lower-case words"):
        StackSettings.from_config({"hipaachat:pointerVocabulary": ["two words"]})


def test_the_vocabulary_is_a_data_file_the_linter_loads() -> None:
    from components.phi_vocabulary import VOCABULARY_FILE, _load

    assert VOCABULARY_FILE.suffix == ".yaml" and _load(VOCABULARY_FILE) == POINTER_VOCABULARY
    assert {"activity", "pending", "update", "notification", "reminder", "inbox", "portal", "account"} \
        <= POINTER_VOCABULARY
