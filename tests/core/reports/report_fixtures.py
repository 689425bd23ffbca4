"""Synthetic practice data for the report tests, written with the ORM models directly.

Everything here is invented.  ``add_fixture_client`` builds one client with two focuses, a stage history
with a backward move (recycling) and a not-staged span, administrations of six instruments, accepted and
declined interventions, signed notes with addenda and a draft; ``add_ten_year_client`` builds ten years
of heavy use for the pagination and speed checks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from stagewise.core.models import (
    Addendum,
    Administration,
    Client,
    Focus,
    InterventionDecision,
    Note,
    StageRecord,
    User,
)

NAME_GIVEN = "Zoë"
NAME_FAMILY = "Łukasiewicz-Ødegård"
CHART = "ZL-2041"
SECOND_CHART = "MB-7730"
SECOND_GIVEN = "Maëlle"
SECOND_FAMILY = "Brønsted"
CLINICIAN = "Amara Okafor"
OVERRIDE_REASON = "Has set a quit date with her GP"
PAUSE_REASON = "Inpatient detoxification"
DRAFT_TEXT = "DRAFT-ONLY-TEXT should never print"
NOTE_TEXT = "Discussed the pros and cons of cutting down; Zoë named three reasons."
DECLINED_TITLE = "Relapse prevention plan (declined)"
VOIDED_DAY = dt.date(2024, 8, 13)
RISK_FLAG = "phq9_item9_positive"


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=dt.UTC)


def _hash(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


def result(
    form: str,
    scores: dict[str, float | None],
    bands: dict[str, str] | None = None,
    stage: str | None = None,
    flags: list[str] | None = None,
) -> dict[str, Any]:
    """A result JSON in the scoring contract's shape."""
    return {
        "form": form,
        "form_version": "1.0",
        "scoring_version": "1",
        "complete": True,
        "scores": scores,
        "bands": bands or {},
        "stage": stage,
        "stage_rule": None,
        "flags": flags or [],
        "missing": [],
        "messages": [],
    }


@dataclass
class FixtureIds:
    client_id: int
    clinician_id: int
    focus_ids: dict[str, int]
    note_hashes: list[str] = field(default_factory=list)
    scores: dict[str, list[float]] = field(default_factory=dict)


def add_clinician(session: Session, username: str = "aokafor", name: str = CLINICIAN) -> User:
    user = User(
        username=username,
        display_name=name,
        roles="clinician",
        password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$notarealhashnotarealhash",
    )
    session.add(user)
    session.flush()
    return user


def _client(
    session: Session, chart: str, given: str, family: str, dob: dt.date, clinician: User, created: dt.date
) -> Client:
    client = Client(
        chart_number=chart,
        given_name=given,
        family_name=family,
        given_name_key=given.casefold(),
        family_name_key=family.casefold(),
        date_of_birth=dob,
        clinician_id=clinician.id,
        created_at=_at(created),
    )
    session.add(client)
    session.flush()
    return client


def _focus(session: Session, client: Client, key: str, label: str, created: dt.date) -> Focus:
    focus = Focus(client_id=client.id, key=key, label=label, created_at=_at(created))
    session.add(focus)
    session.flush()
    return focus


def _adm(
    session: Session,
    client: Client,
    focus: Focus | None,
    form: str,
    day: dt.date,
    res: dict[str, Any],
    *,
    status: str = "complete",
    by: User | None = None,
) -> Administration:
    adm = Administration(
        client_id=client.id,
        focus_id=focus.id if focus else None,
        form_id=form,
        form_version="1.0",
        scoring_version="1",
        mode="clinician",
        by_user_id=by.id if by else None,
        started_at=_at(day, 9),
        completed_at=_at(day, 9) if status != "in_progress" else None,
        status=status,
        void_reason="Entered for the wrong client" if status == "voided" else None,
        voided_at=_at(day, 11) if status == "voided" else None,
        answers={},
        result=res,
    )
    session.add(adm)
    session.flush()
    return adm


