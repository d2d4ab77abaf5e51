"""Figures name their machine, and llama.cpp is the build that answers alike on every CPU."""

from __future__ import annotations

import pytest

from qa import machine


def test_cpu_line_names_model_cores_and_vector_level():
    line = machine.describe()
    assert line.startswith("CPU: ") and "cores" in line
    assert any(level in line for level in ("AVX-512", "AVX2", "no AVX2"))


def test_llama_cpp_is_pinned_to_avx2():
    """A native build on an AVX-512 machine rounds differently and flips greedy answers near a
    tie, so the quality floors would hold on one CPU and not another (README, "Install")."""
    if machine.llama_build() is None:
        pytest.skip("llama-cpp-python is not installed")
    assert machine.llama_level() == "AVX2", (
        f"llama.cpp was built for {machine.llama_level()}; reinstall it as the README says: "
        'CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON '
        '-DLLAVA_BUILD=OFF" '
        "pip install --no-cache-dir --force-reinstall llama-cpp-python"
    )
