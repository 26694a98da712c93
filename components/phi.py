"""The one PHI linter for notification templates, shared by the catalog loader, the policy pack and the CLI.

Two linters, one per side of the BAA boundary:

- **Email and SMS** leave the boundary (mail relays, carriers, lock screens), so a template
  sent through them must be a *pointer* ("You have a new message in your care portal. Log in
  to view it."). No list of what PHI looks like is ever complete, so these channels are checked
  by allowlist (`lint_pointer`): every word must be in the reviewed pointer vocabulary
  (`components.phi_vocabulary`) and every placeholder in `ALLOWED_PLACEHOLDERS`; a number, a
  URL, an address or any other word is a finding.
- **Push and in-app** texts are shown inside the signed-in app, and keep the denylist (`lint`):
  the HIPAA Safe Harbor identifiers of 45 CFR 164.514(b)(2)(i) that can appear in a template
  (names, geography below state level, date elements, phone numbers, email addresses, SSNs,
  record, member and Medicare numbers, URLs and IP addresses that identify, ages), relatives,
  measurements, and clinical vocabulary taken from ICD-10 (`components.phi_terms`), because
  "your biopsy results are ready" discloses health information even without a name.

`lint_channel` picks the right one. Findings never echo the matched text back: logs and CI
output are outside the BAA boundary too, so a finding carries its kind and character span only.
The one exception is a placeholder's variable name, which is template code, not data.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field

from components import phi_terms
from components.findings import field_message
from components.phi_vocabulary import POINTER_VOCABULARY

# Placeholders a pointer template may use. `{{clinic_name}}` is refused on purpose: a clinic's name
# in an SMS tells the carrier, the lock screen and anyone holding the phone that this person is a
# patient of that provider (often a specialty: oncology, fertility, addiction), which is exactly
# the relationship HIPAA protects. Use `{{app_name}}` for a neutral product name instead.
ALLOWED_PLACEHOLDERS = frozenset({"deep_link", "app_name", "portal_url", "unsubscribe_url"})

POINTER_EXAMPLE = "You have a new message in your care portal. Log in to view it."
POINTER_ONLY_CHANNELS = frozenset({"email", "sms"})


class PhiKind(str, Enum):
    NAME = "name"
    PROVIDER_NAME = "provider_name"
    DATE = "date"
    PHONE = "phone"
    EMAIL = "email"
    SSN = "ssn"
    RECORD_NUMBER = "record_number"
    IDENTIFIER = "identifier"
    ADDRESS = "address"
    ZIP_CODE = "zip_code"
    URL = "url"
    IP_ADDRESS = "ip_address"
    AGE = "age"
    CLINICAL_TERM = "clinical_term"
    MEASUREMENT = "measurement"
    RELATIVE = "relative"
    PLACEHOLDER = "placeholder"
    UNREVIEWED_WORD = "unreviewed_word"
    NUMBER = "number"
    SYMBOL = "symbol"


_LABELS: dict[PhiKind, str] = {
    PhiKind.NAME: "a person's or organization's name",
    PhiKind.PROVIDER_NAME: "a provider's name",
    PhiKind.DATE: "a date or time",
    PhiKind.PHONE: "a phone or fax number",
    PhiKind.EMAIL: "an email address",
    PhiKind.SSN: "a Social Security number",
    PhiKind.RECORD_NUMBER: "a medical record, account or member number",
    PhiKind.IDENTIFIER: "an identifying number",
    PhiKind.ADDRESS: "a street address or place",
    PhiKind.ZIP_CODE: "a ZIP code",
    PhiKind.URL: "a URL that carries an identifier",
    PhiKind.IP_ADDRESS: "an IP address",
    PhiKind.AGE: "an age",
    PhiKind.CLINICAL_TERM: "a clinical term",
    PhiKind.MEASUREMENT: "a clinical measurement",
    PhiKind.RELATIVE: "a reference to a relative",
    PhiKind.PLACEHOLDER: "a placeholder outside the allow-list",
    PhiKind.UNREVIEWED_WORD: "a word outside the reviewed pointer vocabulary",
    PhiKind.NUMBER: "a number",
    PhiKind.SYMBOL: "a character that plain pointer text does not use",
}


class PhiFinding(BaseModel):
    """One suspected identifier: its kind and where it is, never the text itself."""

    model_config = ConfigDict(frozen=True)

    kind: PhiKind
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    description: str

    def __str__(self) -> str:
        return f"{self.description} (characters {self.start}-{self.end})"


_UPPER = "A-ZÀ-ÖØ-Þ"
_LOWER = "a-zß-öø-ÿ"
_CAP_WORD = rf"[{_UPPER}][{_LOWER}]+(?:['-][{_UPPER}]?[{_LOWER}]+)?"

# Capitalized words that pointer templates use without naming anyone; a run of capitalized words
# made only of these is not a name ("New Message", "Care Portal", "Log In").
_SAFE_WORDS = frozenset("""
    a an and app application are at be by can care check click continue dear do for friend from get
    have hello help hey hi in inbox is it log login member message messages new no notification
    notifications now of on open or patient please portal read reply respond secure see sign sir
    madam tap team thank thanks the there this to today update updates user valued view visit we
    you your yours account settings online home mobile web chat conversation unread waiting