def _stage(
    session: Session,
    client: Client,
    focus: Focus,
    day: dt.date,
    stage: str | None,
    *,
    basis: str,
    proposed: str | None = None,
    reason: str | None = None,
    by: User | None = None,
) -> None:
    session.add(
        StageRecord(
            client_id=client.id,
            focus_id=focus.id,
            proposed=proposed,
            stage=stage,
            basis=basis,
            reason=reason,
            by_user_id=by.id if by else None,
            recorded_at=_at(day, 12),
            effective=day,
        )
    )


# Titles of the fixture's decisions that are real library entries (the client's summary prints their
# client wording); the others get made-up ids that the library does not know.
LIBRARY_IDS = {
    "Decisional balance exercise": "mi.c-decisional-balance",
    "Change plan worksheet": "smart.change-plan",
}


def _decision(
    session: Session,
    client: Client,
    focus: Focus,
    day: dt.date,
    title: str,
    stage: str,
    decision: str = "accepted",
    model: str | None = "TTM",
) -> None:
    session.add(
        InterventionDecision(
            client_id=client.id,
            focus_id=focus.id,
            intervention_id=None
            if decision == "added"
            else LIBRARY_IDS.get(title, title.lower().replace(" ", "-")[:60]),
            title=title,
            model=model,
            stage=stage,
            decision=decision,
            decided_at=_at(day, 13),
        )
    )


def _note(
    session: Session,
    client: Client,
    author: User,
    day: dt.date,
    fields: dict[str, str],
    prev: str | None,
    *,
    signed: bool = True,
) -> Note:
    h = _hash(client.id, day, sorted(fields.items()), prev) if signed else None
    note = Note(
        client_id=client.id,
        template_id="soap",
        template_version="1.0",
        author_id=author.id,
        written_at=_at(day, 15),
        updated_at=_at(day, 15),
        status="signed" if signed else "draft",
        fields=fields,
        signed_at=_at(day, 16) if signed else None,
        signed_by_id=author.id if signed else None,
        hash=h,
        prev_hash=prev if signed else None,
    )
    session.add(note)
    session.flush()
    return note


# Scores of the fixture client, in date order (the tests look for these values in the PDF).
URICA = [  # precontemplation, contemplation, action, maintenance (item means), readiness
    (dt.date(2024, 1, 10), 3.14, 2.86, 2.0, 1.57, 3.29),
    (dt.date(2024, 5, 20), 2.29, 3.86, 3.43, 2.43, 7.43),
    (dt.date(2024, 12, 1), 1.71, 4.29, 4.14, 3.57, 10.29),
]
SOCRATES = [(dt.date(2024, 1, 12), 26, 12, 24), (dt.date(2024, 12, 3), 33, 15, 34)]
BARC = [(dt.date(2024, 1, 12), 31), (dt.date(2024, 6, 2), 42), (dt.date(2024, 12, 3), 49)]
PHQ9 = [(dt.date(2024, 1, 12), 17), (dt.date(2024, 6, 2), 11), (dt.date(2024, 12, 3), 6)]
GAD7 = [(dt.date(2024, 1, 12), 14), (dt.date(2024, 6, 2), 9), (dt.date(2024, 12, 3), 4)]
AUDIT = [(dt.date(2024, 1, 12), 23), (dt.date(2024, 6, 2), 15), (dt.date(2024, 12, 3), 7)]

PHQ9_BANDS = ((20, "severe"), (15, "moderately severe"), (10, "moderate"), (5, "mild"), (0, "none"))


def _band(value: float, table: tuple[tuple[int, str], ...]) -> str:
    return next(label for low, label in table if value >= low)


