"""PDF articles, written in the test with fpdf2 and read back through the converter: one and
two columns, running headers and footers, a word hyphenated across lines, the metadata's title
and date, the page of each passage; and the hostile ones (a scan, a password, a compression
bomb, one too large), each refused with a message naming it while the rest are indexed."""

from __future__ import annotations

import datetime as dt
import io
import random
import zlib
from pathlib import Path

import pytest
from fpdf import FPDF

from qa.converters import ArticleError, Limits, convert
from qa.converters.pdf import convert_pdf
from qa.documents import load_articles

REPORT = [
    "The Harbour Authority of Lenmouth published its annual safety report on Monday. It "
    "counted 214 incidents in the port during the year, down from 260 the year before.",
    "Most incidents involved small craft. The authority said collisions between pleasure boats "
    "and ferries fell by a third after speed limits were introduced in the inner harbour.",
    "Harbour master Ines Calloway said the authority would install four new radar stations "
    "along the eastern breakwater by next spring, at a cost of 3.2 million euros.",
]


class _Paper(FPDF):
    """A report with a running header and a page-numbered footer on every page."""

    def header(self) -> None:
        self.set_font("Helvetica", size=8)
        self.cell(0, 6, "Lenmouth Harbour Authority - Annual Safety Report 2026", align="C")
        self.ln(10)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.cell(0, 6, f"Page {self.page_no()} of {{nb}}", align="C")


def _pdf(
    paragraphs: list[str],
    *,
    paper: type[FPDF] = FPDF,
    title: str = "",
    columns: int = 1,
    pages: int = 1,
    password: tuple[str, str] | None = None,
) -> bytes:
    pdf = paper()
    pdf.set_font("Helvetica", size=11)
    if title:
        pdf.set_title(title)
    pdf.set_creation_date(dt.datetime(2026, 3, 9, 10, 0, tzinfo=dt.UTC))
    if password:
        pdf.set_encryption(owner_password=password[0], user_password=password[1])
    per_page = -(-len(paragraphs) // pages)
    for p in range(pages):
        pdf.add_page()
        chunk = paragraphs[p * per_page : (p + 1) * per_page]
        if columns > 1:
            with pdf.text_columns(ncols=columns, text_align="LEFT") as cols:
                for paragraph in chunk:
                    cols.write(paragraph + "\n\n")
        else:
            for paragraph in chunk:
                pdf.multi_cell(0, 6, paragraph)
                pdf.ln(4)
    return bytes(pdf.output())


def test_a_one_column_report_reads_as_its_paragraphs_with_metadata():
    converted = convert(_pdf(REPORT, title="Annual safety report"), "report.pdf")
    text = converted.text
    assert text.startswith("Annual safety report\n\n")
    for paragraph in REPORT:  # lines joined back: each paragraph whole, on its own line
        assert f"\n{paragraph}\n" in text
    assert converted.meta.title == "Annual safety report"
    assert converted.meta.date == "2026-03-09"
    assert converted.meta.pages == (len("Annual safety report") + 2,)
    assert converted.meta.page_at(text.index("Ines Calloway")) == 1


def test_two_columns_read_down_each_column_in_turn():
    text = convert_pdf(_pdf(REPORT * 2, columns=2), "columns.pdf").text
    starts = [text.find(p[:40]) for p in REPORT]
    assert all(s >= 0 for s in starts) and starts == sorted(starts)
    assert "radar stations along the eastern breakwater" in text  # no words across columns


def test_running_headers_footers_and_page_numbers_are_left_out_and_pages_kept():
    long = [p + " " + p for p in REPORT] * 2
    converted = convert_pdf(_pdf(long, paper=_Paper, pages=3), "paper.pdf")
    text = converted.text
    assert "Annual Safety Report 2026" not in text and "Page 2 of" not in text
    assert len(converted.meta.pages) == 3
    third = converted.meta.pages[2]
    assert converted.meta.page_at(third) == 3 and converted.meta.page_at(third - 1) == 2
    assert converted.meta.page_at(0) == 1


def test_a_word_hyphenated_across_lines_is_joined():
    hyphenated = (
        "The authority said the new radar network would give the harbour's traffic "
        "controllers a far more compre-\nhensive picture of the approaches than before."
    )
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for line in hyphenated.split("\n"):
        pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    text = convert_pdf(bytes(pdf.output()), "hyphen.pdf").text
    assert "comprehensive picture" in text and "compre-" not in text


def test_a_pdf_encrypted_with_an_empty_password_is_read():
    data = _pdf(REPORT, password=("owner-secret", ""))
    assert "214 incidents" in convert_pdf(data, "open.pdf").text


def test_a_pdf_that_needs_a_password_is_refused():
    data = _pdf(REPORT, password=("owner-secret", "reader-secret"))
    with pytest.raises(ArticleError, match="locked.pdf: the PDF needs a password"):
        convert_pdf(data, "locked.pdf")


def _photographed(tmp_path: Path) -> bytes:
    """The report with a photograph of noise: a megabyte that does not compress."""
    from PIL import Image

    path = tmp_path / "noise.png"
    Image.frombytes("RGB", (600, 600), bytes(random.Random(0).randbytes(600 * 600 * 3))).save(path)
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, REPORT[0])
    pdf.image(str(path), w=100)
    return bytes(pdf.output())


