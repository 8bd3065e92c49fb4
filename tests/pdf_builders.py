"""Small PDFs made on the fly for tests (reportlab): text pages in layouts the parser does not know."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas


def text_pdf(pages: list[list[str]], hidden: list[str] = ()) -> bytes:
    """One line of text per entry, top to bottom; `hidden` lines are drawn white on white (invisible)."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=letter, invariant=1)
    for lines in pages:
        y = 740
        for line in lines:
            pdf.setFont("Helvetica", 10)
            pdf.drawString(50, y, line)
            y -= 16
        pdf.setFillColorRGB(1, 1, 1)
        for line in hidden:
            pdf.drawString(50, y, line)
            y -= 16
        pdf.setFillColorRGB(0, 0, 0)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


BROKER_STATEMENT = [
    "Quarterly trade confirmation - fictional brokerage",
    "Account holder: Jane Q. Public",
    "Trade  Symbol  Type  Trade date  Reported  Amount",
    "Apple Inc. (AAPL) [ST]  P  01/05/2024 01/20/2024  $1,001 - $15,000",
    "Microsoft Corporation (MSFT) [ST]  S  02/01/2024 02/10/2024  $15,001 - $50,000",
]
