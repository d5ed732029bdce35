"""Several ``aspectfile-run`` processes on one database: each batch stored once, none stuck.

The worker processes run ``aspectfile_core.cli.main``, the function behind the
``aspectfile-run`` console script, through a small launcher that appends every
call of the store's ``store`` method to a journal file before it runs. The
journal counts the writes at the store, including any that would fail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
import sqlalchemy as sa

from aspectfile_core.adapters.clock import SystemClock
from aspectfile_core.adapters.sql import SqlBatchRepository, build_tables, upgrade_database
from aspectfile_core.domain.model import Contact
from aspectfile_core.domain.status import BatchStatus
from aspectfile_core.ports import BatchFilter
from aspectfile_core.services import BatchService
from aspectfile_core.testing import MemoryObjectStore
from tests.integration.conftest import Database, open_database

LAUNCHER = '''\
"""Run aspectfile-run, appending each store write to the file named by ASPECTFILE_TEST_JOURNAL."""

import os

from aspectfile_core.adapters.fsspec_store import FsspecObjectStore
from aspectfile_core.cli import main

journal = os.environ["ASPECTFILE_TEST_JOURNAL"]
store = FsspecObjectStore.store


def journaled_store(self, local_path, **keywords):
    with open(journal, "a", encoding="utf-8") as handle:
        handle.write(f"{os.getpid()} {keywords['file_path']}\\n")
    return store(self, local_path, **keywords)


FsspecObjectStore.store = journaled_store
main()
'''

SCHEMA = """
name = "workers"
format = "delimited"
delimiter = ";"
encoding = "utf-8"
line_ending = "lf"
header_row = true
file_name = "workers_{batch_id}.csv"

[[fields]]
name = "id"
source = "id"

