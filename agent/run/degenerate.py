"""Degenerate replies, caught while they stream: a phrase repeated over and over, or the prompt echoed back.

Small local models loop ("The table is missing, and the table header is missing." for 36,000 characters) or
answer with the prompt itself. `DegenerationWatch` sees the reply as it arrives and raises as soon as either
is certain, so the call stops early with a message that says what the model did.
"""

from __future__ import annotations

import re

from agent.errors import LLMError

# A reply whose tail is one unit of up to MAX_PERIOD characters repeated REPEATS times, over at least MIN_RUN
# characters, is a loop: a real answer (rows of JSON, a plan) does not repeat itself verbatim that often.
REPEATS = 20
MIN_RUN = 400
MAX_PERIOD = 500
# A reply whose first ECHO_CHARS characters (spaces collapsed) are copied from the prompt is an echo.
ECHO_CHARS = 160
CHECK_EVERY = 128  # characters of new reply between two repetition checks
_QUOTE_CHARS = 60
_SPACES = re.compile(r"\s+")


class DegenerateReply(LLMError):
    """The model's reply degenerated and the call was stopped early; the message says how."""


class RepeatedPhrase(DegenerateReply):
    """The reply repeats one phrase many times."""


class EchoedPrompt(DegenerateReply):
    """The reply copies the prompt back instead of answering it."""


class DegenerationWatch:
    """Fed the reply piece by piece; raises RepeatedPhrase or EchoedPrompt once the reply is clearly one."""

    def __init__(self, prompt: str) -> None:
        self._prompt = _collapse(prompt)
        self._reply: list[str] = []
        self._length = 0
        self._checked_at = 0
        self._echo_checked = False

    def feed(self, piece: str) -> None:
        self._reply.append(piece)
        self._length += len(piece)
        if not self._echo_checked:
            self._check_echo()
        if self._length - self._checked_at >= CHECK_EVERY:
            self._checked_at = self._length
            self._check_repetition()

    def finish(self) -> None:
        """The whole reply has arrived (or a non-streamed one at once): check what the pieces did not reach."""
        if not self._echo_checked:
            self._check_echo()
        self._check_repetition()

    def _text(self) -> str:
        if len(self._reply) > 1:
            self._reply = ["".join(self._reply)]
        return self._reply[0] if self._reply else ""

    def _check_echo(self) -> None:
        start = _collapse(self._text().lstrip())
        if len(start) < ECHO_CHARS:
            return
        self._echo_checked = True  # only the reply's start is compared: quoting the document later is fine
        if start[:ECHO_CHARS] in self._prompt:
            raise EchoedPrompt(f"the model echoed the prompt back instead of answering ({_quote(start)}): "
                               f"stopped after {self._length:,} characters")

    def _check_repetition(self) -> None:
        text = self._text()
        for period in range(1, min(MAX_PERIOD, len(text) // REPEATS) + 1):
            run = max(REPEATS * period, MIN_RUN)
            if run + period > len(text) or text[-1] != text[-1 - period]:
                continue
            if text[-run:] != text[-run - period:-period]:
                continue
            start = len(text) - run - period
            while start > 0 and text[start - 1] == text[start - 1 + period]:
                start -= 1
            times = (len(text) - start) // period
            raise RepeatedPhrase(f"the model repeated {_quote(text[start:start + period])} {times:,} times: "
                                 f"stopped after {self._length:,} characters")


def _collapse(text: str) -> str:
    return _SPACES.sub(" ", text)


def _quote(text: str) -> str:
    text = _collapse(text).strip() or text  # a run of spaces or newlines is shown as such
    return repr(text if len(text) <= _QUOTE_CHARS else text[:_QUOTE_CHARS - 3] + "...")
