"""Answering speed: this pipeline against the landed one, in one run on one machine.

    .venv/bin/python benchmarks/answering.py [--limit 20] [--landed 4664d97|none]
                                             [--questions FILE] [--json OUT.json]

Runs the real pipeline (`QA.stream`, as the chat does) over the first `--limit` questions of
the development set and times the sources, the first streamed token and the whole answer
(checks included), counting the prompt tokens the reader reads per question. `--landed` names a
commit whose pipeline runs the same questions first, from a git worktree in a subprocess with
the same packages, so the ratio between the two comes from one machine in one run; and one plain
llama.cpp call of the landed prompt's size (a ~450-token prompt, 16 tokens out) is timed too.
Model preparation is done beforehand (an earlier run or start does it).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LANDED = "4664d97"  # the pipeline before the short prompt and the kept prefix


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def prompt_tokens(qa, question: str, passages) -> int:
    """Tokens of the answer prompt that a kept prefix does not cover (all of it, when the
    reader keeps none)."""
    from qa import prompts

    reader = qa.reader
    messages = prompts.answer_messages(question, passages)
    if hasattr(reader, "_parts"):  # the first part, the instruction, is kept between questions
        return sum(len(p) for p in reader._parts(messages)[1:])
    return len(reader._tokenize("".join(m["content"] for m in messages)))


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


def plain_call(tokens: int = 450, out: int = 16, repeats: int = 3) -> float:
    """p50 seconds of one llama.cpp call that reads `tokens` fresh prompt tokens and writes
    `out`: the unit the issue's ratio is taken against."""
    from qa import Settings
    from qa.readers import LlamaCppReader

    reader = LlamaCppReader(Settings.from_env())
    reader.warm_up()
    llm = reader._llm
    words = (ROOT / "seeds").glob("*.txt")
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted(words))
    prompt = llm.tokenize(text.encode(), add_bos=False)[:tokens]
    times = []
    for _ in range(repeats):
        llm.reset()
        t = time.perf_counter()
        llm.eval(prompt)
        for _ in range(out):
            token = int(reader._logits().argmax())
            llm.eval([token])
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def run_landed(ref: str, questions: Path, limit: int) -> dict[str, float] | None:
    """The pipeline of commit `ref`, from a worktree, in a subprocess: its figures (None when
    this checkout does not have that commit, a shallow clone say)."""
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
        try:
            script = (
                "import json, sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]);"
                "import answering as a; print(json.dumps(a.run_pipeline(Path(sys.argv[2]),"
                " Path(sys.argv[3]), int(sys.argv[4]))))"
            )
            done = subprocess.run(
                [sys.executable, "-c", script, str(ROOT / "benchmarks"), str(Path(tmp) / "ix")]
                + [str(questions), str(limit)],
                cwd=tree,
                env={"PYTHONPATH": str(tree), **_env()},
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


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


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
    landed = run_landed(args.landed, args.questions, args.limit) if args.landed != "none" else None
    if landed:
        results["landed"] = landed
    with tempfile.TemporaryDirectory() as tmp:
        results["this"] = run_pipeline(Path(tmp) / "index", args.questions, args.limit)
    plain = plain_call()
    columns = list(results)
    print(f"\n| figure | {' | '.join(columns)} |\n| --- |{' --- |' * len(columns)}")
    for name in results["this"]:
        row = " | ".join(f"{results[c].get(name, 0.0):.2f}" for c in columns)
        print(f"| {name} | {row} |")
    this = results["this"]
    print(f"\none plain llama.cpp call (450 prompt tokens, 16 out): {plain:.2f} s")
    print(f"full answer p50 / plain call: {this['full_answer_p50_s'] / plain:.2f}")
    if landed:
        for name in ("full_answer_p50_s", "first_token_p50_s"):
            print(f"{name}, this / landed: {this[name] / max(landed[name], 1e-9):.2f}")
    if args.json:
        args.json.write_text(json.dumps({"results": results, "plain_call_s": plain}, indent=1))


if __name__ == "__main__":
    main()
