"""Agent benchmark: offline brain overhead over the bare extraction core, and LLM use on House PTRs.

    python benchmarks/bench_agent.py [--filings DIR] [--repeat N]

Both timings come from this one run, interleaved, so the ratio is fair on a noisy machine. The LLM
brain runs against the test suite's fake OpenAI-compatible server, which answers the run's plan; any
further call it received would show up as a call the script did not queue.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent.run.extract import extract_bytes
from agent.run.llm import LLMConfig
from agent.run.loop import Agent, brain_for
from agent.models import InputFile
from tests.fake_openai import FakeOpenAI, text  # noqa: E402


def electronic_filings(filings: Path) -> list[InputFile]:
    with open(filings / "MANIFEST.tsv", newline="") as handle:
        rows = [row for row in csv.DictReader(handle, delimiter="\t") if row["kind"] == "electronic"]
    return [InputFile(Path(row["file"]).name, (filings / row["file"]).read_bytes()) for row in rows]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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

    with FakeOpenAI() as server:
        server.queue(text("Inspect each filing, parse known layouts with the deterministic parser, validate, "
                          "review flags, summarise.", prompt_tokens=180, completion_tokens=25))
        config = LLMConfig(base_url=server.base_url, api_key="benchmark", model="fake-model")
        clean = {item.name for item, outcome in zip(files, result.outcomes) if not outcome.flagged_rows}
        sample = [item for item in files if item.name in clean]
        flagged = len(files) - len(sample)
        finished = Agent(brain_for(config)).run(sample).finished
        server.assert_all_consumed()
    print(f"LLM brain on {len(sample)} House PTRs without flagged rows ({flagged} filings with flags left out: "
          f"their flagged rows go to the critic, one call per row, at most 5 per file): "
          f"{finished.llm_calls} LLM call(s) in all, {finished.total_tokens} tokens "
          f"({finished.llm_calls / len(sample):.4f} calls and {finished.total_tokens / len(sample):.2f} tokens per "
          "filing); rows needed 0 calls")
    return 0


if __name__ == "__main__":
    sys.exit(main())
