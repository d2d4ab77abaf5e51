"""Which CPU and which llama.cpp build a figure came from.

Machines of one kind differ (AVX2-only or AVX-512); llama.cpp compiled for the host's native
instruction set rounds its sums differently on each, and a greedy answer near a tie flips. The
README's install pins llama.cpp to AVX2 so answers are the same on both; benchmarks and
`python -m qa eval` print this line so every figure names where it was measured.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

# The extensions that decide which kernels run; listed in this order when present.
_FLAGS = ("avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16")


def cpu() -> str:
    """The CPU model, core count and the instruction-set extensions that matter here."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return f"unknown CPU, {os.cpu_count()} cores"
    name = re.search(r"^model name\s*:\s*(.+)$", info, re.MULTILINE)
    flags = re.search(r"^flags\s*:\s*(.+)$", info, re.MULTILINE)
    have = set(flags.group(1).split()) if flags else set()
    level = "AVX-512" if "avx512f" in have else "AVX2" if "avx2" in have else "no AVX2"
    shown = " ".join(f for f in _FLAGS if f in have)
    model = name.group(1).strip() if name else "unknown CPU"
    return f"{model}, {os.cpu_count()} cores, {level} ({shown})"


@functools.cache
def llama_build() -> dict[str, bool] | None:
    """The instruction sets the installed llama.cpp was compiled for; None without it."""
    try:
        import llama_cpp
    except ImportError:
        return None
    info = llama_cpp.llama_print_system_info().decode(errors="replace")
    return {k: v == "1" for k, v in re.findall(r"(\w+) = (\d)", info)}


def llama_level() -> str:
    """The widest vector set llama.cpp was built with: "AVX-512", "AVX2" or "none" ("not
    installed" without it)."""
    build = llama_build()
    if build is None:
        return "not installed"
    if build.get("AVX512"):
        return "AVX-512"
    return "AVX2" if build.get("AVX2") else "none"


def describe() -> str:
    """One line for a benchmark or evaluation header."""
    return f"CPU: {cpu()}; llama.cpp built for {llama_level()}"
