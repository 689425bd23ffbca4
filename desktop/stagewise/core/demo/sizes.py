"""Demo practice sizes, the documented demo secrets, and the summary a generation returns."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

# Demo data only: both secrets are documented (``stagewise demo --help``, docs/performance.md) and printed
# by the command, because a demo practice holds nothing but invented records.
DEMO_PASSPHRASE = "Demo-Stagewise-Sandbox-Only-2026"
DEMO_PASSWORD = "Demo-Clinic-Password-2026"
DEMO_SETTING = "demo"  # Setting key; value true marks the practice as demo data (window title says DEMO)
DEMO_NAME = "DEMO — Harbourview Sample Practice"


@dataclass(frozen=True, slots=True)
class DemoSize:
    """How much to generate.  Totals are targets: the generator lands within a few percent of them."""

    name: str
    clients: int
    active: int
    clinicians: int  # including the trainees
    trainees: int  # clinicians whose notes need a supervisor's co-signature
    supervisors: int
    administrations: int
    stage_records: int
    notes: int
    years: int
    heavy_administrations: int  # the heaviest client's chart (the benchmark's "open chart")
    heavy_notes: int


SIZES: dict[str, DemoSize] = {
    "small": DemoSize("small", 60, 25, 3, 1, 1, 400, 250, 700, 3, 40, 120),
    "medium": DemoSize("medium", 500, 200, 8, 1, 1, 10_000, 6_000, 25_000, 10, 120, 600),
    "large": DemoSize("large", 5_000, 2_000, 20, 2, 2, 100_000, 60_000, 250_000, 10, 120, 600),
}


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What :func:`stagewise.core.demo.generate_demo` made (ids and counts only)."""

    path: Path
    size: str
    seed: int
    passphrase: str
    password: str
    usernames: tuple[str, ...]
    heaviest_client_id: int
    heaviest_chart_number: str
    today: dt.date
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)
