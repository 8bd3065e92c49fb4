"""How agent.pdf reads what a page shows: capitals that old filings' text layer gives as lower case, put back
from glyph geometry (pdf.restore_capitals), and text a reader cannot see, set apart (pdf._drawn_invisibly).

Each expected value below is what the page prints, read on the rendered page.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from agent.documents.pdf import FORM_GLYPHS, restore_capitals
from agent.documents.sandbox import read_document
from agent.models import Transaction
from agent.run.extract import extract_path
from tests.conftest import SAMPLES, filing_path
from tests.pdf_builders import Ink, inked_text_pdf


@cache
def _rows(docid: str) -> tuple[Transaction, ...]:
    return tuple(extract_path(filing_path(docid)).filing.transactions)


def _page_texts(docid_or_path: str | Path) -> list[tuple[str, str]]:
    """(text layer, corrected text) for every page of a filing (a real one's docid, or a path)."""
    path = filing_path(docid_or_path) if isinstance(docid_or_path, str) else docid_or_path
    document = pdfium.PdfDocument(path)
    try:
        pairs = []
        for page in document:
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            pairs.append((text, restore_capitals(textpage, text)))
            textpage.close()
            page.close()
        return pairs
    finally:
        document.close()


@pytest.mark.shared
@pytest.mark.parametrize(
    ("docid", "row", "field", "printed"),
    [
        ("20011886", 2, "asset_name", "AIA Group, Ltd. Sponsored American Depository Receipt"),
        ("20011886", 19, "asset_name", "BeiGene, Ltd. - American Depositary Shares"),
        ("20011886", 26, "asset_name", "Deutsche Boerse Ag Unsponsored ADR"),
        ("20011886", 43, "asset_name", "Iberdrola Sa Sponsored ADR"),
        ("20011886", 73, "description", "Abnamro Group NV UNSP ADR (ABNRY)"),
        ("20016726", 1, "asset_name", "Apple Inc."),
        ("20016726", 4, "asset_name", "Facebook, Inc. - Class A"),
        ("20016726", 7, "asset_name", "REOF XX, LLC"),
        ("20016726", 7, "description",
         "Additional investment in LLC which acquired five Courtyard by Marriott hotels located in Fairfax, "
         "VA (one), suburban Baltimore, MD (two) and San Antonio, TX (two)."),
        ("20005757", 1, "asset_name", "CAPE FEAR PUB UTIL AUTH N C WTR & SWR SYS REV RF JUN16 5.00% AUG01 2023"),
        ("20005757", 1, "subholding_of", "Spouse Muni Account 176"),
        ("20005757", 8, "asset_name", "Ohio St Cap FACS Lease Appropriations PKS MAR16 5% Feb 012022"),
        ("20005757", 11, "asset_name", "Ohio St Univ. Ger RCPTS SPL Prup SerA Jan13 5.00% June 1 2024"),
        ("20005757", 13, "asset_name",
         "OHIO ST WTR DEV AUTH WTR POLLUTN CTL REV LN FD A JAN16 5.00% DEC01 2025"),
        ("20012366", 2, "asset_name", "CME Group Inc. - Class A"),
        ("20012366", 9, "asset_name", "Roche Holdings AG Basel American Depositary Shares"),
        ("20012366", 13, "asset_name", "United Technologies Corporation"),
        ("20020515", 1, "asset_name", "AllianceBernstein Holding L.P. Units"),
        ("20020515", 1, "location", "New York, NY, US"),
    ],
    ids=[
        "aia-group-ltd", "beigene-inner-capital", "boerse-ag-lower-g-kept", "iberdrola-sa-lower-a-kept",
        "abnamro-description", "apple", "class-a", "reof-llc", "llc-description",
        "all-caps-muni-bond", "muni-account-subholding", "ohio-mixed-case", "ger-sera",
        "capital-d-alone-on-page", "cme-group", "roche-ag", "united", "alliancebernstein-lp", "location-us",
    ],
)
def test_printed_capitals(docid, row, field, printed):
    assert getattr(_rows(docid)[row - 1], field) == printed


@pytest.mark.shared
@pytest.mark.parametrize("docid", ["20016726", "20005757", "20011886"], ids=["2020", "2016", "2019-eleven-pages"])
def test_only_raises_case(docid):
    """Same length and letters: char indices, and so word boxes, stay aligned."""
    for text, corrected in _page_texts(docid):
        assert len(corrected) == len(text)
        assert all(new == old or new == old.upper() for old, new in zip(text, corrected))


@pytest.mark.shared
@pytest.mark.parametrize("docid", ["20029092", "20024346"], ids=["modern", "modern-sixteen-pages"])
def test_modern_text_unchanged(docid):
    for text, corrected in _page_texts(docid):
        assert corrected == text


@pytest.mark.shared
def test_modern_page_with_symptom_word_unchanged():
    """The printed name `APi Group` looks like the symptom: the geometry check runs and changes nothing."""
    text, corrected = _page_texts("20026726")[0]
    assert "APi Group" in text
    assert corrected == text


# --- text a reader cannot see ------------------------------------------------------------------------------

WHITE, NEAR_WHITE, LIGHT_GREY = (1, 1, 1), (252 / 255,) * 3, (240 / 255,) * 3
LINE = ["Buy", "100", "XYZ", "03/12/2024"]


@pytest.mark.parametrize(
    ("ink", "seen"),
    [
        (Ink(), True),
        (Ink(fill=(0.8, 0.1, 0.1)), True),
        (Ink(fill=LIGHT_GREY), True),
        (Ink(render_mode=1, fill=WHITE), True),
        (Ink(render_mode=2, fill=WHITE), True),
        (Ink(fill=WHITE), False),
        (Ink(fill=NEAR_WHITE), False),
        (Ink(render_mode=3), False),
        (Ink(render_mode=7), False),
        (Ink(render_mode=1, stroke=WHITE), False),
        (Ink(render_mode=2, fill=WHITE, stroke=WHITE), False),
        (Ink(fill_alpha=0), False),
    ],
    ids=["black", "red", "light-grey-like-real-tick-boxes", "outlined-black-white-fill-unpainted",
         "white-with-black-outline", "white", "near-white", "render-mode-3", "render-mode-7-clip-only",
         "outlined-white", "white-with-white-outline", "transparent"],
)
def test_text_a_reader_cannot_see_is_set_apart(ink, seen):
    """Hidden words are in neither the words nor the text (through the sandbox's packing, as the app reads)."""
    page = read_document(inked_text_pdf([("Visible heading", Ink()), (" ".join(LINE), ink)]), "ink.pdf").pages[0]
    assert [word.text for word in page.words] == ["Visible", "heading", *(LINE if seen else [])]
    assert [word.text for word in page.hidden_words] == ([] if seen else LINE)
    assert ("XYZ 03/12/2024" in page.text) == seen
    assert "Visible heading" in page.text


def test_form_glyphs_are_read_however_they_are_drawn():
    """The samples draw their tick-box glyphs invisibly; the parser needs them, so they are kept."""
    glyphs = sorted(FORM_GLYPHS)
    lines = [(glyph, ink) for glyph, ink in zip(glyphs, [Ink(render_mode=3), Ink(fill=WHITE), Ink(render_mode=7),
                                                          Ink(fill_alpha=0)])]
    page = read_document(inked_text_pdf(lines), "glyphs.pdf").pages[0]
    assert [word.text for word in page.words] == glyphs and not page.hidden_words
    assert all(glyph in page.text for glyph in glyphs)


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("sample_ptr_*.pdf")), ids=lambda path: path.stem)
def test_the_samples_invisible_cap_gains_glyphs_are_still_read(path):
    """Every tick-box glyph of the text layer is a word, and each row's Cap. Gains value is the printed one."""
    expected = json.loads((SAMPLES / "expected.json").read_text())[path.name]["rows"]
    document = read_document(path.read_bytes(), path.name)
    in_text_layer = sum(text.count("gfedc") for text, _ in _page_texts(path))
    assert not any(page.hidden_words for page in document.pages)
    assert sum(word.text.startswith("gfedc") for page in document.pages for word in page.words) == in_text_layer
    assert in_text_layer >= len(expected)
    filing = extract_path(path).filing
    assert [row.cap_gains_over_200 for row in filing.transactions] == [row["cap_gains_over_200"] for row in expected]
    assert "hidden_text" not in [flag.code for flag in filing.flags]
