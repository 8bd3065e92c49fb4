"""Capitals that old filings' text layer gives as lower case, put back from glyph geometry (pdf.restore_capitals).

Each expected value below is what the page prints, read on the rendered page.
"""

from __future__ import annotations

from functools import lru_cache

import pypdfium2 as pdfium
import pytest

from agent.extract import extract_path
from agent.models import Transaction
from agent.pdf import restore_capitals
from tests.conftest import filing_path


@lru_cache(maxsize=None)
def _rows(docid: str) -> tuple[Transaction, ...]:
    return tuple(extract_path(filing_path(docid)).filing.transactions)


def _page_texts(docid: str) -> list[tuple[str, str]]:
    """(text layer, corrected text) for every page of a filing."""
    document = pdfium.PdfDocument(filing_path(docid))
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
