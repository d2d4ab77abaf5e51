"""The command line, run as a user runs it: `python -m qa ... ask` in its own process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_ask_answers_what_the_articles_do_not_cover_and_exits_cleanly(
    articles_dir: Path, tmp_path: Path
):
    """A question the articles do not cover needs no reader, but the reader was loading aside
    while the index was built: the command waits for it rather than exit mid-load."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "qa",
            "--articles",
            str(articles_dir),
            "--index",
            str(tmp_path / "index"),
            "ask",
            "What did the mayor of Lisbon say about the bridge?",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "The articles don't cover this" in done.stdout
    assert "Traceback" not in done.stderr
