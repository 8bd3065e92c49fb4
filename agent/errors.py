"""One error hierarchy. Every message says what was wrong and where."""

from __future__ import annotations


class TradeTraceError(Exception):
    """Base of every error TradeTrace raises on purpose."""


class InputError(TradeTraceError):
    """The file itself cannot be read as a filing (not a PDF, encrypted, empty, too big...)."""

    def __init__(self, source: str, reason: str):
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class ParseError(TradeTraceError):
    """A value in a readable filing does not have the expected form."""

    def __init__(self, what: str, text: str, where: str = ""):
        location = f" ({where})" if where else ""
        super().__init__(f"cannot read {what} from {text!r}{location}")
        self.what = what
        self.text = text
        self.where = where


class LLMError(TradeTraceError):
    """The language-model endpoint failed or answered something unusable."""
