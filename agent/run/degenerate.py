"""Degenerate replies, caught while they stream: a phrase repeated over and over, or the prompt echoed back.

Small local models loop ("The table is missing, and the table header is missing." for 36,000 characters) or
answer with the prompt itself. Either is stopped early, with a message that says what the model did.
"""

from __future__ import annotations

from agent.errors import LLMError


class DegenerateReply(LLMError):
    """The model's reply degenerated and the call was stopped early; the message says how."""


class RepeatedPhrase(DegenerateReply):
    """The reply repeats one phrase many times."""


class EchoedPrompt(DegenerateReply):
    """The reply copies the prompt back instead of answering it."""
