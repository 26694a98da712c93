"""The reviewed pointer vocabulary: every word an email or SMS template may use.

Email and SMS leave the BAA boundary, and no list of what PHI looks like is ever complete (a
held-out set found whole classes a denylist missed: lab values, conditions it did not know,
"your mother's results", Medicare numbers). So these two channels are checked the other way
round: a template passes only if every word is below and every placeholder is approved
(`components.phi.ALLOWED_PLACEHOLDERS`). Digits, URLs, e-mail addresses and any word not
listed are findings.

Changing this list is a reviewed change with its own test: tests/test_phi_vocabulary.py pins
the list's fingerprint, so a pull request that adds a word must also update that test, and the
reviewer sees both. Add only words that say *that* there is something to read and *where*,
never *what* it is about: no clinical words, no names, no dates or times of day, no relatives.
"""

from __future__ import annotations

# Grouped for review; lower case; an apostrophe is written as ' (templates may use ’).
_FUNCTION_WORDS = """
    a an the and or but if so as at by for from in into of on to with about
    you your yours you're you've we we're we've us our it it's its this that these those there there's here here's
    is are was be been being has have had will would can could may might should do does don't not no yes
    any some all more one new now please just only also when where how what
    they them their were get got need needs
"""

_POINTER_WORDS = """
    message messages notification notifications update updates alert alerts reminder reminders note
    inbox portal app application account website site page link team care provider doctor nurse clinic
    office staff patient member user conversation chat thread reply replies response request requests
    information details item items document documents form forms question questions support help
    appointment appointments visit schedule scheduled
    log login logged sign signed in out view read see open check tap click go select follow use
    respond continue access manage review confirm verify send sent received receive waiting available ready
    unread secure securely safely online private privately directly
    added updated shared replied started important changed needed action password miss
    something someone anything
"""

_COURTESY_WORDS = """
    hello hi hey dear thank thanks regards sincerely welcome
"""

# Carrier and mailbox obligations: opt-out keywords and the notices around them.
_SERVICE_WORDS = """
    stop unsubscribe subscribe opt text texts msg data rates apply email emails sms address
    automated monitored notice contact preferences settings
"""

POINTER_VOCABULARY: frozenset[str] = frozenset(
    " ".join((_FUNCTION_WORDS, _POINTER_WORDS, _COURTESY_WORDS, _SERVICE_WORDS)).split()
)
