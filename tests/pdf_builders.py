"""Small PDFs made on the fly for tests (reportlab): text pages in layouts the parser does not know, text
painted in the ways a PDF can hide it, and scans of typed pages."""

from __future__ import annotations

import io
from dataclasses import dataclass

from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas


def scanned_pdf(lines: list[str], dpi: int = 200) -> bytes:
    """A scan of one typed page: `lines` set as text_pdf sets them, rendered to a grey image, and that image
    alone on a page (no text layer, no ruled grid)."""
    import pypdfium2
    from reportlab.lib.utils import ImageReader

    picture = pypdfium2.PdfDocument(text_pdf([lines]))[0].render(scale=dpi / 72, grayscale=True).to_pil()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=letter, invariant=1)
    pdf.drawImage(ImageReader(picture), 0, 0, *letter)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


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


@dataclass(frozen=True)
class Ink:
    """How a line of text is painted: its text render mode (0 fill, 1 stroke, 2 both, 3 invisible,
    7 clip only), its colours (RGB, 0-1) and the fill's opacity."""

    render_mode: int = 0
    fill: tuple[float, float, float] = (0, 0, 0)
    stroke: tuple[float, float, float] = (0, 0, 0)
    fill_alpha: float = 1.0


def inked_text_pdf(lines: list[tuple[str, Ink]], image: bool = False) -> bytes:
    """One page, one line of text per entry, each painted with its own ink, on white paper; with `image`, a
    grey picture under the text (a scan with its own text layer)."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=letter, invariant=1)
    if image:
        from PIL import Image
        from reportlab.lib.utils import ImageReader

        pdf.drawImage(ImageReader(Image.new("L", (85, 110), 200)), 0, 0, *letter)
    y = 740
    for line, ink in lines:
        pdf.saveState()  # alpha lives in the graphics state, outside the text object
        pdf.setFillAlpha(ink.fill_alpha)
        text = pdf.beginText(50, y)
        text.setFont("Helvetica", 10)
        text.setTextRenderMode(ink.render_mode)
        text.setFillColorRGB(*ink.fill)
        text.setStrokeColorRGB(*ink.stroke)
        text.textOut(line)
        pdf.drawText(text)
        pdf.restoreState()
        y -= 16
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
