"""Name normalisation for search: case-, accent- and punctuation-insensitive keys.

``Zoë Łukasiewicz-Ødegård`` → given ``zoe``, family ``lukasiewicz odegard``.  The same function turns what
the user types into search words, so ``zoe luk`` and ``odegard`` both find her.

Steps: Unicode NFKD (splits ``ë`` into ``e`` + a combining diaeresis), drop combining marks, transliterate
the Latin letters that have no decomposition (``ł ø đ æ œ þ ß …``), casefold, drop apostrophes (so
``O'Brien`` is ``obrien``), and turn every other run of non-alphanumeric characters into one space.

Also :func:`short_citation`: the author–year form of a citation, the only form screens show.
"""

from __future__ import annotations

import re
import unicodedata

# Letters NFKD leaves whole; their usual ASCII spelling (casefolded input, so lower case suffices).
_TRANSLITERATE = str.maketrans(
    {
        "ł": "l",
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "ħ": "h",
        "ı": "i",
        "ŀ": "l",
        "ŧ": "t",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
        "ß": "ss",
    }
)
_APOSTROPHES = frozenset("'’ʼ`´")


def fold(value: str) -> str:
    """Casefold and strip accents, keeping punctuation: ``Ødegård`` → ``odegard``."""
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold().translate(_TRANSLITERATE)


def name_key(value: str) -> str:
    """The search key stored beside a name: folded words separated by single spaces.

    Args:
        value: a given or family name as typed.

    Returns:
        e.g. ``"lukasiewicz odegard"`` for ``"Łukasiewicz-Ødegård"``; ``""`` if nothing searchable is left.
    """
    out: list[str] = []
    pending_space = False
    for ch in fold(value):
        if ch in _APOSTROPHES:
            continue
        if ch.isalnum():
            if pending_space and out:
                out.append(" ")
            pending_space = False
            out.append(ch)
        else:
            pending_space = True
    return "".join(out)


def search_words(query: str) -> list[str]:
    """The words of a search query, folded like :func:`name_key` (``"Smith, Jo"`` → ``["smith", "jo"]``)."""
    return name_key(query).split()


def clean_line(value: str) -> str:
    """Trim and collapse inner whitespace runs to one space (names and labels are single lines)."""
    return " ".join(value.split())


_YEAR = re.compile(r"\((\d{4})[a-z]?\)")


def short_citation(citation: str) -> str:
    """An author–year citation ("Kroenke et al. 2001") from an APA-style ``citation``.

    Used when an instrument or intervention file gives no ``citation_short`` (e.g. files written before that
    field existed): the first author's surname, "et al." when the first reference has more than one author,
    and its year.  Screens show only this form, never a file name or a section sign.
    """
    year = _YEAR.search(citation)
    if year is None:
        return citation.split(".")[0][:120]
    authors = citation[: year.start()]
    surname = authors.split(",")[0].strip() or citation[:40]
    first, amp, rest = authors.partition("&")
    if amp and first.count(",") <= 2:  # "Biener, L., & Abrams, D. B." — two authors
        return f"{surname} & {rest.split(',')[0].strip()} {year.group(1)}"
    several = bool(amp) or "et al" in authors
    return f"{surname}{' et al.' if several else ''} {year.group(1)}"
