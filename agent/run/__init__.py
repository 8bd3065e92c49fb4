"""The run: the agent that reads a batch of files and says, step by step, what it did.

Owns: the typed events (events.py) every view is built from; the tool registry (tools.py); the loop
(loop.py, a generator of events) and its result (result.py); the brains that decide each step
(brain.py; offline_brain.py, deterministic; llm_brain.py, an OpenAI-compatible model through llm.py)
and the critic of flagged rows (critic.py); LLM extraction of layouts no format reads (llm_extract.py);
the shapes LLM replies must take (replies.py); the outcome cache's key (cache.py); the extraction core
without the loop, for the CLI and benchmarks (extract.py); and the closing summary (summary.py).
"""
