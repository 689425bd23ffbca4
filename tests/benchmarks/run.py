"""Stagewise performance benchmarks on a synthetic demo practice.

Usage::

    python tests/benchmarks/run.py --size small|large [--json FILE] [--practice PATH] [--seed N]

Builds the demo practice (``stagewise.core.demo.generate_demo``) or reuses the one cached for this size,
seed, generator and schema (``$STAGEWISE_BENCH_CACHE`` or ``<tmp>/stagewise-bench``; see
:func:`generator_fingerprint`), measures each metric several times, prints
a table (metric, median, p95, target, pass) and optionally writes the same as JSON::

    {"metrics": {name: {"median", "p95", "unit", "target", "pass", ...}}, "machine": {...}, "size": ...}

Targets are the large practice's (docs/performance.md); a small run reports them too.  "pass" compares
the median with the target, except ``autosave_p99_ms`` (its p99) and ``scoring_per_s`` (higher is better).
Timings are never asserted by the test suite.  The run keeps everything in a temporary STAGEWISE_HOME
and uses no keyring.  The autosave benchmark writes one draft (then discards it) into the cached practice,
so each run adds two audit events to it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from bench_workloads import (  # noqa: E402  (the script's own folder goes on sys.path first)
    BARE_QT_SCRIPT,
    RSS_SCRIPT,
    encryption_workload,
    scoring_workload,
)

PYTHON = sys.executable


@dataclass(frozen=True, slots=True)
class Target:
    value: float
    unit: str
    higher_is_better: bool = False
    statistic: str = "median"  # which statistic the target applies to


TARGETS: dict[str, Target] = {
    "generate_s": Target(300.0, "s"),
    "startup_to_list_s": Target(1.5, "s"),
    "bare_qt_window_s": Target(float("nan"), "s"),
    "startup_ratio": Target(3.0, "x"),
    "open_chart_ms": Target(150.0, "ms"),
    "client_filter_ms": Target(30.0, "ms"),
    "client_list_page_ms": Target(100.0, "ms"),
    "note_search_ms": Target(100.0, "ms"),
    "dashboard_ms": Target(300.0, "ms"),
    "report_pdf_s": Target(1.5, "s"),
    "autosave_p99_ms": Target(30.0, "ms", statistic="p99"),
    "scoring_per_s": Target(20_000.0, "results/s", higher_is_better=True),
    "encryption_overhead": Target(1.5, "x"),
    "rss_mb": Target(300.0, "MB"),
}


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0-100) of a non-empty sample."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


@dataclass(slots=True)
class Report:
    size: str
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, name: str, samples: Sequence[float], **extra: Any) -> None:
        target = TARGETS[name]
        median = statistics.median(samples)
        # For a throughput the "p95" is the rate 95% of the runs reached (the low tail).
        p95 = percentile(samples, 5 if target.higher_is_better else 95)
        entry: dict[str, Any] = {"median": round(median, 3), "p95": round(p95, 3), "unit": target.unit}
        if target.statistic == "p99":
            entry["p99"] = round(percentile(samples, 99), 3)
        checked = entry[target.statistic]
        if target.value != target.value:  # NaN: informational, no target
            entry["target"] = None
            entry["pass"] = True
        else:
            entry["target"] = target.value
            entry["pass"] = bool(
                checked >= target.value if target.higher_is_better else checked <= target.value
            )
        entry["runs"] = len(samples)
        entry.update(extra)
        self.metrics[name] = entry
        print(f"  measured {name}: median {entry['median']} {target.unit}", file=sys.stderr, flush=True)

    def table(self) -> str:
        lines = [f"{'metric':<22} {'median':>10} {'p95':>10} {'target':>10} {'unit':>10}  pass"]
        for name, m in self.metrics.items():
            target = "-" if m["target"] is None else f"{m['target']:g}"
            median = f"{m['median']:g}"
            p95 = f"{m['p95']:g}"
            if "p99" in m:
                p95 += f" (p99 {m['p99']:g})"
            verdict = "yes" if m["pass"] else "NO"
            lines.append(f"{name:<22} {median:>10} {p95:>10} {target:>10} {m['unit']:>10}  {verdict}")
        return "\n".join(lines)


def machine() -> dict[str, Any]:
    """The machine the numbers were measured on."""
    import sqlcipher3

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    ram = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = int(line.split()[1]) // 1024
    except OSError:
        pass
    conn = sqlcipher3.dbapi2.connect(":memory:")
    try:
        cipher = conn.execute("PRAGMA cipher_version").fetchone()
        sqlite = conn.execute("SELECT sqlite_version()").fetchone()
    finally:
        conn.close()
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "load_average": [round(x, 2) for x in load],  # other work on the machine skews the numbers
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_mb": ram,
        "python": platform.python_version(),
        "sqlite": sqlite[0] if sqlite else None,
        "sqlcipher": cipher[0] if cipher else None,
        "platform": platform.platform(),
    }


# --------------------------------------------------------------------------------------------------------
# The practice


def cache_dir() -> Path:
    return Path(os.environ.get("STAGEWISE_BENCH_CACHE") or Path(tempfile.gettempdir()) / "stagewise-bench")


def generator_fingerprint() -> str:
    """What the cached practice was built with: the demo generator's code and word lists and the schema
    (revision id and migration scripts).  Part of the cache folder's name, so a changed generator or
    schema never reuses a stale file."""
    import hashlib

    import stagewise.core.demo
    import stagewise.migrations
    from stagewise.core.paths import shipped_dir
    from stagewise.migrations import REVISIONS

    digest = hashlib.sha256(REVISIONS[-1].encode())
    sources = sorted(Path(stagewise.core.demo.__file__).parent.glob("*.py"))
    sources += sorted(shipped_dir("resources").joinpath("demo").glob("*"))
    sources += sorted(Path(stagewise.migrations.__file__).parent.joinpath("versions").glob("*.py"))
    for source in sources:
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()[:12]


def ensure_practice(size: str, seed: int, report: Report) -> Path:
    """The cached demo practice for ``size`` and ``seed``; built (and timed) if missing."""
    from stagewise.core.demo import generate_demo
    from stagewise.core.storage import store

    folder = cache_dir() / f"{size}-seed{seed}-{generator_fingerprint()}"
    path = folder / "demo.stagewise"
    done = folder / "complete"
    if path.exists() and done.exists():
        print(f"reusing cached practice {path}", file=sys.stderr)
        return path
    store.remove_practice_files(path)
    folder.mkdir(parents=True, exist_ok=True)
    print(f"building the {size} demo practice (seed {seed}) …", file=sys.stderr, flush=True)
    summary = generate_demo(path, size, seed)
    done.write_text(json.dumps({"seconds": summary.seconds, "counts": summary.counts}))
    report.add("generate_s", [summary.seconds], counts=summary.counts)
    return path


@contextmanager
def opened(path: Path, passphrase: str) -> Iterator[Any]:
    from stagewise.core.storage import store

    key = store.unlock_key(path, passphrase=passphrase, use_keyring=False).key
    practice = store.open_practice(path, key)
    try:
        yield practice
    finally:
        practice.close()


def timed(fn: Callable[[], Any], runs: int, *, warmup: int = 1, scale: float = 1000.0) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        out.append((time.perf_counter() - began) * scale)
    return out


# --------------------------------------------------------------------------------------------------------
# Metrics


def bench_startup(report: Report, path: Path, passphrase: str, runs: int, env: dict[str, str]) -> None:
    """Process start → main window listing clients; and a bare PySide6 window process, same run."""

    def app_once() -> float:
        began = time.perf_counter()
        proc = subprocess.Popen(
            [PYTHON, "-m", "stagewise.ui.app", "--smoke-test", str(path), "--passphrase-stdin"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        assert proc.stdin is not None
        assert proc.stdout is not None
        proc.stdin.write(passphrase + "\n")
        proc.stdin.close()
        seen = None
        for line in proc.stdout:
            if line.startswith("smoke-test: main window shows"):
                seen = time.perf_counter() - began
                break
        proc.stdout.read()
        err = proc.stderr.read() if proc.stderr is not None else ""
        proc.wait(timeout=120)
        if seen is None:
            raise RuntimeError(
                f"the app's smoke test printed no client list (exit {proc.returncode}): {err[-500:]}"
            )
        return seen

    def bare_once() -> float:
        began = time.perf_counter()
        subprocess.run([PYTHON, "-c", BARE_QT_SCRIPT], env=env, check=True, capture_output=True, timeout=120)
        return time.perf_counter() - began

    app_once()  # warm the OS file cache (both get one warm-up)
    bare_once()
    app, bare = [], []
    for _ in range(runs):  # interleaved, so a noisy moment hits both
        app.append(app_once())
        bare.append(bare_once())
    report.add("startup_to_list_s", app)
    report.add("bare_qt_window_s", bare)
    ratios = [a / b for a, b in zip(sorted(app), sorted(bare), strict=True)]
    report.add(
        "startup_ratio", ratios, median_ratio=round(statistics.median(app) / statistics.median(bare), 3)
    )


def heaviest_client(practice: Any) -> int:
    from sqlalchemy import text

    with practice.session_factory() as s:
        return int(
            s.execute(
                text(
                    "SELECT client_id FROM note GROUP BY client_id ORDER BY count(*) DESC, client_id LIMIT 1"
                )
            ).scalar_one()
        )


def open_chart(practice: Any, client_id: int) -> dict[str, int]:
    """What the chart does on open: client + focuses, questionnaire history, first page of notes, stage
    history per focus, open risk alerts (and the audited view, rolled back)."""
    from stagewise.core.administrations import lifecycle as administrations, risk
    from stagewise.core.clients import records as clients
    from stagewise.core.notes import drafts as notes
    from stagewise.core.stages import records as stages

    with practice.session_factory() as s:
        info = clients.get_client(s, client_id, actor="bench")
        history = administrations.history(s, client_id=client_id)
        page = notes.list_notes(s, client_id=client_id, limit=50)
        records = sum(len(stages.history(s, f.id)) for f in info.focuses)
        alerts = risk.open_alerts(s, client_id=client_id)
        s.rollback()
    return {
        "administrations": len(history),
        "notes_page": len(page),
        "stage_records": records,
        "alerts": len(alerts),
    }


def bench_core(report: Report, practice: Any, runs: int) -> None:
    from stagewise.core.clients import records as clients
    from stagewise.core.notes import drafts as notes
    from stagewise.core.reports.client_summary import write_client_summary
    from stagewise.core.stages import metric_records, metrics

    cid = heaviest_client(practice)
    shape = open_chart(practice, cid)
    report.add("open_chart_ms", timed(lambda: open_chart(practice, cid), runs * 4), client_id=cid, **shape)

    with practice.session_factory() as s:
        family = clients.get_client(s, cid, actor=None, record_view=False).family_name
        s.rollback()
    prefixes = [family[:i] for i in range(1, min(len(family), 6) + 1)]
    samples: list[float] = []
    with practice.session_factory() as s:
        for _ in range(runs):
            for prefix in prefixes:
                began = time.perf_counter()
                clients.list_clients(s, query=prefix, limit=200)
                samples.append((time.perf_counter() - began) * 1000)
    report.add("client_filter_ms", samples, prefixes=len(prefixes))

    sorts = ("family_name", "next_due")
    samples = []
    with practice.session_factory() as s:
        for _ in range(runs):
            for sort in sorts:
                began = time.perf_counter()
                clients.list_clients(s, sort=sort, limit=50)
                samples.append((time.perf_counter() - began) * 1000)
    report.add("client_list_page_ms", samples, sorts=list(sorts), page=50)

    queries = ["cravings evening", "relapse plan", "urge diary", "partner supportive", "mood sleep"]
    samples = []
    hits = 0
    with practice.session_factory() as s:
        notes.search_notes(s, queries[0], limit=50)
        for i in range(runs * 4):
            began = time.perf_counter()
            found = notes.search_notes(s, queries[i % len(queries)], limit=50)
            samples.append((time.perf_counter() - began) * 1000)
            hits += len(found)
    report.add("note_search_ms", samples, queries=queries, mean_hits=round(hits / len(samples), 1))

    today = dt.date.today()

    def dashboard() -> int:
        with practice.session_factory() as s:
            records = metric_records.load_metric_records(s)
            metrics.compute_metrics(records, period_start=None, period_end=today)
            return len(records)

    n_records = dashboard()
    report.add("dashboard_ms", timed(dashboard, runs), stage_records=n_records)

    def pdf() -> None:
        with practice.session_factory() as s:
            write_client_summary(s, cid, io.BytesIO(), actor="bench", start=today - dt.timedelta(days=3660))
            s.rollback()

    report.add("report_pdf_s", timed(pdf, max(3, runs // 2), scale=1.0), client_id=cid)


def bench_autosave(report: Report, practice: Any, saves: int) -> None:
    from sqlalchemy import select

    from stagewise.core.models import User
    from stagewise.core.notes import drafts as notes

    cid = heaviest_client(practice)
    with practice.session_factory.begin() as s:
        author = s.execute(select(User.id).where(User.roles.like("%clinician%")).limit(1)).scalar_one()
        draft = notes.create_draft(s, client_id=cid, template_id="free_text", author_id=author, actor="bench")
    rng = random.Random(7)
    words = ["client", "reports", "cravings", "evening", "plan", "partner", "supportive", "walking", "diary"]
    samples = []
    try:
        base = " ".join(rng.choice(words) for _ in range(900))[:5000]
        for i in range(saves):
            body = f"{i} {base}"[:5120]
            began = time.perf_counter()
            with practice.session_factory.begin() as s:
                notes.save_draft(s, draft.id, {"text": body})
            samples.append((time.perf_counter() - began) * 1000)
    finally:
        with practice.session_factory.begin() as s:
            notes.discard_draft(s, draft.id, actor="bench")
    report.add("autosave_p99_ms", samples, saves=saves, bytes=5120)


def bench_scoring(report: Report, runs: int) -> None:
    samples = [scoring_workload(20_000, seed=i) for i in range(runs)]
    report.add("scoring_per_s", samples)


def bench_encryption(report: Report, runs: int) -> None:
    ratios, plain, enc = [], [], []
    with tempfile.TemporaryDirectory(prefix="stagewise-enc-") as tmp:
        for i in range(runs):
            p = encryption_workload(Path(tmp) / f"plain{i}.db", encrypted=False)
            e = encryption_workload(Path(tmp) / f"enc{i}.db", encrypted=True)
            plain.append(p)
            enc.append(e)
            ratios.append(e / p)
    report.add(
        "encryption_overhead",
        ratios,
        plain_s=round(statistics.median(plain), 3),
        sqlcipher_s=round(statistics.median(enc), 3),
    )


def bench_rss(report: Report, path: Path, passphrase: str, runs: int, env: dict[str, str]) -> None:
    """The real app's resident memory: signed in, the client list shown, the heaviest chart open with
    every tab filled (``RSS_SCRIPT``)."""
    with opened(path, passphrase) as practice:
        client_id = heaviest_client(practice)
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [PYTHON, "-c", RSS_SCRIPT, str(path), str(client_id)],
            input=passphrase + "\n",
            env=env,
            check=False,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if out.returncode != 0:
            raise RuntimeError(f"the memory measurement failed (exit {out.returncode}): {out.stderr[-800:]}")
        seen = json.loads(out.stdout.strip().splitlines()[-1])
        samples.append(float(seen["rss_mb"]))
    report.add(
        "rss_mb",
        samples,
        measured="the app signed in, client list shown, heaviest chart open",
        chart_tabs=seen["tabs"],
    )


# --------------------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size", choices=("small", "medium", "large"), default="small")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--practice", type=Path, help="use this practice instead of the cached demo")
    parser.add_argument("--runs", type=int, default=10, help="repetitions per metric (default 10)")
    parser.add_argument(
        "--only", help="comma-separated metric groups: startup,core,autosave,scoring,encryption,rss"
    )
    args = parser.parse_args(argv)

    home = tempfile.mkdtemp(prefix="stagewise-bench-home-")
    os.environ["STAGEWISE_HOME"] = home
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", STAGEWISE_HOME=home)

    from stagewise.core.demo import DEMO_PASSPHRASE

    passphrase = os.environ.get("STAGEWISE_BENCH_PASSPHRASE", DEMO_PASSPHRASE)
    report = Report(args.size)
    began = time.perf_counter()
    path = args.practice or ensure_practice(args.size, args.seed, report)
    groups = set((args.only or "startup,core,autosave,scoring,encryption,rss").split(","))
    runs = max(3, args.runs)
    if "startup" in groups:
        bench_startup(report, path, passphrase, max(3, runs // 2), env)
    if groups & {"core", "autosave"}:
        with opened(path, passphrase) as practice:
            if "core" in groups:
                bench_core(report, practice, runs)
            if "autosave" in groups:
                bench_autosave(report, practice, 200)
    if "scoring" in groups:
        bench_scoring(report, max(3, runs // 2))
    if "encryption" in groups:
        bench_encryption(report, 3)
    if "rss" in groups:
        bench_rss(report, path, passphrase, 3, env)
    elapsed = time.perf_counter() - began
    print(f"\nStagewise benchmarks, {args.size} practice ({path.name}), {elapsed:.1f} s")
    print(report.table())
    if args.json:
        doc = {
            "metrics": report.metrics,
            "machine": machine(),
            "size": args.size,
            "seed": args.seed,
            "practice": str(path),
            "elapsed_s": round(elapsed, 1),
            "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
