"""Documents: an upload's bytes in, what it is and what is on its pages out.

Owns: telling a PDF, an HTML page and an image apart by their bytes (kinds.py); opening PDFs safely and
reading their words with boxes, tick boxes and hidden text (pdf.py); doing all of that, and rendering
pages, only inside worker processes with a time limit and a memory cap (sandbox.py); page images for
the source view (render.py); and the OCR engine (ocr.py). Nothing here knows what a filing is.
"""
