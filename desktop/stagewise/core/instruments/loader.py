"""Read, validate and cache instrument files.

Loading is two passes: pydantic checks each file's shape (:mod:`.schema`), then :mod:`.build` checks
meaning and builds the frozen :class:`~stagewise.core.instruments.model.Form`.  Every problem is reported as
``(field path, reason)`` against the file it came from; nothing half-loaded escapes.

Shipped instruments live in ``shipped_dir("forms")/instruments``; a practice may add its own in
``<data>/forms/instruments`` (:func:`practice_forms_dir`).  The same id may appear twice only with
different versions (both are kept, so old administrations can be re-scored with the version that produced
them); the same id and version twice is refused.

A broken practice file (invalid, unreadable, or repeating an id and version already loaded) never stops
the shipped instruments from working: it is left out of the library, logged, and listed in
:attr:`Library.skipped` for the caller to report.  A broken shipped file is a broken installation and
raises.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pydantic

from stagewise.core.errors import DataFileError, FormError, UserInputError, pydantic_problems
from stagewise.core.instruments.build import build_form
from stagewise.core.instruments.model import ChartSpec, Form
from stagewise.core.instruments.schema import FormModel
from stagewise.core.paths import AppPaths, shipped_dir

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 1_000_000


class FormFileError(DataFileError):
    """One instrument file is invalid (see :class:`~stagewise.core.errors.DataFileError`)."""


class UnknownFormError(UserInputError):
    """The asked-for instrument id (or version) is not in the library."""


def parse_form(text: str, path: Path) -> Form:
    """Validate ``text`` (the contents of ``path``) and build the Form.

    Raises:
        FormFileError: the text is not valid TOML or not a valid instrument; the message names the file,
            the field path and the reason.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FormFileError(path, [("$", f"not valid TOML: {exc}")]) from None
    try:
        model = FormModel.model_validate(data)
    except pydantic.ValidationError as exc:
        problems = pydantic_problems(exc, unknown="unknown field (check the spelling; see forms/README.md)")
        raise FormFileError(path, problems) from None
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    form, problems = build_form(model, source_text=text, sha256=sha, path=path)
    if problems or form is None:
        raise FormFileError(path, problems)
    return form


def load_form(path: Path) -> Form:
    """Read and validate one instrument file.

    Raises:
        FormFileError: the file cannot be read, is not UTF-8 text, or is not a valid instrument.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FormFileError(path, [("$", f"cannot be read ({exc.strerror or exc})")]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise FormFileError(path, [("$", f"is larger than {MAX_FILE_BYTES} bytes")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormFileError(path, [("$", f"is not UTF-8 text (byte {exc.start + 1})")]) from None
    return parse_form(text, path)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


@dataclass(frozen=True, slots=True)
class Library:
    """Every loaded instrument.  ``forms`` holds the newest version of each id, readiness measures first."""

    all_versions: tuple[Form, ...]
    skipped: tuple[FormError, ...] = ()  # practice files left out, each with its problem

    @property
    def forms(self) -> tuple[Form, ...]:
        newest: dict[str, Form] = {}
        for form in self.all_versions:
            current = newest.get(form.id)
            if current is None or _version_key(form.version) > _version_key(current.version):
                newest[form.id] = form
        return tuple(sorted(newest.values(), key=lambda f: (f.order, f.id)))

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(f.id for f in self.forms)

    def get(self, form_id: str, version: str | None = None) -> Form:
        """The instrument ``form_id`` (newest version unless ``version`` is given).

        Raises:
            UnknownFormError: no such instrument or version.
        """
        matches = [f for f in self.all_versions if f.id == form_id]
        if not matches:
            raise UnknownFormError(f"unknown instrument {form_id!r}; known: {', '.join(self.ids)}")
        if version is None:
            return max(matches, key=lambda f: _version_key(f.version))
        for form in matches:
            if form.version == version:
                return form
        versions = ", ".join(sorted((f.version for f in matches), key=_version_key))
        raise UnknownFormError(f"instrument {form_id!r} has no version {version!r}; available: {versions}")


def shipped_instruments_dir() -> Path:
    """The folder of instrument files shipped with Stagewise."""
    return shipped_dir("forms") / "instruments"


def practice_forms_dir(paths: AppPaths) -> Path:
    """Where a practice keeps instruments of its own (``<data>/forms/instruments``)."""
    return paths.data / "forms" / "instruments"


def instrument_files(folders: Iterable[Path]) -> list[Path]:
    """Every ``*.toml`` file in ``folders`` (missing folders are skipped), sorted by name per folder."""
    files: list[Path] = []
    for folder in folders:
        if Path(folder).is_dir():
            files.extend(sorted(Path(folder).glob("*.toml")))
    return files


def load_library(extra_dirs: Sequence[Path] = ()) -> Library:
    """Load the shipped instruments plus any in ``extra_dirs``; cached per process while files are unchanged.

    Raises:
        FormFileError: a shipped file is invalid (a practice file is skipped: :attr:`Library.skipped`).
        FormError: two shipped files carry the same instrument id and version.
    """
    files = instrument_files([shipped_instruments_dir(), *extra_dirs])
    stamp = []
    for path in files:
        stat = path.stat()
        stamp.append((str(path.resolve()), stat.st_mtime_ns, stat.st_size))
    return _load_cached(tuple(stamp))


@functools.lru_cache(maxsize=8)
def _load_cached(stamp: tuple[tuple[str, int, int], ...]) -> Library:
    forms: list[Form] = []
    skipped: list[FormError] = []
    seen: dict[tuple[str, str], Path] = {}
    shipped = shipped_instruments_dir().resolve()
    for name, _mtime, _size in stamp:
        try:
            form = load_form(Path(name))
            key = (form.id, form.version)
            if key in seen:
                raise FormError(
                    f"{form.path.name}: instrument {form.id!r} version {form.version} is already defined in "
                    f"{seen[key]}; give the new file a different id or a higher version"
                )
        except FormError as exc:
            if Path(name).parent == shipped:
                raise
            log.warning("practice instrument file skipped: %s", exc)
            skipped.append(exc)
            continue
        seen[key] = form.path
        forms.append(form)
    return Library(tuple(forms), tuple(skipped))


def short_title(form_id: str) -> str:
    """The instrument's short title (``"PHQ-9"``) from the library; the id for one no longer shipped."""
    try:
        return load_library().get(form_id).short_title
    except (UnknownFormError, FormError):
        return form_id


def charts_for(form_id: str, stored: Form | None = None) -> tuple[ChartSpec, ...]:
    """How ``form_id``'s results are charted: the newest shipped file's ``[presentation]`` (presentation is
    not scoring, so results scored by an older version are drawn the same way), else ``stored``'s."""
    try:
        return load_library().get(form_id).charts
    except (UnknownFormError, FormError):
        return stored.charts if stored is not None else ()