def add_fixture_client(session: Session) -> FixtureIds:
    """The main fixture client (Zoë Łukasiewicz-Ødegård) and a second client with another chart number."""
    clin = add_clinician(session)
    client = _client(session, CHART, NAME_GIVEN, NAME_FAMILY, dt.date(1984, 3, 2), clin, dt.date(2024, 1, 8))
    alcohol = _focus(session, client, "alcohol", "Alcohol", dt.date(2024, 1, 8))
    smoking = _focus(session, client, "smoking", "Smoking", dt.date(2024, 1, 8))

    for day, pc, c, a, m, r in URICA:
        _adm(
            session,
            client,
            alcohol,
            "urica-32",
            day,
            result(
                "urica-32",
                {"precontemplation": pc, "contemplation": c, "action": a, "maintenance": m, "readiness": r},
            ),
            by=clin,
        )
    for day, re_, am, ts in SOCRATES:
        _adm(
            session,
            client,
            alcohol,
            "socrates-8a",
            day,
            result("socrates-8a", {"recognition": re_, "ambivalence": am, "taking_steps": ts}),
            by=clin,
        )
    for day, total in BARC:
        _adm(session, client, alcohol, "barc-10", day, result("barc-10", {"total": total}), by=clin)
    for day, total in PHQ9:
        _adm(
            session,
            client,
            None,
            "phq-9",
            day,
            result(
                "phq-9",
                {"total": total},
                {"total": _band(total, PHQ9_BANDS)},
                flags=[RISK_FLAG] if total == PHQ9[0][1] else None,
            ),
            by=clin,
        )
    for day, total in GAD7:
        _adm(session, client, None, "gad-7", day, result("gad-7", {"total": total}), by=clin)
    for day, total in AUDIT:
        _adm(session, client, alcohol, "audit", day, result("audit", {"total": total}), by=clin)
    # Excluded: a voided and an in-progress administration.
    _adm(session, client, alcohol, "audit", VOIDED_DAY, result("audit", {"total": 38}), status="voided")
    _adm(
        session,
        client,
        None,
        "phq-9",
        dt.date(2024, 8, 14),
        result("phq-9", {"total": 25}),
        status="in_progress",
    )

    # Alcohol: forward moves, an override, a pause (not staged), then back to contemplation (recycling).
    _stage(
        session,
        client,
        alcohol,
        dt.date(2024, 1, 10),
        "precontemplation",
        basis="instrument",
        proposed="precontemplation",
        by=clin,
    )
    _stage(
        session, client, alcohol, dt.date(2024, 3, 5), "contemplation", basis="clinical_judgement", by=clin
    )
    _stage(
        session,
        client,
        alcohol,
        dt.date(2024, 5, 20),
        "preparation",
        basis="override",
        proposed="contemplation",
        reason=OVERRIDE_REASON,
        by=clin,
    )
    _stage(session, client, alcohol, dt.date(2024, 7, 1), "action", basis="clinical_judgement", by=clin)
    _stage(
        session, client, alcohol, dt.date(2024, 8, 15), None, basis="not_staged", reason=PAUSE_REASON, by=clin
    )
    _stage(
        session, client, alcohol, dt.date(2024, 10, 1), "contemplation", basis="clinical_judgement", by=clin
    )
    _stage(
        session,
        client,
        alcohol,
        dt.date(2024, 12, 1),
        "preparation",
        basis="instrument",
        proposed="preparation",
        by=clin,
    )
    _stage(
        session, client, smoking, dt.date(2024, 2, 1), "contemplation", basis="clinical_judgement", by=clin
    )
    _stage(session, client, smoking, dt.date(2024, 6, 1), "preparation", basis="clinical_judgement", by=clin)

    _decision(session, client, alcohol, dt.date(2024, 3, 5), "Decisional balance exercise", "contemplation")
    _decision(session, client, alcohol, dt.date(2024, 5, 20), "Change plan worksheet", "preparation")
    _decision(session, client, alcohol, dt.date(2024, 5, 21), DECLINED_TITLE, "preparation", "declined")
    _decision(
        session, client, smoking, dt.date(2024, 6, 1), "Walking group referral", "preparation", "added", None
    )

    ids = FixtureIds(client.id, clin.id, {"alcohol": alcohol.id, "smoking": smoking.id})
    prev: str | None = None
    for i, day in enumerate([dt.date(2024, 1, 10), dt.date(2024, 5, 20), dt.date(2024, 12, 1)]):
        note = _note(
            session,
            client,
            clin,
            day,
            {
                "subjective": NOTE_TEXT if i == 0 else f"Session {i + 1}: reviewed the change plan.",
                "plan": "Meet again in four weeks.",
            },
            prev,
        )
        assert note.hash is not None
        ids.note_hashes.append(note.hash)
        prev = note.hash
        if i == 1:
            session.add(
                Addendum(
                    note_id=note.id,
                    author_id=clin.id,
                    written_at=_at(day, 17),
                    text="Late entry: GP letter received.",
                    signed_at=_at(day, 17),
                    hash=_hash("addendum", note.id),
                    prev_hash=note.hash,
                )
            )
    _note(session, client, clin, dt.date(2024, 12, 2), {"subjective": DRAFT_TEXT}, None, signed=False)

    # A second client, to show the practice report and the de-identification.
    other = _client(
        session, SECOND_CHART, SECOND_GIVEN, SECOND_FAMILY, dt.date(1990, 7, 9), clin, dt.date(2024, 2, 1)
    )
    tob = _focus(session, other, "tobacco", "Tobacco", dt.date(2024, 2, 1))
    _stage(session, other, tob, dt.date(2024, 2, 1), "preparation", basis="clinical_judgement", by=clin)
    _stage(session, other, tob, dt.date(2024, 4, 1), "action", basis="clinical_judgement", by=clin)
    _stage(session, other, tob, dt.date(2024, 9, 1), "maintenance", basis="clinical_judgement", by=clin)
    session.flush()
    return ids