[[fields]]
name = "phone"
source = "phone"
type = "phone"
default_region = "BR"
phone_format = "national"
"""

PHONE = "+55 11 98765-4321"
RUN_TIMEOUT_SECONDS = 240


@attrs.frozen
class Workspace:
    """A database, a store folder and a journal of store writes for worker processes."""

    database: Database
    folder: Path

    @property
    def store(self) -> Path:
        return self.folder / "store"

    @property
    def journal(self) -> Path:
        return self.folder / "writes.log"

    @property
    def launcher(self) -> Path:
        return self.folder / "launch_aspectfile_run.py"

    def env(self, **extra: str) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("ASPECTFILE_", "LC_"))}
        return {
            **base,
            "LANG": "en_US.UTF-8",
            "ASPECTFILE_DATABASE_URL": self.database.url,
            "ASPECTFILE_TABLE_PREFIX": self.database.prefix,
            "ASPECTFILE_STORE_URL": str(self.store),
            "ASPECTFILE_TEST_JOURNAL": str(self.journal),
            **extra,
        }

    def start(self, *arguments: str, **extra_env: str) -> subprocess.Popen[str]:
        """Start ``aspectfile-run ARGUMENTS`` with store writes journaled."""
        return subprocess.Popen(
            [sys.executable, str(self.launcher), *arguments],
            cwd=self.folder,
            env=self.env(**extra_env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, *arguments: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        process = self.start(*arguments, **extra_env)
        stdout, stderr = process.communicate(timeout=RUN_TIMEOUT_SECONDS)
        return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)

    def writes(self) -> Counter[str]:
        """Count the store writes per file path."""
        if not self.journal.exists():
            return Counter()
        lines = self.journal.read_text(encoding="utf-8").splitlines()
        return Counter(line.split(" ", 1)[1] for line in lines)

    def repository(self) -> SqlBatchRepository:
        return SqlBatchRepository(self.database.engine, build_tables(self.database.prefix))


@pytest.fixture
def workspace(database: Database, tmp_path: Path) -> Workspace:
    return make_workspace(database, tmp_path)


@pytest.fixture
def server_workspace(server_database: Database, tmp_path: Path) -> Workspace:
    return make_workspace(server_database, tmp_path)


def make_workspace(database: Database, folder: Path) -> Workspace:
    workspace = Workspace(database, folder)
    workspace.launcher.write_text(LAUNCHER, encoding="utf-8")
    upgrade_database(database.engine, database.prefix)
    service = BatchService(workspace.repository(), MemoryObjectStore(), SystemClock())
    service.register_schema(SCHEMA, "toml")
    return workspace


def add_batches(workspace: Workspace, batches: int, leads: int) -> list[int]:
    service = BatchService(workspace.repository(), MemoryObjectStore(), SystemClock())
    return [
        service.add_contacts(
            campaign_id=1,
            event_id=event_id,
            schema_name="workers",
            contacts=[Contact(n, {"id": str(n), "phone": PHONE}) for n in range(1, leads + 1)],
        ).batch_ids[0]
        for event_id in range(1, batches + 1)
    ]


def batches_in(workspace: Workspace, status: BatchStatus) -> int:
    page = workspace.repository().list_batches(
        page=1, per_page=1, filters=BatchFilter(status=status)
    )
    return page.total


def uploaded_count(stdout: str) -> int:
    match = re.search(r"Uploaded: (\d+)\.", stdout)
    return int(match.group(1)) if match else 0


@pytest.mark.slow
def test_four_workers_store_each_batch_once(server_workspace: Workspace) -> None:
    """Four 'process' runs share 200 batches: each stored once, every lead GENERATED."""
    workspace = server_workspace
    ids = add_batches(workspace, batches=200, leads=5)

    workers = [workspace.start("process") for _ in range(4)]
    results = [worker.communicate(timeout=RUN_TIMEOUT_SECONDS) for worker in workers]

    for worker, (stdout, stderr) in zip(workers, results, strict=True):
        assert worker.returncode == 0, stderr
        assert "deadlock" not in (stdout + stderr).lower()
        assert "Traceback" not in stderr
    per_worker = [uploaded_count(stdout) for stdout, _stderr in results]
    assert sum(per_worker) == 200
    assert sum(1 for count in per_worker if count) >= 2, per_worker
    writes = workspace.writes()
    assert len(writes) == 200
    assert set(writes.values()) == {1}
    assert batches_in(workspace, BatchStatus.UPLOADED) == 200
    for status in (BatchStatus.PENDING, BatchStatus.GENERATING, BatchStatus.UPLOADING):
        assert batches_in(workspace, status) == 0
    repository = workspace.repository()
    for batch_id in ids:
        summary = repository.get_batch(batch_id)
        assert (summary.counts.generated, summary.counts.total) == (5, 5)
        assert summary.batch.attempts == 1


def wait_for_partial_output(work_dir: Path, process: subprocess.Popen[str]) -> Path:
    """Return the worker's temporary output file once it contains some bytes, polling its folder."""
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, "the worker ended before it started writing"
        for candidate in work_dir.glob("aspectfile-*/*"):
            if candidate.stat().st_size > 0:
                return candidate
        time.sleep(0.005)
    raise AssertionError("the worker never started writing its file")


@pytest.mark.slow
def test_killed_worker_batch_finished_later(workspace: Workspace) -> None:
    """A worker killed mid-batch leaves it GENERATING; after the lease, another run stores it whole."""
    leads = 60_000
    (batch_id,) = add_batches(workspace, batches=1, leads=leads)
    work_dir = workspace.folder / "work"
    work_dir.mkdir()

    victim = workspace.start("process", TMPDIR=str(work_dir), ASPECTFILE_CHUNK_SIZE="200")
    partial = wait_for_partial_output(work_dir, victim)
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=RUN_TIMEOUT_SECONDS)

    repository = workspace.repository()
    held = repository.get_batch(batch_id).batch
    assert victim.returncode == -signal.SIGKILL
    assert partial.stat().st_size > 0
    assert held.status is BatchStatus.GENERATING
    assert workspace.writes() == Counter()

    back_date(workspace, batch_id, "lease_expires_at")
    recovered = workspace.run("recover")
    back_date(workspace, batch_id, "next_attempt_at")
    finished = workspace.run("process")

    assert recovered.returncode == 0, recovered.stderr
    assert "Batches recovered: 1." in recovered.stdout
    assert finished.returncode == 0, finished.stderr
    summary = repository.get_batch(batch_id)
    assert summary.batch.status is BatchStatus.UPLOADED
    assert summary.counts.generated == leads
    assert [a.outcome for a in repository.list_attempts(batch_id)] == ["lost", "uploaded"]
    stored = workspace.store / (summary.batch.file_path or "")
    content = stored.read_bytes()
    lines = content.decode("utf-8").splitlines()
    assert lines[0] == "id;phone"
    assert lines[1:] == [f"{n};11987654321" for n in range(1, leads + 1)]
    assert hashlib.sha256(content).hexdigest() == summary.batch.file_sha256
    assert workspace.writes() == Counter({summary.batch.file_path: 1})
    assert list(workspace.store.rglob("*.part")) == []


