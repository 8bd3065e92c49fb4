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


class StreamEndedEarly(LLMError):
    """The server closed a streamed response without a finish reason (a truncated answer)."""


class ReaderError(TradeTraceError):
    """Our own reader failed on a file (a bug, not the file's fault); it is reported as an internal error."""


class OcrUnavailable(TradeTraceError):
    """The OCR engine is not installed (or cannot run)."""


class ToolError(TradeTraceError):
    """A tool was called wrongly or could not do its work; the message goes back to the model."""


class StoreError(TradeTraceError):
    """History could not be read or written (disk full, read-only folder, damaged database)."""