TEN_YEAR_CHART = "TY-0001"


def add_ten_year_client(
    session: Session, *, administrations: int = 120, stage_records: int = 60, notes: int = 600, seed: int = 7
) -> int:
    """A client with ten years of heavy use (2015–2024); returns the client id."""
    rnd = random.Random(seed)
    clin = add_clinician(session, "longterm", "Long-Term Clinician")
    client = _client(
        session, TEN_YEAR_CHART, "Ingrid", "Þórsdóttir", dt.date(1970, 1, 1), clin, dt.date(2015, 1, 1)
    )
    focuses = [
        _focus(session, client, k, k.capitalize(), dt.date(2015, 1, 1)) for k in ("alcohol", "smoking")
    ]
    start = dt.date(2015, 1, 1)
    days = 3650
    forms = ["urica-32", "socrates-8a", "barc-10", "phq-9", "gad-7", "audit"]
    for i in range(administrations):
        day = start + dt.timedelta(days=i * days // administrations)
        form = forms[i % len(forms)]
        if form == "urica-32":
            scores: dict[str, float | None] = {
                "precontemplation": round(rnd.uniform(1, 5), 2),
                "contemplation": round(rnd.uniform(1, 5), 2),
                "action": round(rnd.uniform(1, 5), 2),
                "maintenance": round(rnd.uniform(1, 5), 2),
                "readiness": round(rnd.uniform(-2, 14), 2),
            }
        elif form == "socrates-8a":
            scores = {
                "recognition": rnd.randint(7, 35),
                "ambivalence": rnd.randint(4, 20),
                "taking_steps": rnd.randint(8, 40),
            }
        else:
            top = {"barc-10": 60, "phq-9": 27, "gad-7": 21, "audit": 40}[form]
            scores = {"total": rnd.randint(10 if form == "barc-10" else 0, top)}
        focus = None if form in ("phq-9", "gad-7") else focuses[i % 2]
        _adm(session, client, focus, form, day, result(form, scores), by=clin)
    stages = ["precontemplation", "contemplation", "preparation", "action", "maintenance"]
    for f_index, focus in enumerate(focuses):
        current = 0
        for j in range(stage_records // len(focuses)):
            day = start + dt.timedelta(days=j * days // (stage_records // len(focuses)) + f_index)
            if j % 11 == 10:
                _stage(
                    session, client, focus, day, None, basis="not_staged", reason="Crisis admission", by=clin
                )
                continue
            current = max(0, min(4, current + rnd.choice([-1, 1, 1, 0])))
            _stage(session, client, focus, day, stages[current], basis="clinical_judgement", by=clin)
    filler = (
        "Reviewed the week, talked through two situations where cravings were strong and what helped. "
        "Practised the urge-surfing exercise and agreed a small step for the coming week. "
    )
    prev: str | None = None
    for k in range(notes):
        day = start + dt.timedelta(days=k * days // notes)
        fields = {
            "subjective": filler * (1 + k % 3),
            "plan": "Continue weekly sessions; review the plan in a month.",
        }
        note = _note(session, client, clin, day, fields, prev)
        prev = note.hash
    for k in range(40):
        _decision(
            session,
            client,
            focuses[k % 2],
            start + dt.timedelta(days=k * 90),
            f"Intervention {k + 1}",
            stages[k % 5],
        )
    session.flush()
    return client.id
