"""Figures name their machine, and the reader's engine is the build that answers alike on every
CPU of this kind."""

from __future__ import annotations

from qa import machine
from qa.readers.engine import engine_info


def test_cpu_line_names_model_cores_and_vector_level():
    line = machine.describe()
    assert line.startswith("CPU: ") and "cores" in line
    assert any(level in line for level in ("AVX-512", "AVX2", "no AVX2"))
    assert "reader engine built for" in line


def test_the_engine_is_built_for_avx2_without_avx512():
    """A build for the host's own instruction set rounds differently on an AVX-512 machine and
    flips greedy answers near a tie, so the quality floors would hold on one CPU and not another
    (README, "Install"). The engine's prebuilt wheel is AVX2 on every CPU."""
    build = dict(part.strip().split(" = ") for part in engine_info().split("|") if " = " in part)
    assert build.get("AVX2") == "1" and build.get("FMA") == "1"
    assert not any(name.startswith("AVX512") and on == "1" for name, on in build.items()), build