def back_date(workspace: Workspace, batch_id: int, column: str) -> None:
    """Move a batch's timestamp *column* one minute into the past, as if time had passed."""
    batches = build_tables(workspace.database.prefix).batches
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    with workspace.database.engine.begin() as connection:
        connection.execute(
            sa.update(batches).where(batches.c.id == batch_id).values({column: past})
        )


ADDER = '''\
"""Add one contact every 10 ms for the given seconds; print each lead id once it is stored."""

import sys
import time

from aspectfile_core.bootstrap import Config, build_service

seconds = float(sys.argv[1])
service = build_service(Config.from_environment())
start = time.monotonic()
number = 0
while time.monotonic() - start < seconds:
    number += 1
    service.add_contact(
        campaign_id=1,
        event_id=1,
        schema_name="workers",
        lead_id=number,
        fields={"id": str(number), "phone": "+55 11 98765-4321"},
    )
    print(number, flush=True)
    next_at = start + number * 0.01
    time.sleep(max(0.0, next_at - time.monotonic()))
'''


@pytest.fixture
def sqlite_workspace(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Workspace]:
    database = open_database("sqlite", tmp_path_factory)
    try:
        yield make_workspace(database, tmp_path)
    finally:
        database.engine.dispose()


@pytest.mark.slow
def test_sqlite_workers_while_contacts_arrive(sqlite_workspace: Workspace) -> None:
    """Four SQLite workers and a contact every 10 ms for 30 s: no lock error, no contact lost."""
    workspace = sqlite_workspace
    adder_script = workspace.folder / "add_contacts.py"
    adder_script.write_text(ADDER, encoding="utf-8")

    workers = [workspace.start("worker", "--idle-wait", "0.05") for _ in range(4)]
    adder = subprocess.Popen(
        [sys.executable, str(adder_script), "30"],
        cwd=workspace.folder,
        env=workspace.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    added_out, added_err = adder.communicate(timeout=RUN_TIMEOUT_SECONDS)
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    results = [worker.communicate(timeout=RUN_TIMEOUT_SECONDS) for worker in workers]
    final = workspace.run("process")

    assert adder.returncode == 0, added_err
    assert "database is locked" not in added_err
    for worker, (stdout, stderr) in zip(workers, results, strict=True):
        assert worker.returncode == 0, stderr
        assert "database is locked" not in stdout + stderr
    assert final.returncode == 0, final.stderr
    added = [int(line) for line in added_out.split()]
    assert len(added) > 1000
    assert added == list(range(1, len(added) + 1))
    seen = leads_per_id(workspace)
    assert set(seen) == {str(number) for number in added}
    assert set(seen.values()) == {1}
    total = workspace.repository().list_batches(page=1, per_page=1).total
    assert batches_in(workspace, BatchStatus.UPLOADED) == total
    assert set(workspace.writes().values()) == {1}


def leads_per_id(workspace: Workspace) -> Counter[str]:
    """Count each lead id over every batch, straight from the leads table."""
    leads = build_tables(workspace.database.prefix).leads
    with workspace.database.engine.connect() as connection:
        rows = connection.execute(
            sa.select(leads.c.lead_id, sa.func.count()).group_by(leads.c.lead_id)
        ).all()
    return Counter(dict(rows))
