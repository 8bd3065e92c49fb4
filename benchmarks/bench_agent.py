"""Agent benchmark: offline brain overhead over the bare extraction core, and LLM use on House PTRs.

    python -m benchmarks.bench_agent [--filings DIR] [--repeat N]

Both timings come from this one run, interleaved, so the ratio is fair on a noisy machine. The LLM brain then
runs over every electronic filing against the test suite's fake OpenAI-compatible server, which is given
exactly the replies the run should ask for: one plan, and one critic verdict per flagged row the critic
re-reads (at most MAX_CRITIC_ROWS per file, counted from the offline run). A call the script did not
queue, or a queued reply never asked for, fails the benchmark.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.models import FileOutcome, InputFile
from agent.run.critic import CRITIC_PROMPT, MAX_CRITIC_ROWS
from agent.run.extract import extract_bytes
from agent.run.llm import LLMConfig
from agent.run.loop import Agent, brain_for
from tests.fake_openai import FakeOpenAI, RecordedRequest, TextReply, json_content, text

ROOT = Path(__file__).resolve().parent.parent

CHARS_PER_TOKEN = 4  # a rough rule for English text and JSON
PLAN_REPLY = text("Inspect each filing, parse known layouts with the deterministic parser, validate, review flags, "
                  "summarise.", prompt_tokens=180, completion_tokens=25)
CRITIC_REPLY = json_content({"verdict": "left_flagged", "corrections": {},
                             "reason": "The source lines alone cannot settle the flag; it stays for a human."},
                            prompt_tokens=400, completion_tokens=30)


def electronic_filings(filings: Path) -> list[InputFile]:
    with open(filings / "MANIFEST.tsv", newline="") as handle:
        rows = [row for row in csv.DictReader(handle, delimiter="\t") if row["kind"] == "electronic"]
    return [InputFile(Path(row["file"]).name, (filings / row["file"]).read_bytes()) for row in rows]


def critic_calls(outcome: FileOutcome) -> int:
    """How many rows of this file the LLM critic re-reads, one call each."""
    rows = outcome.filing.transactions if outcome.filing else []
    return min(MAX_CRITIC_ROWS, sum(1 for row in rows if row.flags))


def is_critic(request: RecordedRequest) -> bool:
    messages = (request.body or {}).get("messages") or [{}]
    return messages[0].get("content") == CRITIC_PROMPT


def request_chars(request: RecordedRequest) -> int:
    messages: list[dict[str, Any]] = (request.body or {}).get("messages") or []
    return sum(len(json.dumps(message.get("content"), ensure_ascii=False)) for message in messages)


@dataclass(frozen=True)
class LLMUse:
    files: int
    flagged_files: int
    calls: int
    critic_calls: int
    counted_tokens: int  # as the run counted them, from the fake server's scripted usage
    estimated_tokens: int  # from the text actually sent and the replies, at CHARS_PER_TOKEN


def llm_use(files: list[InputFile], offline: list[FileOutcome]) -> LLMUse:
    unknown = [outcome.source_file for outcome in offline if outcome.filing and outcome.filing.layout == "unknown"]
    if unknown:  # the LLM would take these over in a ReAct loop, which this script does not script
        raise SystemExit(f"{len(unknown)} electronic filing(s) have no known layout, so the LLM brain would read "
                         f"them with tools: {', '.join(unknown[:5])}; this benchmark scripts no replies for that")
    expected_critic = sum(critic_calls(outcome) for outcome in offline)
    replies: list[TextReply] = [PLAN_REPLY] + [CRITIC_REPLY] * expected_critic
    with FakeOpenAI() as server:
        server.queue(*replies)
        config = LLMConfig(base_url=server.base_url, api_key="benchmark", model="fake-model")
        finished = Agent(brain_for(config)).run(files).finished
        server.assert_all_consumed()
        requests = list(server.requests)
    assert finished is not None, "the LLM run did not finish"
    critic = sum(1 for request in requests if is_critic(request))
    assert critic == expected_critic, f"the critic made {critic} call(s), {expected_critic} expected"
    assert finished.llm_calls == len(replies), f"the run counted {finished.llm_calls} call(s), {len(replies)} made"
    reply_chars = sum(len(reply.content) for reply in replies)
    return LLMUse(len(files), sum(1 for outcome in offline if critic_calls(outcome)), finished.llm_calls, critic,
                  finished.total_tokens, (sum(map(request_chars, requests)) + reply_chars) // CHARS_PER_TOKEN)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--filings", type=Path, default=ROOT.parent / "shared" / "filings")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    files = electronic_filings(args.filings)

    core_times, agent_times = [], []
    for _ in range(args.repeat):
        started = time.perf_counter()
        for item in files:
            extract_bytes(item.data, item.name)
        core_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        result = Agent().run(files)
        agent_times.append(time.perf_counter() - started)
    core, agent = statistics.median(core_times), statistics.median(agent_times)
    steps = sum(1 for event in result.events if event.type == "tool_call")
    print(f"{len(files)} electronic filings, median of {args.repeat} interleaved runs")
    print(f"extraction core: {core:.2f} s; offline agent: {agent:.2f} s ({len(result.events)} events, "
          f"{steps} tool calls); overhead {100 * (agent / core - 1):+.1f}%")

    use = llm_use(files, result.outcomes)
    print(f"LLM brain on all {use.files} electronic House PTRs ({use.flagged_files} with flagged rows): "
          f"{use.calls} LLM call(s) in all = 1 plan + {use.critic_calls} critic (one per flagged row, at most "
          f"{MAX_CRITIC_ROWS} per file); rows needed 0 calls; {use.calls / use.files:.4f} calls per filing")
    print(f"tokens: {use.estimated_tokens} estimated from the text sent and received ({CHARS_PER_TOKEN} characters "
          f"per token), {use.estimated_tokens / use.files:.1f} per filing; the run counted {use.counted_tokens} "
          "from the fake server's scripted usage (every queued reply was consumed, no call was unscripted)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
