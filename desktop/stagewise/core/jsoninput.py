"""Strict parsing of JSON that users hand to Stagewise (import files, answer files).

Plain ``json.loads`` silently keeps the last of two equal keys, accepts ``NaN`` and ``Infinity``, and
fails with ``RecursionError`` on very deep nesting.  :func:`loads` refuses all three with a sentence
(:class:`JSONInputError`, a ``ValueError``), so every caller reports them the same way.
"""

from __future__ import annotations

import json
from typing import Any

from stagewise.core.errors import shorten

MAX_DEPTH = 64  # no Stagewise file nests deeper than a dozen levels


class JSONInputError(ValueError):
    """The text is not acceptable JSON; ``str()`` says why (without echoing long input)."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise JSONInputError(f"the key {shorten(key)} appears twice in one object")
        out[key] = value
    return out


def _constant(name: str) -> Any:
    raise JSONInputError(f"{name} is not allowed")


def _check_depth(value: Any) -> None:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise JSONInputError(f"lists or objects are nested more than {MAX_DEPTH} levels deep")
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


def loads(text: str) -> Any:
    """Parse ``text`` as JSON, refusing duplicate keys, ``NaN``/``Infinity`` and very deep nesting.

    Raises:
        json.JSONDecodeError: the text is not JSON (with line and column).
        JSONInputError: it is JSON Stagewise does not accept (the reason).
    """
    try:
        value = json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant)
    except RecursionError:
        raise JSONInputError(f"lists or objects are nested more than {MAX_DEPTH} levels deep") from None
    _check_depth(value)
    return value
