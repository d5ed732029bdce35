"""The documentation site builds without a warning, so internal links and anchors resolve."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_docs_build_cleanly(tmp_path: Path) -> None:
    """sphinx-build -W passes: every page, cross-reference, CLI and API entry resolves."""
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(ROOT / "docs"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cli-reference.html").exists()
