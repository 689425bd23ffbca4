"""Planning a demo practice: who the clients are, what happens to them and when (pure Python, no database).

Everything is drawn from one seeded ``random.Random`` in a fixed order, so a seed (and ``today``) always
gives the same plan.  :mod:`stagewise.core.demo.rows` turns the plan into rows.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from stagewise.core.demo.sizes import DEMO_PASSWORD, DemoSize
from stagewise.core.demo.words import NameMaker, Phrases
from stagewise.core.instruments.loader import load_library
from stagewise.core.instruments.model import Form
from stagewise.core.instruments.scoring import ScoringOptions
from stagewise.core.models import Stage
from stagewise.core.notes.templates import load_templates
from stagewise.core.stages.interventions import (
    InterventionEntry,
    load_interventions,
    shipped_interventions_dir,
)
from stagewise.core.text import name_key
from stagewise.core.users import HASHER

STAGES = tuple(Stage)
URICA = "urica-32"
URICA_OPTIONS = ScoringOptions(urica_stage_rule="nearest_group_mean")  # the practice default
PLAIN_OPTIONS = ScoringOptions()
_EPOCH = dt.datetime(1970, 1, 1)
DAY_MS = 86_400_000
BATCH = 20_000


@dataclass(frozen=True, slots=True)
class FocusKind:
    key: str
    label: str
    phrase: str  # fills "[the behaviour]" in instruments
    word: str  # used in note text
    forms: tuple[tuple[str, int], ...]  # (form id, weight) besides URICA
    weight: int


_FORMS_ALCOHOL = (
    ("audit", 3),
    ("phq-9", 3),
    ("gad-7", 2),
    ("barc-10", 1),
    ("readiness-ruler", 1),
    ("contemplation-ladder", 1),
)
_FORMS_DRUG = (("dast-10", 3), ("phq-9", 3), ("gad-7", 2), ("barc-10", 2), ("readiness-ruler", 1))
_FORMS_LIFESTYLE = (("phq-9", 3), ("gad-7", 2), ("readiness-ruler", 2), ("contemplation-ladder", 1))
FOCUS_KINDS = (
    FocusKind("alcohol", "Alcohol", "my drinking", "drinking", _FORMS_ALCOHOL, 35),
    FocusKind("smoking", "Smoking", "my smoking", "smoking", _FORMS_LIFESTYLE, 15),
    FocusKind("cannabis", "Cannabis", "my cannabis use", "cannabis use", _FORMS_DRUG, 15),
    FocusKind("opioids", "Opioids", "my opioid use", "opioid use", _FORMS_DRUG, 8),
    FocusKind("stimulants", "Stimulants", "my stimulant use", "stimulant use", _FORMS_DRUG, 7),
    FocusKind("gambling", "Gambling", "my gambling", "gambling", _FORMS_LIFESTYLE, 8),
    FocusKind("exercise", "Physical activity", "being more active", "inactivity", _FORMS_LIFESTYLE, 12),
)
TEMPLATES = (("soap", 35), ("dap", 25), ("birp", 20), ("free_text", 20))
BANK = {"behaviour": "behaviour_field", "text": "free_text"}  # template field id -> phrase bank
PAIRED = {"phq-9": "gad-7", "gad-7": "phq-9"}


def iso_ms(ms: int) -> str:
    """Epoch milliseconds as the stored ISO text (``2026-01-05T09:30:00.123Z``)."""
    moment = _EPOCH + dt.timedelta(milliseconds=ms)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}Z"


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def clamp(value: float) -> float:
    return 0.0 if value < 0.0 else 1.0 if value > 1.0 else value


# --------------------------------------------------------------------------------------------------------
# Planning


@dataclass(slots=True)
class FocusPlan:
    id: int
    kind: FocusKind
    days: list[int] = field(default_factory=list)  # stage-record days
    stages: list[int | None] = field(default_factory=list)  # stage order per record; None = not staged

    def stage_on(self, day: int) -> int:
        """The latest staged order on or before ``day`` (0 before the first record)."""
        i = bisect.bisect_right(self.days, day)
        while i > 0:
            value = self.stages[i - 1]
            if value is not None:
                return value
            i -= 1
        return self.stages[0] if self.stages and self.stages[0] is not None else 0


@dataclass(slots=True)
class ClientPlan:
    id: int
    clinician: int
    active: bool
    start: int  # day number (0 = the practice's first day)
    end: int
    weight: float
    dep: float  # latent depression level at intake
    anx: float
    use: float  # latent substance-use / behaviour severity
    focuses: list[FocusPlan] = field(default_factory=list)


def walk(rng: random.Random, n: int, *, force_backward: bool = False) -> list[int | None]:
    """A non-linear stage history: advances, stalls, moves back (recycling) and "not staged" spans."""
    if n <= 0:
        return []
    first: int = rng.choices(range(5), weights=(25, 35, 20, 15, 5))[0]
    if force_backward:
        first = max(first, 2)
    cur: int | None = first
    last = first
    out: list[int | None] = [cur]
    for step in range(n - 1):
        if force_backward and step == 0:
            cur = max(0, last - 1)
        elif cur is None:
            cur = last if rng.random() < 0.85 else max(0, last - 1)
        else:
            r = rng.random()
            if r < 0.04:
                cur = None
            elif cur == 4:
                cur = 4 if r < 0.75 else 3 if r < 0.92 else 2
            elif r < 0.36:
                cur = min(4, cur + 1)
            elif r < 0.40:
                cur = min(4, cur + 2)
            elif r < 0.58:
                cur = max(0, cur - 1)
            elif r < 0.61:
                cur = max(0, cur - 2)
        if cur is not None:
            last = cur
        out.append(cur)
    return out


def _share(total: int, weights: Sequence[float], floor: int, cap: int) -> list[int]:
    """``total`` split in proportion to ``weights``, each share in [floor, cap]; what a capped share
    cannot take goes to the others (so the heaviest chart stays the designated one)."""
    capped: set[int] = set()
    shares = [0.0] * len(weights)
    for _ in range(5):
        left = total - cap * len(capped)
        whole = sum(w for i, w in enumerate(weights) if i not in capped) or 1.0
        shares = [cap if i in capped else left * w / whole for i, w in enumerate(weights)]
        over = {i for i, v in enumerate(shares) if v > cap}
        if not over:
            break
        capped |= over
    return [max(floor, min(cap, round(v))) for v in shares]


class Builder:
    def __init__(self, size: DemoSize, seed: int, today: dt.date) -> None:
        self.size = size
        self.rng = random.Random(seed)
        self.today = today
        self.first_day = today - dt.timedelta(days=365 * size.years)
        self.days = (today - self.first_day).days
        self.first_ms = (self.first_day - _EPOCH.date()).days * DAY_MS
        self.names = NameMaker()
        self.phrases = Phrases()
        library = load_library()
        self.forms: dict[str, Form] = {}
        for kind in FOCUS_KINDS:
            for form_id, _ in kind.forms:
                self.forms[form_id] = library.get(form_id)
        self.forms[URICA] = library.get(URICA)
        self.form_version_id = {form_id: i + 1 for i, form_id in enumerate(sorted(self.forms))}
        self.templates = load_templates()
        shipped = shipped_interventions_dir()
        self.interventions: dict[Stage, list[InterventionEntry]] = {s: [] for s in Stage}
        for entry in load_interventions([shipped], shipped=shipped).entries:
            for stage in entry.stages:
                self.interventions[stage].append(entry)
        self.counts: dict[str, int] = {}

    def day_ms(self, day: int) -> int:
        return self.first_ms + day * DAY_MS

    def session_ms(self, day: int) -> int:
        """A moment during clinic hours (08:00-17:00 UTC) on ``day``."""
        return self.day_ms(day) + self.rng.randrange(8 * 3_600_000, 17 * 3_600_000)

    # ----------------------------------------------------------------------------------------------------
    # Users

    def users(self) -> list[tuple[Any, ...]]:
        rng, size = self.rng, self.size
        taken: set[str] = set()
        rows: list[tuple[Any, ...]] = []
        created = iso_ms(self.day_ms(0) + 8 * 3_600_000)

        def add(roles: str, cosign: bool, username: str | None = None) -> int:
            given, family = self.names.person(rng)
            name = username or f"{given[0]}.{name_key(family).replace(' ', '')}".lower()
            while name in taken:
                name += str(rng.randint(0, 9))
            taken.add(name)
            uid = len(rows) + 1
            # Argon2id per user (own salt), like users.create_user; the password is the documented one.
            digest = HASHER.hash(DEMO_PASSWORD)
            rows.append((uid, name, f"{given} {family}", roles, digest, 1, 0, None, created, int(cosign)))
            return uid

        add("admin", False, "demo.admin")
        self.supervisors = [add("clinician supervisor", False) for _ in range(size.supervisors)]
        self.clinicians = [add("clinician", i < size.trainees) for i in range(size.clinicians)]
        self.trainees = set(self.clinicians[: size.trainees])
        self.usernames = {r[0]: r[1] for r in rows}
        return rows

    # ----------------------------------------------------------------------------------------------------
    # Clients, focuses and their histories

    def plan_clients(self) -> list[ClientPlan]:
        rng, size, days = self.rng, self.size, self.days
        active_ids = set(rng.sample(range(2, size.clients + 1), size.active - 1)) | {1}
        kinds, kind_weights = FOCUS_KINDS, [k.weight for k in FOCUS_KINDS]
        clients: list[ClientPlan] = []
        next_focus = 1
        for cid in range(1, size.clients + 1):
            active = cid in active_ids
            if cid == 1:  # the heaviest chart: with the practice from its first month to today
                start, end = rng.randrange(0, 30), days - 1
            elif active:
                length = min(days - 2, max(30, int(rng.expovariate(1 / 500))))
                start, end = days - 1 - length, days - 1 - rng.randrange(0, 14)
            else:
                start = rng.randrange(0, days - 60)
                length = min(days - 30 - start, max(21, int(rng.expovariate(1 / 300))))
                start, end = start, start + max(14, length)
            client = ClientPlan(
                id=cid,
                clinician=self.clinicians[cid % len(self.clinicians)],
                active=active,
                start=start,
                end=end,
                weight=(end - start + 30) ** 0.8 * rng.lognormvariate(0, 0.5),
                dep=clamp(rng.betavariate(1.6, 2.4)),
                anx=0.0,
                use=clamp(rng.betavariate(2.5, 2.5)),
            )
            client.anx = clamp(0.75 * client.dep + 0.25 * rng.random())
            n_focus = 2 if cid == 1 else rng.choices((1, 2, 3), weights=(60, 35, 5))[0]
            for kind in _distinct(rng, kinds, kind_weights, n_focus):
                client.focuses.append(FocusPlan(next_focus, kind))
                next_focus += 1
            clients.append(client)
        return clients

    def client_rows(self, clients: list[ClientPlan]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        rng = self.rng
        crow: list[tuple[Any, ...]] = []
        frow: list[tuple[Any, ...]] = []
        for c in clients:
            given, family = self.names.person(rng)
            created = iso_ms(self.day_ms(c.start) + 8 * 3_600_000 + rng.randrange(3_600_000))
            age_days = rng.randrange(18 * 365, 75 * 365)
            birth = self.first_day + dt.timedelta(days=c.start - age_days)
            discharged = (
                None if c.active else iso_ms(self.day_ms(c.end + rng.randrange(1, 14)) + 12 * 3_600_000)
            )
            updated = discharged or iso_ms(self.day_ms(c.end) + 17 * 3_600_000)
            crow.append(
                (
                    c.id,
                    f"C{100000 + c.id}",
                    given,
                    family,
                    name_key(given),
                    name_key(family),
                    birth.isoformat(),
                    "active" if c.active else "discharged",
                    c.clinician,
                    created,
                    updated,
                    discharged,
                )
            )
            for f in c.focuses:
                frow.append((f.id, c.id, f.kind.key, f.kind.label, f.kind.phrase, None, 1, created, None))
        return crow, frow

    def allocate(self, clients: list[ClientPlan]) -> list[tuple[int, int, int]]:
        """(notes, administrations, stage records) per client, hitting the size's totals."""
        size = self.size
        rest = clients[1:]
        weights = [c.weight for c in rest]
        notes = _share(size.notes - size.heavy_notes, weights, 2, size.heavy_notes * 4 // 5)
        adms = _share(
            size.administrations - size.heavy_administrations, weights, 1, size.heavy_administrations * 4 // 5
        )
        srs = _share(
            size.stage_records - size.heavy_administrations // 2, weights, 1, size.heavy_administrations // 3
        )
        out = [(size.heavy_notes, size.heavy_administrations, size.heavy_administrations // 2)]
        for c, n, a, s in zip(rest, notes, adms, srs, strict=True):
            span = c.end - c.start + 1
            n = min(n, span)
            s = min(max(s, len(c.focuses)), n)
            out.append((n, a, s))
        return out


def _distinct(
    rng: random.Random, kinds: Sequence[FocusKind], weights: Sequence[int], n: int
) -> list[FocusKind]:
    chosen: list[FocusKind] = []
    while len(chosen) < n:
        kind = rng.choices(kinds, weights=weights)[0]
        if kind not in chosen:
            chosen.append(kind)
    return chosen


# --------------------------------------------------------------------------------------------------------
