"""Reading paper forms from OCR: what every scanned-form format shares.

Owns: the words and cells of an OCR page (cells.py), dates read from scans and completed or repaired
from other readings (dates.py), X marks and owner codes (marks.py), the form's grid geometry (grid.py),
and the two readers of the House form (grid_reader.py for pages with the ruled grid, line_reader.py
for pages without it).
"""
