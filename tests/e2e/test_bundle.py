"""The frozen Linux bundle (PyInstaller, ``installer/stagewise.spec``) works: CLI, GUI smoke test, reports.

The bundle is built once per source state: the build goes to ``build/test-bundle/<hash>/`` (or
``$STAGEWISE_BUNDLE_CACHE/<hash>/``), where ``<hash>`` covers the package sources, forms, resources, the
spec and launchers, the Python and the PyInstaller versions.  A later run with the same sources reuses it
(CI can cache that folder); a build takes about a minute on two cores.
"""

from __future__ import annotations

import datetime as dt
import faulthandler
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from stagewise.core.clients import records as clients
from stagewise.core.storage import store
from tests.conftest import ADMIN_PASSWORD, PASSPHRASE

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.packaging]

ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT = 900


def _pyinstaller_version() -> str:
    try:
        import PyInstaller
    except ImportError:
        pytest.skip("PyInstaller is not installed in this environment (pip install pyinstaller)")
    return str(PyInstaller.__version__)


def _source_hash(pyinstaller: str) -> str:
    digest = hashlib.sha256(f"{sys.version}|{pyinstaller}".encode())
    roots = [ROOT / "desktop" / "stagewise", ROOT / "forms", ROOT / "resources"]
    files = [ROOT / "installer" / n for n in ("stagewise.spec", "launcher_cli.py", "launcher_gui.py")]
    for folder in roots:
        files += [p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    for path in sorted(files):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def bundle() -> Path:
    """``dist/Stagewise`` built from the current sources (reused while they do not change)."""
    if not sys.platform.startswith("linux"):
        pytest.skip(
            "the bundle test runs on Linux (Windows and macOS are built by hand: installer/README.md)"
        )
    version = _pyinstaller_version()
    cache = Path(os.environ.get("STAGEWISE_BUNDLE_CACHE", ROOT / "build" / "test-bundle"))
    target = cache / _source_hash(version)
    dist = target / "dist" / "Stagewise"
    marker = target / "built.ok"
    if marker.is_file() and (dist / "stagewise-cli").is_file():
        return dist
    shutil.rmtree(target, ignore_errors=True)
    if cache.is_dir():  # bundles of older sources (about 300 MB each) are of no further use
        for old in cache.iterdir():
            if old.is_dir() and (old / "built.ok").is_file():
                shutil.rmtree(old, ignore_errors=True)
    target.mkdir(parents=True)
    # The build may outlast the suite's faulthandler_timeout (a traceback dump, not a failure); it has
    # its own timeout below.
    faulthandler.cancel_dump_traceback_later()
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(target / "dist"),
            "--workpath",
            str(target / "work"),
            str(ROOT / "installer" / "stagewise.spec"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    assert build.returncode == 0, build.stderr[-4000:]
    shutil.rmtree(target / "work", ignore_errors=True)  # only the bundle is worth keeping
    marker.write_text(version + "\n")
    return dist


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(
        QT_QPA_PLATFORM="offscreen",
        STAGEWISE_HOME=str(home),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    return env


def _run(
    program: Path, args: list[str], home: Path, stdin: str = "", cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(program), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=_env(home),
        cwd=cwd,
        timeout=180,
        check=False,
    )


def test_bundle_has_both_programs_and_the_data(bundle: Path) -> None:
    assert os.access(bundle / "Stagewise", os.X_OK)
    assert os.access(bundle / "stagewise-cli", os.X_OK)
    data = bundle / "_internal" / "stagewise"
    assert (data / "_data" / "forms").is_dir()
    assert (data / "_data" / "resources" / "fonts" / "DejaVuSans.ttf").is_file()
    assert (data / "migrations" / "env.py").is_file()
    assert list((data / "migrations" / "versions").glob("*.py"))


def test_frozen_cli_lists_forms(bundle: Path, tmp_path: Path) -> None:
    result = _run(bundle / "stagewise-cli", ["forms", "list"], tmp_path / "home")
    assert result.returncode == 0, result.stderr
    assert "urica-32" in result.stdout
    assert "phq-9" in result.stdout


def test_frozen_init_then_gui_smoke_test(bundle: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    path = tmp_path / "practice.stagewise"
    made = _run(
        bundle / "stagewise-cli",
        ["init", str(path), "--admin", "admin", "--name", "Harbour Counselling", "--passphrase-stdin"],
        home,
        f"{PASSPHRASE}\n{ADMIN_PASSWORD}\n",
    )
    assert made.returncode == 0, made.stderr
    assert re.search(r"RECOVERY KEY: (?:[A-Z2-7]{4}-){7}[A-Z2-7]{4}", made.stdout)
    # Clients added through the core (the same schema the frozen migrations created).
    key = store.unlock_key(path, passphrase=PASSPHRASE, use_keyring=False).key
    with store.open_practice(path, key) as practice, practice.session_factory.begin() as s:
        for chart, given, family in (("1", "Jo", "Smith"), ("2", "Ana", "Okafor"), ("3", "Sam", "Lee")):
            clients.create_client(
                s,
                chart_number=chart,
                given_name=given,
                family_name=family,
                date_of_birth=dt.date(1980, 1, 1),
                focuses=(clients.FocusInput("alcohol", "Alcohol"),),
                actor="admin",
            )
    smoke = _run(
        bundle / "Stagewise", ["--smoke-test", str(path), "--passphrase-stdin"], home, f"{PASSPHRASE}\n"
    )
    assert smoke.returncode == 0, smoke.stderr
    assert "smoke-test: main window shows 3 clients" in smoke.stdout
    wrong = _run(
        bundle / "Stagewise", ["--smoke-test", str(path), "--passphrase-stdin"], home, "wrong-but-long-1\n"
    )
    assert wrong.returncode == 2
    assert "passphrase is not correct" in wrong.stderr


def test_frozen_reports_fhir_and_custodian_package(bundle: Path, tmp_path: Path) -> None:
    """PDFs (ReportLab + bundled fonts), FHIR (fhir.resources/pydantic) and the archive, all frozen."""
    home = tmp_path / "home"
    cli = bundle / "stagewise-cli"
    demo = tmp_path / "demo.stagewise"
    made = _run(cli, ["demo", str(demo), "--size", "small", "--passphrase-stdin"], home, f"{PASSPHRASE}\n")
    assert made.returncode == 0, made.stderr
    renewed = _run(cli, ["new-recovery-key", str(demo), "--passphrase-stdin"], home, f"{PASSPHRASE}\n")
    assert renewed.returncode == 0, renewed.stderr
    recovery = renewed.stdout.strip().splitlines()[-1]
    package = tmp_path / "out" / "demo.stagewise-custodian"
    wrote = _run(
        cli,
        ["custodian", str(demo), "--out", str(package), "--custodian", "Dr M. Ashby", "--passphrase-stdin"],
        home,
        f"{PASSPHRASE}\n",
    )
    assert wrote.returncode == 0, wrote.stderr
    assert (tmp_path / "out" / "demo-instructions.pdf").is_file()
    opened = _run(
        cli,
        ["custodian-open", str(package), "--out", str(tmp_path / "R"), "--passphrase-stdin"],
        home,
        f"{recovery}\n",
    )
    assert opened.returncode == 0, opened.stderr
    unpacked = tmp_path / "R" / "practice" / "practice.stagewise"
    summaries = list((tmp_path / "R" / "summaries").glob("*.pdf"))
    assert len(summaries) >= 50
    assert all(p.read_bytes().startswith(b"%PDF") for p in summaries)
    assert (tmp_path / "R" / "fhir" / "practice-bundle.json").stat().st_size > 1000
    checked = _run(
        cli, ["verify", str(unpacked), "--recovery-key", "--passphrase-stdin"], home, f"{recovery}\n"
    )
    assert checked.returncode == 0, checked.stderr
    assert "Verification passed" in checked.stdout