def test_a_scan_without_a_text_layer_is_refused(tmp_path: Path):
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (800, 300), "white")
    ImageDraw.Draw(image).text((20, 20), "214 incidents in the port", fill="black")
    path = tmp_path / "scan.png"
    image.save(path)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(str(path), x=10, y=10, w=180)
    with pytest.raises(ArticleError, match="scan.pdf: the PDF has no text layer"):
        convert_pdf(bytes(pdf.output()), "scan.pdf")


def _bomb() -> bytes:
    """A one-page PDF whose content stream inflates to 100 MB of spaces (it compresses to
    about 100 KB)."""
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, StreamObject

    writer = PdfWriter()
    page = writer.add_blank_page(200, 200)
    stream = StreamObject()
    stream._data = zlib.compress(b" " * 100_000_000, 9)
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    page[NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_compression_bomb_is_refused():
    data = _bomb()
    assert len(data) < 1_000_000
    with pytest.raises(ArticleError, match="bomb.pdf: holds more compressed data than is safe"):
        convert_pdf(data, "bomb.pdf")


def test_hostile_pdfs_are_skipped_with_a_message_and_the_rest_are_indexed(tmp_path: Path):
    (tmp_path / "report.pdf").write_bytes(_pdf(REPORT, title="Annual safety report"))
    (tmp_path / "locked.pdf").write_bytes(_pdf(REPORT, password=("o", "secret")))
    (tmp_path / "bomb.pdf").write_bytes(_bomb())
    (tmp_path / "huge.pdf").write_bytes(_photographed(tmp_path))
    (tmp_path / "story.txt").write_text("A title\n\nSomething happened in Lenmouth.\n")
    limits = Limits(pdf=600_000)  # the bomb is smaller; the photographs are larger
    articles, warnings = load_articles(tmp_path, limits=limits)
    assert sorted(a.source for a in articles) == ["report.pdf", "story.txt"]
    joined = "\n".join(warnings)
    assert "locked.pdf: the PDF needs a password" in joined
    assert "bomb.pdf: holds more compressed data" in joined
    assert "huge.pdf: the PDF is" in joined and "limit for PDFs" in joined


@pytest.mark.slow
def test_a_pdf_report_is_answered_with_a_verbatim_quote_and_its_page(tmp_path: Path, settings):
    from qa import QA

    folder = tmp_path / "articles"
    folder.mkdir()
    filler = [
        f"The {place} route carried more passengers than ever, the report says, and its "
        f"{boat} ran on time on most days of the year despite the winter storms."
        for place, boat in zip(
            ("Ardle", "Bressay", "Colm", "Dunmore", "Eilean", "Fiska"),
            ("night ferry", "old launch", "fast boat", "car ferry", "mail boat", "water taxi"),
            strict=True,
        )
    ]
    paragraphs = [REPORT[0], *filler, REPORT[1], *filler, REPORT[2]]
    data = _pdf(paragraphs, paper=_Paper, pages=3, title="Annual safety report")
    (folder / "safety-report.pdf").write_bytes(data)
    qa = QA(folder, tmp_path / "index", settings)
    answer = qa.answer("How much will the new radar stations cost?")
    assert "3.2 million" in (answer.text + answer.draft)
    (citation,) = answer.citations
    text = next(a for a in load_articles(folder)[0]).text
    assert citation.source == "safety-report.pdf" and citation.page == 3
    assert text[citation.start : citation.end] == citation.quote and "3.2 million" in citation.quote


def test_hostile_pdfs_uploaded_or_fetched_are_refused_and_nothing_else_is_lost(
    tmp_path: Path, settings
):
    import dataclasses

    from qa import QA
    from qa.library import ArticleRejected

    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "story.txt").write_text("A title\n\nSomething happened in Lenmouth on Monday.\n")
    small = dataclasses.replace(settings, max_pdf_bytes=600_000)
    qa = QA(folder, tmp_path / "index", small)
    hostile = {
        "locked.pdf": (_pdf(REPORT, password=("o", "secret")), "needs a password"),
        "bomb.pdf": (_bomb(), "holds more compressed data"),
        "huge.pdf": (_photographed(tmp_path), "over the 0.572205 MB limit"),
        "notes.pdf": (b"%PDF-1.7 broken", "not a readable PDF"),
    }
    for name, (data, why) in hostile.items():
        with pytest.raises(ArticleRejected, match=why):
            qa.add_article(name, data)
    assert [a.source for a in qa.articles()] == ["story.txt"]
    assert sorted(p.name for p in folder.iterdir()) == ["story.txt"]
    added = qa.add_article("report.pdf", _pdf(REPORT, title="Annual safety report"))
    assert added.title == "Annual safety report" and added.date == "2026-03-09"


def test_a_sentence_running_on_to_the_next_page_reads_whole():
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    pdf.cell(0, 6, "Harbour works to begin in May", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, "The authority said the new breakwater would be built with its inter-")
    pdf.add_page()
    pdf.cell(0, 6, "national partners and finished by the end of the following year.")
    converted = convert_pdf(bytes(pdf.output()), "works.pdf")
    assert "with its international partners and finished" in converted.text
    second = converted.meta.pages[1]
    assert converted.text[second:].startswith("national partners")
