"""Reading saved web pages: how much of each story's text comes out, and whether its date does.

    .venv/bin/python benchmarks/pages.py [--folder qa/devsets/pages] [--json OUT.json]

For every page of the folder (default: the HTML test corpus, whose body texts as written are in
tests/data/pages_expected.json), the article the HTML converter makes is compared with the
story: SQuAD token F1 of the extracted body (the stored text less its title line) against the
written text, and the publication date found against the date the page states (pages stating
none must get none). Also the title and outlet, compared exactly. No model is loaded.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa import machine  # noqa: E402
from qa.documents import read_article  # noqa: E402
from qa.evaluation import token_f1  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
PAGES = ROOT / "qa" / "devsets" / "pages"


def measure(folder: Path = PAGES, expected: Path | None = None) -> dict[str, object]:
    """Per page and in total: body F1, date found (and right), title and outlet right."""
    wanted = json.loads((expected or DATA / f"{folder.name}_expected.json").read_text())
    pages = []
    started = time.perf_counter()
    for name, gold in sorted(wanted.items()):
        article = read_article(folder / name, name)
        body = article.text.split("\n", 1)[1] if "\n" in article.text else ""
        pages.append(
            {
                "page": name,
                "f1": token_f1(body, gold["text"]),
                "date": article.meta.date,
                "gold_date": gold["date"],
                "title_right": article.title == gold["title"],
                "outlet_right": article.meta.outlet == gold["outlet"],
            }
        )
    seconds = time.perf_counter() - started
    dated = [p for p in pages if p["gold_date"]]
    undated = [p for p in pages if not p["gold_date"]]
    return {
        "pages": pages,
        "mean_f1": sum(p["f1"] for p in pages) / len(pages),
        "min_f1": min(p["f1"] for p in pages),
        "dated_pages": len(dated),
        "date_found": sum(p["date"] is not None for p in dated) / max(len(dated), 1),
        "date_right": sum(p["date"] == p["gold_date"] for p in dated) / max(len(dated), 1),
        "undated_pages": len(undated),
        "date_invented": sum(p["date"] is not None for p in undated),
        "title_right": sum(p["title_right"] for p in pages) / len(pages),
        "outlet_right": sum(p["outlet_right"] for p in pages) / len(pages),
        "ms_per_page": 1000 * seconds / len(pages),
    }


def table(figures: dict[str, object]) -> str:
    lines = ["| page | body F1 | date | stated date | title | outlet |", "|---" * 6 + "|"]
    for p in figures["pages"]:  # type: ignore[union-attr]
        title, outlet = ("ok" if p[k] else "WRONG" for k in ("title_right", "outlet_right"))
        lines.append(
            f"| {p['page']} | {p['f1']:.3f} | {p['date'] or '-'} | {p['gold_date'] or '-'} "
            f"| {title} | {outlet} |"
        )
    lines += [
        "",
        "| figure | value |",
        "|---|---|",
        f"| mean body F1 | {figures['mean_f1']:.3f} |",
        f"| lowest body F1 | {figures['min_f1']:.3f} |",
        f"| date found (of {figures['dated_pages']} dated pages) | {figures['date_found']:.3f} |",
        f"| date right (of {figures['dated_pages']} dated pages) | {figures['date_right']:.3f} |",
        f"| date invented (of {figures['undated_pages']} undated pages) | "
        f"{figures['date_invented']} |",
        f"| title right | {figures['title_right']:.3f} |",
        f"| outlet right | {figures['outlet_right']:.3f} |",
        f"| ms per page | {figures['ms_per_page']:.1f} |",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folder", type=Path, default=PAGES)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    print(machine.describe(), flush=True)
    figures = measure(args.folder)
    print(table(figures))
    if args.json:
        args.json.write_text(json.dumps({"machine": machine.describe(), **figures}, indent=1))


if __name__ == "__main__":
    main()
