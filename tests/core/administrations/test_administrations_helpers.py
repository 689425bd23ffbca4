"""Shared builders for the administration, risk, registry and FHIR tests (plain functions, no fixtures).

Users, clients and focuses are made with the ORM directly (no Argon2 hashing: tests stay fast).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from stagewise.core.models import Client, Focus, User

NOON = dt.time(12, 0, tzinfo=dt.UTC)  # mid-day UTC: the same calendar date in any nearby time zone

# A tiny instrument for "the file changed under an open administration" tests.
TINY_FORM = """\
id = "tiny-test"
version = "1.0.0"
scoring_version = "1.0.0"
title = "Tiny test instrument"
short_title = "Tiny"
citation = "Synthetic, for tests."
reference = "tests"
language = "en"
instructions = "Test only."
client_instructions = "Answer about {behaviour}."
behaviour_default = "the behaviour"

[licence]
status = "public_domain"
attribution = "Synthetic"
source = "tests"

[[scales]]
id = "s"
options = [ { value = 0, label = "No" }, { value = 1, label = "Some" }, { value = 2, label = "LABEL2" } ]

[[items]]
id = "1"
text = "FIRST {behaviour}"
scale = "s"
[[items]]
id = "2"
text = "Second item"
scale = "s"

[[scores]]
name = "total"
label = "Total"
items = ["1", "2"]
method = "sum"
"""


@dataclass(frozen=True, slots=True)
class World:
    user_id: int
    username: str
    client_id: int
    alcohol_id: int  # focus "alcohol", phrase "my drinking"
    mood_id: int  # focus "mood", no phrase (label "Low mood")


def add_user(session: Session, username: str = "dr.lee") -> int:
    user = User(username=username, display_name=username.title(), roles="clinician", password_hash="x")
    session.add(user)
    session.flush()
    return user.id


def add_client(
    session: Session,
    chart_number: str,
    *,
    clinician_id: int | None = None,
    status: str = "active",
    created: dt.datetime | None = None,
) -> int:
    client = Client(
        chart_number=chart_number,
        given_name="Alex",
        family_name="Example",
        given_name_key="alex",
        family_name_key="example",
        date_of_birth=dt.date(1980, 5, 17),
        clinician_id=clinician_id,
        status=status,
    )
    if created is not None:
        client.created_at = created
    session.add(client)
    session.flush()
    return client.id


def add_focus(
    session: Session,
    client_id: int,
    key: str,
    label: str,
    *,
    phrase: str | None = None,
    created: dt.datetime | None = None,
    days: int | None = None,
) -> int:
    focus = Focus(client_id=client_id, key=key, label=label, behaviour_phrase=phrase, reassessment_days=days)
    if created is not None:
        focus.created_at = created
    session.add(focus)
    session.flush()
    return focus.id


def make_world(session: Session, chart_number: str = "C-001") -> World:
    user_id = add_user(session)
    client_id = add_client(session, chart_number, clinician_id=user_id)
    alcohol = add_focus(session, client_id, "alcohol", "Alcohol", phrase="my drinking")
    mood = add_focus(session, client_id, "mood", "Low mood")
    return World(user_id, "dr.lee", client_id, alcohol, mood)


def write_tiny_form(folder: Path, text: str = TINY_FORM) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "tiny-test.toml"
    path.write_text(text, encoding="utf-8")
    return path


def at_noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, NOON)
