"""Every benchmark script still runs: each at its smallest size, checked for its table.

A benchmark that rots (an attribute renamed under it) leaves the README's figures
unreproducible; this runs them all in CI. Figures are not checked: speed is the benchmarks'
business, not the tests'.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = {p.stem for p in (ROOT / "benchmarks").glob("*.py")} - {"synthetic", "__init__"}

# Smallest useful run of each script, and a line of the table it must print.
RUNS = {
    "answering": (["--limit", "1", "--landed", "none"], "| full_answer_p50_s |"),
    "indexing": (["--chunks", "20", "--sizes", "200,400"], "| index chunks |"),
    "load": (["--questions", "2"], "| answered | 2 |"),
    "pages": ([], "| mean body F1 |"),
    "search": (["--sizes", "1000", "--rebuild"], "| ivf |"),
    # Two minutes of four users, a feed adding an article a minute, a removal after 90 s.
    "soak": (["--minutes", "2", "--feed-every", "60", "--remove-every", "90"], "| errors | 0 |"),
    "startup_and_latency": (["--limit", "1"], "| answer_p50_s |"),
    "stores": (["--sizes", "1000"], "| store |"),
}


# The search run trains IVF (its own code path: the list sweep) on a small index.
ENV = {"search": {"QA_ANN_THRESHOLD": "500"}}


def test_every_benchmark_has_a_smoke_run():
    assert set(RUNS) == SCRIPTS


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(RUNS))
def test_benchmark_runs_at_its_smallest_size(script: str, tmp_path: Path):
    options, expected = RUNS[script]
    out = tmp_path / "figures.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / f"{script}.py"), *options, "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, **ENV.get(script, {})},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "CPU: " in done.stdout  # every figure names the machine it came from
    assert expected in done.stdout, done.stdout[-3000:]
    assert out.stat().st_size > 0
