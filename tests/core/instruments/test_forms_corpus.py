"""Malformed instrument files: a fixed corpus with expected messages, plus fuzzing.

Every malformed file must give a FormError naming the file, the field path and the reason — never another
exception.  ``form_corpus/EXPECTED.txt`` maps each corpus file to a fragment of the expected message.
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from stagewise.core.instruments import FormFileError, load_form, parse_form, shipped_instruments_dir

CORPUS = Path(__file__).parent / "form_corpus"
EXPECTED = dict(
    line.split("\t", 1) for line in (CORPUS / "EXPECTED.txt").read_text(encoding="utf-8").splitlines() if line
)
VALID = (CORPUS / "valid_minimal.toml").read_text(encoding="utf-8")


def test_the_corpus_base_is_valid() -> None:
    form = load_form(CORPUS / "valid_minimal.toml")
    assert form.id == "corpus-mini"


def test_every_corpus_file_has_an_expectation() -> None:
    files = {p.name for p in CORPUS.glob("*.toml")} - {"valid_minimal.toml"}
    assert files == set(EXPECTED)
    assert len(files) >= 30


@pytest.mark.parametrize(("name", "fragment"), sorted(EXPECTED.items()))
def test_corpus_file_gives_a_clear_form_error(name: str, fragment: str) -> None:
    with pytest.raises(FormFileError) as info:
        load_form(CORPUS / name)
    error = info.value
    assert str(error).startswith(f"{name}: ")  # names the file first
    assert "\n" not in str(error)  # one line for the CLI
    assert fragment.lower() in error.details().lower()
    for line in error.details().splitlines():
        file_part, path_part, reason = line.split(": ", 2)
        assert file_part == name
        assert path_part
        assert reason


# --- fuzzing ---------------------------------------------------------------------------------------------

JUNK = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            out += _paths(value, (*prefix, index))
    return out


def _to_toml(value: Any) -> str:
    """A tiny TOML writer for the fuzzed documents (inline tables and arrays only)."""
    if value is None:
        return '""'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, int) or value == value else "nan"
    if isinstance(value, str):
        return '"' + value.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_to_toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{_to_toml(str(k))} = {_to_toml(v)}" for k, v in value.items()) + "}"


def _dump(doc: dict[str, Any]) -> str:
    return "\n".join(f"{_to_toml(str(k))} = {_to_toml(v)}" for k, v in doc.items()) + "\n"


def _check(text: str) -> None:
    error: FormFileError | None = None
    try:
        parse_form(text, Path("fuzzed.toml"))
    except FormFileError as exc:
        error = exc
    if error is not None:
        assert str(error).startswith("fuzzed.toml: ")
        assert error.problems


BASES = [VALID] + [
    p.read_text(encoding="utf-8") for p in sorted(shipped_instruments_dir().glob("*.toml"))[:4]
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_structural_mutations_never_crash(data: st.DataObject) -> None:
    doc = tomllib.loads(data.draw(st.sampled_from(BASES)))
    doc = copy.deepcopy(doc)
    for _ in range(data.draw(st.integers(1, 3))):
        paths = _paths(doc)
        path = data.draw(st.sampled_from(paths))
        parent: Any = doc
        for key in path[:-1]:
            parent = parent[key]
        action = data.draw(st.sampled_from(["delete", "replace", "duplicate"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "replace":
            parent[path[-1]] = data.draw(JUNK)
        elif isinstance(parent, list):
            parent.append(copy.deepcopy(parent[path[-1]]))
        else:
            parent[path[-1]] = [parent[path[-1]], parent[path[-1]]]
    _check(_dump(doc))


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_text_mutations_never_crash(data: st.DataObject) -> None:
    text = data.draw(st.sampled_from(BASES))
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(text)))
        kind = data.draw(st.sampled_from(["cut", "insert", "swap_line"]))
        if kind == "cut":
            text = text[:at] + text[at + data.draw(st.integers(1, 40)) :]
        elif kind == "insert":
            text = text[:at] + data.draw(st.text(max_size=8)) + text[at:]
        else:
            lines = text.splitlines()
            if len(lines) > 2:
                i, j = data.draw(st.integers(0, len(lines) - 1)), data.draw(st.integers(0, len(lines) - 1))
                lines[i], lines[j] = lines[j], lines[i]
                text = "\n".join(lines)
    _check(text)


@given(st.binary(max_size=200))
def test_random_bytes_never_crash(tmp_path_factory: pytest.TempPathFactory, raw: bytes) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "bytes.toml"
    path.write_bytes(raw)
    error: FormFileError | None = None
    try:
        load_form(path)
    except FormFileError as exc:
        error = exc
    assert error is None or str(error).startswith("bytes.toml: ")