""".split())

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|januar|februar|märz|maerz|mai|juni|juli|"
    "oktober|dezember|janvier|février|fevrier|mars|avril|juin|juillet|août|aout|septembre|"
    "octobre|novembre|décembre|decembre"
)
_WEEKDAYS = ("monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
             "montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag")

_CLINICAL_TERMS = (
    "test results?", "lab results?", "results? (?:are|is) (?:ready|available|in)", "diagnos(?:is|es|ed)",
    "prescriptions?", "medications?", "meds", "refills?", "dosage", "doses?", "surgery",
    "surgical", "procedures?", "biops(?:y|ies)", "cancer", "tumou?rs?", "oncolog\\w*", "chemo\\w*",
    "radiation", "hiv", "aids", "hepatitis", "std", "sti", "pregnan\\w*", "prenatal", "abortion",
    "miscarriage", "fertility", "ivf", "diabet\\w*", "insulin", "glucose", "blood pressure", "cholesterol",
    "blood (?:test|work|draw)", "x-?rays?", "mri", "ct scan", "ultrasound", "mammogram", "colonoscopy",
    "vaccin\\w*", "immuniz\\w*", "therapy", "therapist", "counsel(?:l)?ing", "psychiatr\\w*", "mental health",
    "depression", "anxiety", "bipolar", "schizophreni\\w*", "addiction", "substance use", "rehab\\w*",
    "opioids?", "overdose", "dementia", "alzheimer\\w*", "covid(?:-19)?", "tested (?:positive|negative)",
    "positive for", "negative for", "symptoms?", "treatment", "discharged?", "admission", "admitted",
    "hospital\\w*", "emergency room", "urgent care", "referrals?", "cardiolog\\w*", "dermatolog\\w*",
    "pediatric\\w*", "gyn(?:a)?ecolog\\w*", "urolog\\w*", "physical therapy", "pharmacy", "lab work",
    "screening", "infection", "allerg(?:y|ies|ic)", "injur(?:y|ies)", "pathology", "fevers?", "cancers?",
    # Everyday English that is clinical in a notification (components/phi_terms.py leaves everyday words out).
    "heart attack", "heart failure", "strokes?", "diseases?", "fractures?", "wounds?", "pain(?:ful)?", "cough\\w*",
    "headaches?", "cardiac", "kidneys?", "liver", "lumps?", "sick(?:ness)?", "illness(?:es)?", "bleeding",
    "skull", "plague", "arrest", "hearing loss", "delivery of", "birth defects?",
)

_HONORIFIC = re.compile(rf"\b(?P<title>Mr|Mrs|Ms|Miss|Mx|Prof|Herr|Frau|Dr|Doctor|Nurse)\.?\s+{_CAP_WORD}")
_PROVIDER_TITLES = frozenset({"Dr", "Doctor", "Nurse", "Prof"})
_SALUTATION = re.compile(rf"\b(?:Hi|Hello|Hey|Dear|Good (?:morning|afternoon|evening)),?\s+(?P<word>{_CAP_WORD})")
_CAPITALIZED_RUN = re.compile(rf"\b{_CAP_WORD}(?:[ \t]+{_CAP_WORD})+\b")
_PLACEHOLDER = re.compile(r"\{\{\s*(?P<a>[^{}]*?)\s*\}\}|\$\{\s*(?P<b>[^{}]*?)\s*\}|\{\s*(?P<c>[A-Za-z_][\w.]*)\s*\}")
_PLACEHOLDER_NAME = re.compile(r"^[A-Za-z_][\w.]{0,40}$")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)

_Candidate = tuple[PhiKind, int, int, str]


def _enough_digits(match: re.Match[str]) -> bool:
    """Phone numbers have 7 to 15 digits (E.164); fewer is a count or a room, more is an identifier."""
    return 7 <= sum(c.isdigit() for c in match.group(0)) <= 15


def _not_a_plain_word(match: re.Match[str]) -> bool:
    """Member ids mix letters and digits; an all-letter word that only looks long is not one."""
    return any(c.isdigit() for c in match.group(0))


# Ordered by priority: where two rules match overlapping text, the earlier one names it.
_PATTERN_RULES: tuple[tuple[PhiKind, re.Pattern[str], Callable[[re.Match[str]], bool] | None], ...] = (
    (PhiKind.RECORD_NUMBER, phi_terms.MEMBER_ID, _not_a_plain_word),
    (PhiKind.CLINICAL_TERM, phi_terms.ICD_CODE, None),
    (PhiKind.SSN, re.compile(r"\b\d{3}-\d{2}-\d{4}\b|\b(?:ssn|social security(?: number| no\.?)?)\b", re.I), None),
    (PhiKind.EMAIL, re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"), None),
    (PhiKind.IP_ADDRESS, re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b"), None),
    (PhiKind.ZIP_CODE, re.compile(r"\b\d{5}-\d{4}\b"), None),
    (PhiKind.DATE, re.compile(
        r"\b\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}\b"
        r"|\b\d{1,2}/\d{1,2}\b"
        rf"|\b(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b"
        rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\.?\s+(?:of\s+)?(?:{_MONTHS})\b"
        rf"|\b(?:{_WEEKDAYS})\b"
        r"|\b\d{1,2}:\d{2}(?:\s*[ap]\.?m\.?)?"
        r"|\b\d{1,2}\s*[ap]\.?m\.?(?!\w)", re.I), None),
    (PhiKind.MEASUREMENT, phi_terms.MEASUREMENT, None),
    (PhiKind.PHONE, re.compile(
        r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]\d{2,5}){1,4}(?![\w-])"
        r"|\b(?:phone|tel|fax|call)[:.]?\s*\+?\d[\d\s().-]{5,}\d", re.I), _enough_digits),
    (PhiKind.RECORD_NUMBER, re.compile(
        r"\b(?:mrn|medical record(?: number| no\.?| #)?|(?:record|chart|patient|account|acct|member|policy|"
        r"claim|case|beneficiary|subscriber|insurance|plan)\s*(?:id|number|no\.?|#))(?![A-Za-z])"
        r"(?:\s*[:#]?\s*[A-Z0-9-]*\d[A-Z0-9-]*)?", re.I), None),
    (PhiKind.ADDRESS, re.compile(
        rf"\b\d{{1,5}}[A-Za-z]?\s+(?:{_CAP_WORD}\s+){{1,4}}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|"
        r"Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Parkway|Pkwy|Highway|Hwy|Circle|Square)\b\.?"
        rf"|\b[{_UPPER}][\wäöüß]*(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm)\s+\d{{1,4}}[a-z]?\b"
        r"|\bP\.?\s?O\.?\s+Box\s+\d+"
        r"|\b(?:Apt|Apartment|Suite|Ste|Unit)\.?\s*#?\s*\d+\w*"
        rf"|\b{_CAP_WORD},\s+[A-Z]{{2}}\b"), None),
    (PhiKind.ZIP_CODE, re.compile(r"\b\d{5}\b"), None),
    (PhiKind.IDENTIFIER, re.compile(r"\b\d{6,}\b|\b[A-Z]{1,3}-?\d{5,}\b"), None),
    (PhiKind.AGE, re.compile(r"\b\d{1,3}[\s-]*(?:years?|yrs?)[\s-]*old\b|\bage[ds]?\s*:?\s*\d{1,3}\b", re.I), None),
    (PhiKind.CLINICAL_TERM, re.compile(r"\b(?:" + "|".join(_CLINICAL_TERMS) + r")\b", re.I), None),
)


def lint(text: str) -> list[PhiFinding]:
    """Every suspected PHI element of `text`, in order of position; an empty list means pointer-only."""
    # Allowed placeholders and plain links are claimed first (with no description) so that no other
    # rule reads into them; they are dropped before returning.
    candidates: list[_Candidate] = _placeholders(text) + _urls(text)
    for kind, pattern, accept in _PATTERN_RULES:
        candidates += [(kind, m.start(), m.end(), _LABELS[kind]) for m in pattern.finditer(text)
                       if accept is None or accept(m)]
    candidates += _names(text) + _vocabulary(text)
    kept: list[_Candidate] = []
    for candidate in candidates:  # candidates arrive in priority order
        _, start, end, _ = candidate
        if not any(start < k_end and k_start < end for _, k_start, k_end, _ in kept):
            kept.append(candidate)
    return [PhiFinding(kind=k, start=s, end=e, description=d)
            for k, s, e, d in sorted(kept, key=lambda c: c[1]) if d]


# Punctuation plain pointer text uses; anything else (/, @, #, =, digits, emoji) is a finding.
_LINK = "a link (use {{portal_url}} or {{deep_link}} instead)"
_POINTER_PUNCTUATION = frozenset(" \t\n.,!?:;-–—'’\"“”()&")
_TOKEN = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*|\S")
# A count of messages ("1 new", "3 unread messages", "2 replies") says how many, never what about.
_COUNT = re.compile(r"\b[1-9]\d?(?=\s+(?:new|unread|pending|more|messages?|notifications?|updates?|alerts?|"
                    r"reminders?|items?|repl(?:y|ies)|documents?|requests?|tasks?)\b)", re.IGNORECASE)


def lint_pointer(text: str, extra: frozenset[str] = frozenset()) -> list[PhiFinding]:
    """Email/SMS: a finding for every word outside the reviewed vocabulary and every unapproved placeholder.

    Where the denylist knows what an unreviewed span is (a name, a date, a clinical term) the
    finding says so; otherwise it is an unreviewed word, a number or a symbol. Either way the
    template is not pointer-only until the span is rewritten (or the vocabulary is extended,
    a reviewed change: components/pointer_vocabulary.yaml, or the stack's `extra` words from
    `hipaachat:pointerVocabulary`). A count of messages ("3 unread") is allowed.
    """
    placeholders = _placeholders(text)
    # A link, even a fixed one, names the provider's domain (often its specialty): use a placeholder.
    links = [(PhiKind.URL, start, end, _LINK) for _, start, end, _ in _urls(text)]
    found: list[_Candidate] = [c for c in placeholders if c[3]] + links
    claimed = [(start, end) for _, start, end, _ in placeholders + links]
    claimed += [m.span() for m in _COUNT.finditer(text)]
    known = [f for f in lint(text) if f.kind != PhiKind.PLACEHOLDER]
    for match in _TOKEN.finditer(text):
        start, end = match.span()
        token = match.group(0)
        if any(s <= start < e for s, e in claimed) or token in _POINTER_PUNCTUATION:
            continue
        # The denylist first: "Hi Will" uses a vocabulary word as a name.
        overlapping = next((f for f in known if f.start < end and start < f.end), None)
        if overlapping is not None:
            found.append((overlapping.kind, overlapping.start, overlapping.end, overlapping.description))
            claimed.append((overlapping.start, overlapping.end))
            continue
        if _in_vocabulary(token, extra):
            continue
        kind = (PhiKind.NUMBER if token.isdigit() else PhiKind.SYMBOL if not token[0].isalnum()
                else PhiKind.IDENTIFIER if any(c.isdigit() for c in token) else PhiKind.UNREVIEWED_WORD)
        found.append((kind, start, end, _LABELS[kind]))
    return [PhiFinding(kind=k, start=s, end=e, description=d) for k, s, e, d in sorted(set(found), key=lambda c: c[1])]


def _in_vocabulary(token: str, extra: frozenset[str] = frozenset()) -> bool:
    """A reviewed word, or its possessive ("team's"); the possessive of anything else is not."""
    word = token.lower().replace("’", "'")
    words = POINTER_VOCABULARY | extra if extra else POINTER_VOCABULARY
    return word in words or (word.endswith("'s") and word[:-2] in words)


def lint_channel(channel: str, text: str, extra: frozenset[str] = frozenset()) -> list[PhiFinding]:
    """The linter for a notification channel: the allowlist outside the BAA (email, sms), else the denylist."""
    return lint_pointer(text, extra) if channel in POINTER_ONLY_CHANNELS else lint(text)


def template_problem(channel: str, text: str, extra: frozenset[str] = frozenset()) -> str | None:
    """The one wording of a template's findings, for `tenants validate` and the policy pack alike.

    `notifications.<channel>: <findings with spans>; <fix>` (components.findings), or None when
    the template passes its channel's linter.
    """
    findings = lint_channel(channel, text, extra)
    if not findings:
        return None
    placeholders = ", ".join("{{" + p + "}}" for p in sorted(ALLOWED_PLACEHOLDERS))
    if channel in POINTER_ONLY_CHANNELS:
        return field_message(
            f"notifications.{channel}", f"not pointer-only: {summarize(findings)}",
            f"use only the reviewed pointer vocabulary (components/pointer_vocabulary.yaml, extended by "
            f"hipaachat:pointerVocabulary) and the placeholders {placeholders}, e.g. \"{POINTER_EXAMPLE}\"")
    return field_message(f"notifications.{channel}", f"looks like PHI: {summarize(findings)}",
                         f"make it a pointer, e.g. \"{POINTER_EXAMPLE}\" (allowed placeholders: {placeholders})")


def is_pointer_only(text: str) -> bool:
    """True when `text` passes the email/SMS allowlist: safe for channels outside the BAA."""
    return not lint_pointer(text)


def summarize(findings: list[PhiFinding], limit: int = 5) -> str:
    """A one-line, excerpt-free account of findings for violation messages and CLI output."""
    shown = "; ".join(dict.fromkeys(str(f) for f in findings[:limit]))
    more = len(findings) - limit
    return shown + (f"; and {more} more" if more > 0 else "")


def _placeholders(text: str) -> list[_Candidate]:
    found: list[_Candidate] = []
    for match in _PLACEHOLDER.finditer(text):
        name = (match.group("a") or match.group("b") or match.group("c") or "").strip()
        if name in ALLOWED_PLACEHOLDERS:
            # Allowed placeholders still occupy their span so no other rule reads into them.
            found.append((PhiKind.PLACEHOLDER, match.start(), match.end(), ""))
            continue
        shown = "{{" + name + "}}" if _PLACEHOLDER_NAME.match(name) else "a placeholder"
        allowed = ", ".join("{{" + p + "}}" for p in sorted(ALLOWED_PLACEHOLDERS))
        found.append((PhiKind.PLACEHOLDER, match.start(), match.end(),
                      f"placeholder {shown} is not on the allow-list ({allowed})"))
    return found


def _urls(text: str) -> list[_Candidate]:
    """A fixed link to a portal is a pointer; a link with a query, fragment or token in its path identifies someone."""
    found: list[_Candidate] = []
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?)")
        path = re.sub(r"^(?:https?://)?[^/]*", "", url, flags=re.I)
        identifying = any(c in url for c in "?#=") or re.search(r"\d{4,}|[A-Za-z0-9_-]{16,}", path)
        found.append((PhiKind.URL, match.start(), match.start() + len(url),
                      _LABELS[PhiKind.URL] if identifying else ""))
    return found


def _vocabulary(text: str) -> list[_Candidate]:
    """Clinical words (ICD-10 and lab terms) and relatives, word by word."""
    found: list[_Candidate] = []
    for match in phi_terms.WORD.finditer(text):
        word = match.group(0)
        kind = PhiKind.RELATIVE if phi_terms.is_relative(word) else \
            PhiKind.CLINICAL_TERM if phi_terms.is_clinical(word) else None
        if kind is not None:
            found.append((kind, match.start(), match.end(), _LABELS[kind]))
    return found


def _names(text: str) -> list[_Candidate]:
    found: list[_Candidate] = []
    for match in _HONORIFIC.finditer(text):
        kind = PhiKind.PROVIDER_NAME if match.group("title") in _PROVIDER_TITLES else PhiKind.NAME
        found.append((kind, match.start(), match.end(), _LABELS[kind]))
    for match in _SALUTATION.finditer(text):
        if match.group("word").lower() not in _SAFE_WORDS:
            found.append((PhiKind.NAME, match.start("word"), match.end("word"), _LABELS[PhiKind.NAME]))
    for match in _CAPITALIZED_RUN.finditer(text):
        words = match.group(0).split()
        if any(w.lower() not in _SAFE_WORDS for w in words):
            found.append((PhiKind.NAME, match.start(), match.end(), _LABELS[PhiKind.NAME]))
    return found


