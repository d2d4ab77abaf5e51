"""Answering speed: this pipeline against the landed one, in one run on one machine.

    .venv/bin/python benchmarks/answering.py [--limit 20] [--landed 4664d97|none]
                                             [--questions FILE] [--json OUT.json]

Runs the real pipeline (`QA.stream`, as the chat does) over the first `--limit` questions of
the development set and times the sources, the first streamed token and the whole answer
(checks included), counting the prompt tokens the reader reads per question (those its prompt
cache did not hold). `--landed` names a commit whose pipeline runs the same questions first, from
a git worktree in a subprocess with the same packages, so the ratio between the two comes from
one machine in one run; and one plain engine call (a ~400-token prompt read in full, 16 tokens
out) is timed too: the unit the answer's time is measured in. Model preparation is done
beforehand (an earlier run or start does it).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LANDED = "707b4ff"  # the pipeline on llama-cpp-python, before the served engine


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def prompt_tokens(qa, question: str, passages) -> int:
    """Tokens of the last answer prompt that a kept prefix did not cover."""
    reader = qa.reader
    if hasattr(reader, "timings"):  # the served engine: what it says it read
        return int(reader.timings.get("prompt_n", 0))
    if hasattr(reader, "_parts"):  # llama-cpp-python: the instruction is kept between questions
        from qa import prompts

        return sum(len(p) for p in reader._parts(prompts.answer_messages(question, passages))[1:])
    return 0


def run_pipeline(index_dir: Path, questions: Path, limit: int) -> dict[str, float]:
    """This checkout's pipeline over the questions: its figures."""
    from qa import QA, Settings
    from qa.evaluation import contains_answer, load_items

    items = load_items(questions)[:limit]
    qa = QA(index_dir=index_dir, settings=Settings.from_env())
    qa.refresh()
    qa.reader.warm_up()
    sources, first, full, tokens, in_context = [], [], [], [], []
    for item in items:
        t = time.perf_counter()
        n, passages = 0, []
        for update in qa.stream(item.question, item.history):
            now = time.perf_counter() - t
            if update.kind == "sources":
                sources.append(now)
                passages = update.passages
            elif update.kind == "token":
                n += 1
                if n == 1:
                    first.append(now)
            elif update.kind == "answer" and update.answer is not None:
                question = update.answer.standalone_question or item.question
        full.append(time.perf_counter() - t)
        if passages:
            tokens.append(prompt_tokens(qa, question, passages))
            if item.answerable:
                text = " ".join(p.chunk.text for p in passages)
                in_context.append(contains_answer(text, item.answers))
        print(f"  {full[-1]:6.2f}s  {item.question[:70]}", file=sys.stderr, flush=True)
    return {
        "questions": len(items),
        "sources_p50_s": statistics.median(sources) if sources else 0.0,
        "first_token_p50_s": statistics.median(first) if first else 0.0,
        "first_token_p95_s": percentile(first, 0.95) if first else 0.0,
        "full_answer_p50_s": statistics.median(full),
        "full_answer_p95_s": percentile(full, 0.95),
        "prompt_tokens_p50": statistics.median(tokens) if tokens else 0.0,
        "answer_in_context": sum(in_context) / len(in_context) if in_context else 0.0,
    }


def plain_call(chars: int = 2000, out: int = 16, repeats: int = 3) -> tuple[float, int]:
    """p50 seconds of one engine call that reads a prompt of about 420 tokens in full (no
    kept state; as many as an answer's prompt) and writes `out` tokens; and how many prompt
    tokens it read."""
    from qa import Settings
    from qa.readers import ServedReader

    reader = ServedReader(Settings.from_env())
    reader.warm_up()
    words = (ROOT / "seeds").glob("*.txt")
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted(words))[:chars]
    body = {
        "messages": [{"role": "user", "content": text}],
        "max_tokens": out,
        "temperature": 0.0,
        "cache_prompt": False,
        "ignore_eos": True,
    }
    times, read = [], 0
    for _ in range(repeats):
        t = time.perf_counter()
        reply = reader.connection.chat(body)
        times.append(time.perf_counter() - t)
        read = reply["usage"]["prompt_tokens"]
    return statistics.median(times), read


def in_landed(ref: str, call: str, *args: str) -> dict | None:
    """`call` (a function of a benchmark module here, "module.function") run on commit `ref`'s
    pipeline, from a git worktree, in a subprocess with the same packages: what it returns (a
    JSON object), or None when this checkout does not have that commit (a shallow clone)."""
    module, function = call.split(".")
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "landed"
        added = subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), ref],
            capture_output=True,
            text=True,
        )
        if added.returncode:
            print(f"landed pipeline {ref} not available: {added.stderr.strip()}")
            return None
        script = (
            f"import json, sys; sys.path.insert(0, sys.argv[1]); import {module};"
            f"print(json.dumps({module}.{function}(*sys.argv[2:])))"
        )
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        try:
            done = subprocess.run(
                [sys.executable, "-c", script, str(ROOT / "benchmarks"), *args],
                cwd=tree,
                env={"PYTHONPATH": str(tree), **env, "LANDED_TMP": tmp},
                capture_output=True,
                text=True,
                check=True,
            )
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                capture_output=True,
            )
    return json.loads(done.stdout.strip().splitlines()[-1])


def landed_pipeline(questions: str, limit: str) -> dict[str, float]:
    """`run_pipeline` as `in_landed` calls it (its arguments are strings)."""
    index = Path(tempfile.mkdtemp(prefix="ix-", dir=os.environ.get("LANDED_TMP")))
    return run_pipeline(index, Path(questions), int(limit))


def main() -> None:
    from qa import machine

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=Path, default=ROOT / "tests/data/dev_qa.jsonl")
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--landed", default=LANDED, help="a commit to compare with, or none")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    print(machine.describe(), flush=True)
    results: dict[str, dict[str, float]] = {}
    landed = None
    if args.landed != "none" and not importlib.util.find_spec("llama_cpp"):
        print(f"note: {args.landed} runs on llama-cpp-python, which is not installed here: its")
        print("column is its fallback, transformers (build llama-cpp-python as it says)")
    if args.landed != "none":
        landed = in_landed(
            args.landed, "answering.landed_pipeline", str(args.questions), str(args.limit)
        )
    if landed:
        results["landed"] = landed
    with tempfile.TemporaryDirectory() as tmp:
        results["this"] = run_pipeline(Path(tmp) / "index", args.questions, args.limit)
    plain, read = plain_call()
    columns = list(results)
    print(f"\n| figure | {' | '.join(columns)} |\n| --- |{' --- |' * len(columns)}")
    for name in results["this"]:
        row = " | ".join(f"{results[c].get(name, 0.0):.2f}" for c in columns)
        print(f"| {name} | {row} |")
    this = results["this"]
    print(f"\none plain engine call ({read} prompt tokens, 16 out): {plain:.2f} s")
    print(f"full answer p50 / plain call: {this['full_answer_p50_s'] / plain:.2f}")
    if landed:
        for name in ("full_answer_p50_s", "first_token_p50_s"):
            print(f"{name}, this / landed: {this[name] / max(landed[name], 1e-9):.2f}")
    if args.json:
        args.json.write_text(json.dumps({"results": results, "plain_call_s": plain}, indent=1))


if __name__ == "__main__":
    main()
