"""The 'purge', 'worker' and 'recover' commands and the worker settings, run as real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

SCHEMA = """
name = "ops"
format = "delimited"
delimiter = ";"
encoding = "utf-8"
line_ending = "lf"
file_name = "ops_{batch_id}.csv"

[[fields]]
name = "id"
source = "id"
"""

Run = Callable[..., subprocess.CompletedProcess[str]]


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ASPECTFILE_", "LC_"))}
    return {
        **base,
        "LANG": "en_US.UTF-8",
        "ASPECTFILE_DATABASE_URL": f"sqlite:///{tmp_path / 'ops.db'}",
        "ASPECTFILE_STORE_URL": str(tmp_path / "store"),
        **extra,
    }


@pytest.fixture
def run(tmp_path: Path) -> Run:
    """Return a function that runs aspectfile-run on a SQLite file in *tmp_path*."""

    def run_command(
        *arguments: str, input: str | None = None, **extra_env: str
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "aspectfile_core", *arguments],
            cwd=tmp_path,
            env=environment(tmp_path, **extra_env),
            input=input,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return run_command


@pytest.fixture
def uploaded_batch(run: Run, tmp_path: Path) -> None:
    """Create the database with one UPLOADED batch of two leads."""
    (tmp_path / "ops.toml").write_text(SCHEMA, encoding="utf-8")
    (tmp_path / "contacts.csv").write_text("id\n1\n2\n", encoding="utf-8")
    for arguments in (
        ("db", "upgrade"),
        ("schema", "add", "ops.toml"),
        ("enqueue", "--schema", "ops", "--campaign", "1", "--event", "1", "contacts.csv"),
        ("process",),
    ):
        result = run(*arguments)
        assert result.returncode == 0, result.stderr


def enqueue_pending(run: Run, tmp_path: Path) -> None:
    (tmp_path / "more.csv").write_text("id\n3\n", encoding="utf-8")
    result = run("enqueue", "--schema", "ops", "--campaign", "1", "--event", "2", "more.csv")
    assert result.returncode == 0, result.stderr


@pytest.mark.usefixtures("uploaded_batch")
def test_purge_deletes_old_batches(run: Run) -> None:
    """purge --older-than 0 --yes deletes the UPLOADED batch and reports the count."""
    kept = run("purge", "--older-than", "1", "--yes")
    purged = run("purge", "--older-than", "0", "--yes")
    listed = run("list")

    assert kept.returncode == 0, kept.stderr
    assert "Batches deleted: 0 (states \"Failed\", \"Uploaded\"" in kept.stdout
    assert purged.returncode == 0, purged.stderr
    assert "Batches deleted: 1 (states \"Failed\", \"Uploaded\"" in purged.stdout
    assert "No batches yet" in listed.stdout


@pytest.mark.usefixtures("uploaded_batch")
def test_purge_declined_deletes_nothing(run: Run) -> None:
    """Answering no to the question deletes nothing and exits 1."""
    result = run("purge", "--older-than", "0", input="n\n")

    assert result.returncode == 1
    assert "Delete the batches in \"Failed\", \"Uploaded\" created before" in result.stdout
    assert "Nothing deleted." in result.stdout
    assert "Uploaded" in run("list").stdout


@pytest.mark.usefixtures("uploaded_batch")
def test_purge_named_state_only(run: Run, tmp_path: Path) -> None:
    """--status PENDING deletes the waiting batch and keeps the UPLOADED one."""
    enqueue_pending(run, tmp_path)

    result = run("purge", "--older-than", "0", "--status", "pending", "--yes")
    listed = run("list", "--json")

    assert result.returncode == 0, result.stderr
    assert "Batches deleted: 1 (states \"Pending\"" in result.stdout
    assert '"status": "UPLOADED"' in listed.stdout
    assert '"status": "PENDING"' not in listed.stdout


@pytest.mark.usefixtures("uploaded_batch")
def test_purge_rejects_negative_days(run: Run) -> None:
    """A negative --older-than is a usage error."""
    result = run("purge", "--older-than", "-1", "--yes")

    assert result.returncode == 2
    assert "--older-than" in result.stderr


@pytest.mark.usefixtures("uploaded_batch")
def test_purge_message_in_portuguese(run: Run) -> None:
    """The purge result is printed in Brazilian Portuguese for a pt_BR operator."""
    result = run("--locale", "pt_BR", "purge", "--older-than", "0", "--yes")

    assert result.returncode == 0, result.stderr
    assert "Lotes excluídos: 1" in result.stdout


@pytest.mark.usefixtures("uploaded_batch")
def test_worker_processes_until_stop_after(run: Run, tmp_path: Path) -> None:
    """worker --stop-after processes the due batches, then stops by itself and exits 0."""
    enqueue_pending(run, tmp_path)

    result = run("worker", "--idle-wait", "0.1", "--stop-after", "1")

    assert result.returncode == 0, result.stderr
    assert "Uploaded: 1." in result.stdout
    assert "Uploaded" in run("show", "2").stdout


@pytest.mark.usefixtures("uploaded_batch")
def test_worker_stops_on_sigterm(tmp_path: Path) -> None:
    """SIGTERM makes an idle worker stop at once and exit 0 instead of dying mid-batch."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "aspectfile_core", "-v", "worker", "--idle-wait", "600"],
        cwd=tmp_path,
        env=environment(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert worker.stderr is not None
    for line in worker.stderr:
        if "Worker started" in line:
            break

    worker.send_signal(signal.SIGTERM)
    stdout, stderr = worker.communicate(timeout=60)

    assert worker.returncode == 0, stderr
    assert "Worker received SIGTERM" in stderr
    assert "No batch is due." in stdout


@pytest.mark.usefixtures("uploaded_batch")
def test_recover_rescues_nothing_live(run: Run) -> None:
    """recover on a database without expired leases reports zero."""
    result = run("recover")

    assert result.returncode == 0, result.stderr
    assert "Batches recovered: 0." in result.stdout


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ASPECTFILE_MAX_ATTEMPTS", "zero"),
        ("ASPECTFILE_LEASE_SECONDS", "-5"),
        ("ASPECTFILE_MAX_LEADS_PER_BATCH", "0"),
    ],
    ids=["attempts", "lease", "batch-size"],
)
def test_invalid_setting_exits_2(run: Run, name: str, value: str) -> None:
    """An invalid worker setting stops every command with exit 2 and the variable's name."""
    result = run("list", **{name: value})

    assert result.returncode == 2
    assert f"{name}={value!r} is invalid" in result.stderr
