"""An administration's own instrument version: the exact source text stored in ``form_version``.

:func:`snapshot` stores the instrument file once per id, version and SHA-256 when an administration starts
(or is imported); answers are validated and scored against that snapshot, so editing or upgrading the
shipped file mid-administration changes nothing for it.  Parsed snapshots are cached by SHA-256.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from stagewise.core.errors import FormError
from stagewise.core.instruments.loader import load_library, parse_form
from stagewise.core.instruments.model import Form
from stagewise.core.models import Administration, FormVersion

# sha256 → Form parsed from a stored snapshot.  Worker threads (the app reads charts off the UI thread)
# share it, so every access holds the lock.
_FORMS: OrderedDict[str, Form] = OrderedDict()
_FORMS_MAX = 64
_FORMS_LOCK = threading.Lock()


def _remember(form: Form) -> Form:
    with _FORMS_LOCK:
        _FORMS[form.sha256] = form
        _FORMS.move_to_end(form.sha256)
        while len(_FORMS) > _FORMS_MAX:
            _FORMS.popitem(last=False)
    return form


def _cached(sha: str) -> Form | None:
    with _FORMS_LOCK:
        return _FORMS.get(sha)


def snapshot(session: Session, form: Form) -> FormVersion:
    """The ``form_version`` row holding ``form``'s exact source text (created on first use)."""
    row = session.execute(
        select(FormVersion).where(
            FormVersion.form_id == form.id,
            FormVersion.version == form.version,
            FormVersion.sha256 == form.sha256,
        )
    ).scalar_one_or_none()
    if row is None:
        row = FormVersion(form_id=form.id, version=form.version, sha256=form.sha256, source=form.source_text)
        session.add(row)
        session.flush()
    _remember(form)
    return row


def stored_form(session: Session, form_version_id: int, *, sha256: str | None = None) -> Form:
    """The instrument exactly as it was when an administration started (parsed from its snapshot).

    Args:
        session: the caller's session.
        form_version_id: the snapshot row.
        sha256: the snapshot's SHA-256 if the caller already has it (saves a query when cached).

    Raises:
        FormError: the snapshot is missing or can no longer be read by this version of Stagewise.
    """
    sha = sha256
    if sha is None:
        sha = session.execute(
            select(FormVersion.sha256).where(FormVersion.id == form_version_id)
        ).scalar_one_or_none()
    if sha is None:
        raise FormError(f"The stored instrument version {form_version_id} is missing from the practice file.")
    cached = _cached(sha)
    if cached is not None:
        return cached
    row = session.get(FormVersion, form_version_id)
    assert row is not None
    try:
        form = parse_form(row.source, Path(f"{row.form_id}-{row.version}.toml"))
    except FormError as exc:
        raise FormError(
            f"The stored copy of {row.form_id} version {row.version} cannot be read by this version of "
            f"Stagewise ({exc})."
        ) from exc
    return _remember(form)


def row_form(session: Session, adm: Administration, *, sha256: str | None = None) -> Form:
    """The instrument an administration row uses (its stored snapshot; ``sha256`` if already known)."""
    if adm.form_version_id is None:
        # Not written by Stagewise (every start and import snapshots); fall back to the library.
        return load_library().get(adm.form_id, adm.form_version)
    return stored_form(session, adm.form_version_id, sha256=sha256)
