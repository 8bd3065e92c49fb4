"""TradeTrace: read House Periodic Transaction Reports into validated, source-linked transactions.

Plain Python; nothing in this package imports Streamlit.
"""
