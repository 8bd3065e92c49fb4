"""The fetcher's one error: a problem with the Clerk's site or what it sent, said in one line."""

from __future__ import annotations

from typing import Literal

from agent.errors import TradeTraceError

FetchProblem = Literal["offline", "not_found", "server", "timeout", "bad_index", "too_big"]


class FetchError(TradeTraceError):
    """A download or an index that could not be had. `kind` tells a missing PDF (404) from the site being down."""

    def __init__(self, kind: FetchProblem, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message
