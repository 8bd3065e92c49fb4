"""Analysis: transactions in, what an investor reads out. Pure functions of a DataFrame, no I/O.

Owns: the trades frame (frame.py), the metrics with their formulas (metrics.py, printed by
formatting.py), the investor profile and fit verdicts (fit.py), the written summary (summary.py), the
check that a narrative states only numbers the metrics hold (number_check.py), the narrative itself
(narrative.py), the charts (figures.py), the sector table (sectors.py) and the Markdown report (report.py).
"""
