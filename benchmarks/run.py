"""Run the benchmark suite and write docs/benchmarks.md.

Usage: ``python -m benchmarks.run [--leads N] [--runs R] [--only P1,P3] [--output PATH]``
(``nox -s bench`` runs it with the defaults). Each figure is the median of
R runs, reported with a baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from aspectfile_core import Config, Contact, build_service
from aspectfile_core.adapters.sql import build_tables
from aspectfile_core.services import BatchService
from benchmarks import schemas
from benchmarks.contacts import generate

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get("ASPECTFILE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
ADD_CHUNK = 50_000


# Measuring


class Result:
    """One benchmark line: the figure, its baseline and the target."""

    def __init__(self, key: str, what: str, measured: str, baseline: str, ratio: float | None, target: str, met: bool | None) -> None:
        self.key, self.what, self.measured, self.baseline = key, what, measured, baseline
        self.ratio, self.target, self.met = ratio, target, met

    def row(self) -> str:
        ratio = f"{self.ratio:.2f}×" if self.ratio is not None else "–"
        verdict = "–" if self.met is None else "met" if self.met else "**not met**"
        return f"| {self.key} | {self.what} | {self.measured} | {self.baseline} | {ratio} | {self.target} | {verdict} |"


# Building databases


def service_for(database_url: str, store: Path, prefix: str = "") -> BatchService:
    config = Config(database_url=database_url, store_url=str(store), table_prefix=prefix)
    service = build_service(config)
    service.repository.create_tables()  # type: ignore[attr-defined]  # the SQL repository has create_tables
    return service


def contacts_in_chunks(count: int) -> Iterator[list[Contact]]:
    chunk: list[Contact] = []
    for fields in generate(count):
        chunk.append(Contact(fields["id"], fields))
        if len(chunk) == ADD_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def filled_sqlite(folder: Path, leads: int, schema_text: str, schema_name: str) -> tuple[BatchService, int, str]:
    """A SQLite database holding one pending batch of *leads* contacts for *schema_name*."""
    url = f"sqlite:///{folder / f'{schema_name}-{leads}.db'}"
    service = service_for(url, folder / "store")
    service.register_schema(schema_text, "toml")
    batch_id = 0
    for chunk in contacts_in_chunks(leads):
        batch_id = service.add_contacts(campaign_id=1, event_id=1, schema_name=schema_name, contacts=chunk).batch_ids[0]
    return service, batch_id, url


# P1: one batch of many leads, against a plain script and pandas


def plain_script(database: str, batch_id: int, schema_name: str, target: Path, loads: Callable[[str], Any] = json.loads) -> None:
    """The hand-written baseline: the same SQL read, plain formatting, copy to the folder."""
    connection = sqlite3.connect(database)
    rows = connection.execute(
        "SELECT fields FROM aspect_file_batch_leads WHERE batch_id = ? ORDER BY id",
        (batch_id,),
    )
    render = schemas.PLAIN[schema_name]
    with tempfile.NamedTemporaryFile("w", delete=False, suffix=".tmp", newline="", encoding="latin-1" if schema_name == "bench-fixed" else "utf-8", errors="replace") as handle:
        if schema_name == "bench-csv":
            writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
            writer.writerow(["id", "firstname", "lastname", "email", "mobile", "city", "state", "zipcode", "points", "birthday"])
            for (fields,) in rows:
                writer.writerow(render(loads(fields)))
        else:
            for (fields,) in rows:
                handle.write(render(loads(fields)))
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(handle.name, target / "baseline.out")
    os.remove(handle.name)
    connection.close()


def pandas_script(database: str, batch_id: int, target: Path) -> None:
    """pandas read_sql + to_csv of the same rows."""
    import pandas as pd

    connection = sqlite3.connect(database)
    frame = pd.read_sql(
        "SELECT fields FROM aspect_file_batch_leads WHERE batch_id = ? ORDER BY id",
        connection,
        params=(batch_id,),
    )
    expanded = pd.DataFrame.from_records([json.loads(text) for text in frame["fields"]])
    target.mkdir(parents=True, exist_ok=True)
    expanded.to_csv(target / "pandas.csv", sep=";", index=False)
    connection.close()


def interleaved_medians(actions: dict[str, Callable[[], Any]], runs: int, before: Callable[[], Any]) -> dict[str, float]:
    """Time every action once per round, *runs* rounds, and return each action's median.

    Alternating the actions spreads any load from other processes over all of
    them, instead of over whichever ran while it lasted.
    """
    samples: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(runs):
        for name, action in actions.items():
            before()
            started = time.perf_counter()
            action()
            samples[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in samples.items()}


def bench_p1(work: Path, leads: int, runs: int) -> list[Result]:
    import orjson

    results = []
    for schema_name, text in (("bench-csv", schemas.DELIMITED), ("bench-fixed", schemas.FIXED)):
        service, batch_id, url = filled_sqlite(work, leads, text, schema_name)
        database = url.removeprefix("sqlite:///")

        def reset(service: BatchService = service, batch_id: int = batch_id) -> None:
            if service.get_batch(batch_id).batch.status.value == "UPLOADED":
                service.reprocess(batch_id, force=True)

        def process(service: BatchService = service) -> None:
            report = service.process(limit=1)
            assert report.uploaded, report

        def plain(database: str = database, batch_id: int = batch_id, schema_name: str = schema_name) -> None:
            plain_script(database, batch_id, schema_name, work / "plain")

        def plain_orjson(database: str = database, batch_id: int = batch_id, schema_name: str = schema_name) -> None:
            plain_script(database, batch_id, schema_name, work / "plain", orjson.loads)

        def pandas(database: str = database, batch_id: int = batch_id) -> None:
            pandas_script(database, batch_id, work / "pandas")

        actions: dict[str, Callable[[], Any]] = {"ours": process, "plain": plain}
        if schema_name == "bench-csv":
            actions.update({"plain_orjson": plain_orjson, "pandas": pandas})
        medians = interleaved_medians(actions, runs, reset)
        ours = medians["ours"]
        ratio = ours / medians["plain"]
        results.append(Result("P1", f"process {leads:,} leads, {schema_name} (10 fields), SQLite → folder", f"{ours:.2f} s", f"plain script {medians['plain']:.2f} s", ratio, "≤ 1.25× plain", ratio <= 1.25))
        if schema_name != "bench-csv":
            continue
        with_orjson = ours / medians["plain_orjson"]
        results.append(Result("P1", f"process {leads:,} leads, {schema_name}, against the plain script decoding with orjson (not a target)", f"{ours:.2f} s", f"plain script + orjson {medians['plain_orjson']:.2f} s", with_orjson, "–", None))
        speedup = medians["pandas"] / ours
        results.append(Result("P1", f"process {leads:,} leads, {schema_name}, against pandas", f"{ours:.2f} s", f"pandas read_sql + to_csv {medians['pandas']:.2f} s", 1 / speedup, "≥ 2× faster than pandas (ratio ≤ 0.5×)", speedup >= 2))
    return results


# P2: peak memory at two sizes, each in a fresh process


def child_process_rss(database_url: str, store: str) -> None:
    """In a child process: process every due batch, then print the peak RSS in KiB.

    The peak is VmHWM of /proc/self/status, which starts afresh at exec.
    getrusage's ru_maxrss does not: a child forked from a large parent reports
    the parent's size.
    """
    service = build_service(Config(database_url=database_url, store_url=store))
    service.process()
    with open("/proc/self/status", encoding="ascii") as status:
        peak = next(line for line in status if line.startswith("VmHWM:"))
    print(int(peak.split()[1]))


def peak_rss(database_url: str, store: Path) -> int:
    output = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--child-rss", database_url, str(store)],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    return int(output.strip().splitlines()[-1])


def bench_p2(work: Path, leads: int) -> list[Result]:
    small = max(1, leads // 10)
    rss = {}
    for count in (small, leads):
        folder = work / f"p2-{count}"
        folder.mkdir()
        _, _, url = filled_sqlite(folder, count, schemas.DELIMITED, "bench-csv")
        rss[count] = peak_rss(url, folder / "store")
    growth_mib = (rss[leads] - rss[small]) / 1024
    return [Result("P2", f"peak RSS processing {leads:,} vs {small:,} leads", f"{rss[leads] / 1024:.0f} MiB", f"{rss[small] / 1024:.0f} MiB", rss[leads] / rss[small], "≤ small + 20 MB", growth_mib <= 20 * 1e6 / 2**20)]


# P3: bulk add against a raw executemany


def raw_insert(engine: sa.Engine, prefix: str, rows: list[dict[str, Any]]) -> None:
    tables = build_tables(prefix)
    aware = dt.datetime.now(dt.UTC)
    now = aware.replace(tzinfo=None)
    with engine.begin() as connection:
        batch_id = connection.execute(
            tables.batches.insert().values(status="PENDING", schema_name="bench-csv", campaign_id=1, event_id=1, bucket="", attempts=0, created_at=aware, updated_at=aware)
        ).inserted_primary_key[0]  # type: ignore[index]  # an insert of one row has a primary key
        connection.exec_driver_sql(
            f"INSERT INTO {prefix}aspect_file_batch_leads (batch_id, lead_id, status, fields, created_at) VALUES ({'?, ?, ?, ?, ?' if engine.dialect.name == 'sqlite' else '%s, %s, %s, %s, %s'})",
            [(batch_id, str(row["id"]), "PENDING", json.dumps(row, ensure_ascii=False, separators=(",", ":")), now) for row in rows],
        )


def bench_p3(work: Path, leads: int, runs: int) -> list[Result]:
    rows = list(generate(leads))
    results = []
    for backend in ("sqlite", "postgresql"):
        counter = iter(range(1000))

        def fresh(counter: Iterator[int] = counter, backend: str = backend) -> tuple[str, str]:
            number = next(counter)
            if backend == "sqlite":
                return f"sqlite:///{work / f'p3-{number}.db'}", ""
            return POSTGRES_URL, f"bench{os.getpid()}_{number}_"

        def ours_once() -> float:
            url, prefix = fresh()
            service = service_for(url, work / "store", prefix)
            service.register_schema(schemas.DELIMITED, "toml")
            started = time.perf_counter()
            for start in range(0, leads, ADD_CHUNK):
                service.add_contacts(campaign_id=1, event_id=1, schema_name="bench-csv", contacts=[Contact(row["id"], row) for row in rows[start:start + ADD_CHUNK]])
            elapsed = time.perf_counter() - started
            drop(url, prefix)
            return elapsed

        def raw_once() -> float:
            url, prefix = fresh()
            service_for(url, work / "store", prefix)
            engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
            started = time.perf_counter()
            for start in range(0, leads, ADD_CHUNK):
                raw_insert(engine, prefix, rows[start:start + ADD_CHUNK])
            elapsed = time.perf_counter() - started
            engine.dispose()
            drop(url, prefix)
            return elapsed

        ours = statistics.median(ours_once() for _ in range(runs))
        raw = statistics.median(raw_once() for _ in range(runs))
        results.append(Result("P3", f"add {leads:,} contacts in bulk, {backend}", f"{ours:.2f} s", f"raw executemany {raw:.2f} s", ours / raw, "≤ 1.5× raw", ours / raw <= 1.5))
    return results


def drop(url: str, prefix: str) -> None:
    if not prefix:
        return
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    build_tables(prefix).metadata.drop_all(engine)
    engine.dispose()


# P4: SQL statements per processed batch


def bench_p4(work: Path, sizes: tuple[int, int]) -> list[Result]:
    counts = {}
    for leads in sizes:
        folder = work / f"p4-{leads}"
        folder.mkdir()
        service, _, _ = filled_sqlite(folder, leads, schemas.DELIMITED, "bench-csv")
        engine: sa.Engine = service.repository.engine  # type: ignore[attr-defined]  # the SQL repository has an engine
        statements = 0

        def count(*_args: Any) -> None:
            nonlocal statements
            statements += 1

        sa.event.listen(engine, "before_cursor_execute", count)
        service.process(limit=1)
        sa.event.remove(engine, "before_cursor_execute", count)
        counts[leads] = statements
    small, large = sizes
    return [Result("P4", f"SQL statements per processed batch, {large:,} vs {small:,} leads", str(counts[large]), str(counts[small]), counts[large] / counts[small], "equal", counts[large] == counts[small])]


# P5: the web batch list over many batches


def filled_batches(url: str, store: Path, batches: int, leads_per_batch: int, prefix: str = "") -> BatchService:
    """A database with *batches* pending batches of *leads_per_batch* contacts each, one campaign per batch."""
    service = service_for(url, store, prefix)
    service.register_schema(schemas.DELIMITED, "toml")
    pool = [Contact(fields["id"], fields) for fields in generate(leads_per_batch)]
    for campaign in range(1, batches + 1):
        service.add_contacts(campaign_id=campaign, event_id=1, schema_name="bench-csv", contacts=pool)
    return service


def page_seconds(service: BatchService, requests: int) -> float:
    """Return the median time of *requests* GETs of the first batch-list page, after 10 unmeasured ones."""
    from werkzeug.test import Client

    from aspectfile_core.web import allow_all, create_app

    client = Client(create_app(service, authorize=allow_all, secret_key="bench-secret-key-long-enough"))
    samples = []
    for number in range(requests + 10):
        started = time.perf_counter()
        response = client.get("/s/aspectfile/batches")
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.status_code
        if number >= 10:
            samples.append(elapsed)
    return statistics.median(samples)


def bench_p5(work: Path, batches: int, leads: int, requests: int) -> list[Result]:
    per_batch = leads // batches
    small = filled_batches(f"sqlite:///{work / 'p5-small.db'}", work / "store", 10, per_batch)
    large = filled_batches(f"sqlite:///{work / 'p5-large.db'}", work / "store", batches, per_batch)
    small_page = page_seconds(small, requests)
    large_page = page_seconds(large, requests)
    ratio = large_page / small_page
    return [Result("P5", f"web batch list, first page, {batches:,} batches and {batches * per_batch:,} leads vs 10 batches (SQLite, median of {requests} requests)", f"{large_page * 1000:.1f} ms", f"{small_page * 1000:.1f} ms", ratio, "≤ 3×", ratio <= 3)]


# P6: several worker processes on PostgreSQL


def child_worker(database_url: str, prefix: str, store: str) -> None:
    """In a child process: print "ready" once imported and connected, wait for a line on
    standard input, process batches until none is due, then print the uploaded ids as JSON."""
    config = Config(database_url=database_url, store_url=store, table_prefix=prefix)
    service = build_service(config)
    service.list_batches(per_page=1)
    print("ready", flush=True)
    sys.stdin.readline()
    report = service.process()
    print(json.dumps({"uploaded": list(report.uploaded), "problems": len(report.retried) + len(report.failed) + len(report.lost)}))


def run_workers(count: int, prefix: str, store: Path) -> tuple[float, list[int], int]:
    """Start *count* worker processes and let them work at once; return the wall time from
    the start signal until all exit, the uploaded ids and the problem count.

    The clock starts once every worker has imported the package and connected,
    so the figure is the throughput of running workers, without interpreter start-up.
    """
    command = [sys.executable, "-m", "benchmarks.run", "--child-worker", POSTGRES_URL, prefix, str(store)]
    workers = [subprocess.Popen(command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(count)]
    for worker in workers:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "ready"
    started = time.perf_counter()
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.close()
    outputs = []
    for worker in workers:
        assert worker.stdout is not None
        outputs.append(worker.stdout.read())
        worker.wait()
    elapsed = time.perf_counter() - started
    uploaded: list[int] = []
    problems = 0
    for worker, output in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, worker.returncode
        report = json.loads(output.strip().splitlines()[-1])
        uploaded += report["uploaded"]
        problems += report["problems"]
    return elapsed, uploaded, problems


def bench_p6(work: Path, batches: int, leads_per_batch: int, runs: int) -> list[Result]:
    prefix = f"bench{os.getpid()}_p6_"
    service = filled_batches(POSTGRES_URL, work / "store", batches, leads_per_batch, prefix)
    expected = sorted(batch.batch.id for batch in service.list_batches(per_page=1000).items)
    times: dict[int, list[float]] = {1: [], 4: []}
    duplicates = 0
    for run_number in range(runs):
        for count in (1, 4):
            if run_number or count == 4:
                for batch_id in expected:
                    service.reprocess(batch_id, force=True)
            elapsed, uploaded, problems = run_workers(count, prefix, work / f"store-{count}-{run_number}")
            duplicates += len(uploaded) - len(set(uploaded))
            assert sorted(set(uploaded)) == expected, (count, len(uploaded))
            assert problems == 0, (count, problems)
            times[count].append(elapsed)
    drop(POSTGRES_URL, prefix)
    one, four = statistics.median(times[1]), statistics.median(times[4])
    speedup = one / four
    what = f"{batches} batches of {leads_per_batch:,} leads on PostgreSQL, 4 worker processes vs 1; batches processed twice: {duplicates}"
    return [Result("P6", what, f"{batches / four:.1f} batches/s", f"1 worker {batches / one:.1f} batches/s", speedup, "≥ 1.6× one worker, no batch twice", speedup >= 1.6 and duplicates == 0)]


# Report


def machine() -> list[str]:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in ("aspectfile-core", "SQLAlchemy", "orjson", "fsspec", "psycopg", "Werkzeug", "pandas", "Faker"))
    return [
        f"- Machine: {cpu}, {os.cpu_count()} cores, {memory:.0f} GiB RAM, {platform.platform()}",
        f"- Python {platform.python_version()}; {versions}",
        f"- SQLite {sqlite3.sqlite_version}",
    ]


def write_report(path: Path, results: list[Result], command: str, runs: int) -> None:
    lines = [
        "# Benchmarks",
        "",
        "Produced by `nox -s bench` (the script is `benchmarks/run.py`). Each time is the median of",
        f"{runs} runs; each ratio divides our figure by a baseline measured in the same run on the same",
        "machine, so the ratios matter more than the seconds. Contacts come from a fixed-seed generator",
        "(Faker pt_BR pools), ten fields each. The baselines apply the same transformations by hand",
        "(`benchmarks/schemas.py`). docs/performance.md says what each baseline leaves out, what",
        "the profiles showed, what was changed, and why a target that is not met is not.",
        "",
        f"Measured on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC with `{command}`:",
        "",
        *machine(),
        "",
        "| id | what | measured | baseline | ratio | target | result |",
        "|---|---|---|---|---|---|---|",
        *[result.row() for result in results],
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=1_000_000, help="leads in the large batch (P1, P2, P3)")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure; the median is reported")
    parser.add_argument("--only", default="P1,P2,P3,P4,P5,P6", help="comma-separated benchmark ids")
    parser.add_argument("--requests", type=int, default=200, help="page requests per median (P5)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--child-rss", nargs=2, metavar=("DATABASE_URL", "STORE"), help=argparse.SUPPRESS)
    parser.add_argument("--child-worker", nargs=3, metavar=("DATABASE_URL", "PREFIX", "STORE"), help=argparse.SUPPRESS)
    options = parser.parse_args(argv)

    if options.child_rss:
        child_process_rss(*options.child_rss)
        return
    if options.child_worker:
        child_worker(*options.child_worker)
        return

    wanted = set(options.only.split(","))
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="aspectfile-bench-") as folder:
        work = Path(folder)
        steps: list[tuple[str, Callable[[Path], list[Result]]]] = [
            ("P1", lambda w: bench_p1(w / "p1", options.leads, options.runs)),
            ("P2", lambda w: bench_p2(w / "p2", options.leads)),
            ("P3", lambda w: bench_p3(w / "p3", options.leads, options.runs)),
            ("P4", lambda w: bench_p4(w / "p4", (1_000, 100_000))),
            ("P5", lambda w: bench_p5(w / "p5", 10_000, options.leads, options.requests)),
            ("P6", lambda w: bench_p6(w / "p6", 400, 1_000, options.runs)),
        ]
        for key, step in steps:
            if key not in wanted:
                continue
            (work / key.lower()).mkdir()
            print(f"running {key}...", flush=True)
            for result in step(work):
                print(result.row(), flush=True)
                results.append(result)

    command = "python -m benchmarks.run " + " ".join(argv if argv is not None else sys.argv[1:])
    write_report(options.output, results, command.strip(), options.runs)
    print(f"wrote {options.output}")


if __name__ == "__main__":
    main()
