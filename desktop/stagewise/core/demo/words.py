"""Invented names from syllables and note text from sentence templates (``resources/demo``)."""

from __future__ import annotations

import random
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from stagewise.core.paths import shipped_dir


def _load(name: str) -> dict[str, Any]:
    path = shipped_dir("resources") / "demo" / name
    with open(path, "rb") as fh:
        return tomllib.load(fh)


@dataclass(frozen=True, slots=True)
class _Parts:
    start: tuple[str, ...]
    middle: tuple[str, ...]
    end: tuple[str, ...]

    def make(self, rng: random.Random) -> str:
        return (rng.choice(self.start) + rng.choice(self.middle) + rng.choice(self.end)).capitalize()


class NameMaker:
    """Given and family names built from invented syllables (never a list of real people's names)."""

    def __init__(self) -> None:
        data = _load("names.toml")
        self.given = _Parts(*(tuple(data["given"][k]) for k in ("start", "middle", "end")))
        self.family = _Parts(*(tuple(data["family"][k]) for k in ("start", "middle", "end")))

    def person(self, rng: random.Random) -> tuple[str, str]:
        """``(given, family)``; one family name in twenty is double-barrelled."""
        family = self.family.make(rng)
        if rng.random() < 0.05:
            family += "-" + self.family.make(rng)
        return self.given.make(rng), family


class Phrases:
    """Sentence banks per note field, filled with small invented details."""

    def __init__(self) -> None:
        data = _load("phrases.toml")
        self.words: Mapping[str, Sequence[str]] = {k: tuple(v) for k, v in data["words"].items()}
        self.banks: dict[str, tuple[str, ...]] = {
            k: tuple(v["sentences"]) for k, v in data.items() if isinstance(v, dict) and "sentences" in v
        }
        self.override_reasons = tuple(data["reasons"]["override"])
        self.not_staged_reasons = tuple(data["reasons"]["not_staged"])

    def paragraph(
        self, rng: random.Random, bank: str, sentences: int, *, behaviour: str, stage: str, form: str
    ) -> str:
        """``sentences`` sentences from ``bank`` with their slots filled."""
        pool = self.banks[bank]
        words = self.words
        out = []
        for _ in range(sentences):
            out.append(
                rng.choice(pool).format(
                    behaviour=behaviour,
                    stage=stage,
                    form=form,
                    day=rng.choice(words["day"]),
                    person=rng.choice(words["person"]),
                    activity=rng.choice(words["activity"]),
                    n=rng.randint(2, 6),
                )
            )
        return " ".join(out)


def sentence_count(rng: random.Random) -> int:
    """1-9 sentences, mostly 1-3 (notes vary from a line to a page)."""
    return min(9, 1 + int(rng.expovariate(0.7)))
