"""Filing formats: one module per format, each saying `detect` (whether, and why) and `read` (a Filing).

The registry (agent/formats/registry.py) is the one place that lists them, in the order they are asked: the first format
whose `detect` matches reads the document. A document no format claims is left to the LLM (or flagged
for a person when there is none).

Today: `house_ptr` (the House Clerk's electronic PTR) and `house_paper` (the House's scanned paper
form, read by OCR with the grid and line readers in agent/formats/paper/).
"""
