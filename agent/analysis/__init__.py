"""Analysis: transactions in, what an investor reads out. Pure functions of a DataFrame, no I/O.

Owns: the trades frame (frame.py), the metrics with their formulas (metrics.py, printed by
formatting.py), the investor profile, fit verdicts and overall answer (fit.py), the fit per filer or all
combined with the subsets that would fit better (assessment.py), the risk page's key numbers and chart
(risk_view.py), the written summary (summary.py), the check that a narrative states only numbers the
metrics hold (number_check.py), the narrative itself (narrative.py), the charts (figures.py), the sector
table (sectors.py) and the Markdown report (report.py).
"""
