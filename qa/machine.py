"""Which CPU and which reader engine build a figure came from.

Machines of one kind differ (AVX2-only or AVX-512); llama.cpp built for the host's own
instruction set rounds its sums differently on each, and a greedy answer near a tie flips. The
engine's prebuilt wheel is built for AVX2 on every CPU, so answers are the same on both;
benchmarks and `python -m qa eval` print this line so every figure names where it was measured.
"""

from __future__ import annotations

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


def describe() -> str:
    """One line for a benchmark or evaluation header."""
    from .readers.engine import engine_info

    return f"CPU: {cpu()}; reader engine built for {engine_info()}"
