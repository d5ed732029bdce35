"""Run the real ``aspectfile-run`` command in a scratch folder."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

Run = Callable[..., subprocess.CompletedProcess[str]]

CSV_SCHEMA = """
name = "e2e-csv"
format = "delimited"
delimiter = ";"
encoding = "utf-8"
line_ending = "lf"
header_row = true

[[fields]]
name = "id"
source = "id"

[[fields]]
name = "name"
template = "{firstname} {lastname}"
transforms = ["strip", "collapse_spaces"]

[[fields]]
name = "email"
source = "email"
required = true
"""


@pytest.fixture
def run(tmp_path: Path) -> Run:
    """Return a function that runs aspectfile-run in *tmp_path* and captures its output."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ASPECTFILE_", "LC_", "LANG"))
    }
    env["LANG"] = "en_US.UTF-8"

    def run_command(
        *arguments: str, input: str | None = None, locale_env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "aspectfile_core", *arguments],
            cwd=tmp_path,
            env={**env, **(locale_env or {})},
            input=input,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=120,
            check=False,
        )

    return run_command


@pytest.fixture
def csv_schema(tmp_path: Path) -> Path:
    path = tmp_path / "e2e-csv.toml"
    path.write_text(CSV_SCHEMA, encoding="utf-8")
    return path
