"""Checks: every value a reader or an LLM gives is checked against the document, and what fails is flagged, never
dropped. grounding.py (each value printed in its row's own region, as the row's format prints it), cross.py (a
row's values against each other and the forms' rules), senate.py (a Senate report against its own summary and
numbering), validate.py (all of them on a filing, with the filing-level findings)."""
