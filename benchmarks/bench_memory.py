"""Memory over many successive extractions in one process: the app's process and its PDF workers.

    python benchmarks/bench_memory.py [--files N] [--filings DIR] [--limit-mb MB]

Runs the agent (offline brain) on N files one after another, as N uploads in one session would, and
prints the resident memory (RSS) of this process and of the sandbox's worker processes after a warm-up,
every 25 files, and at the end. Exits 1 if the app process grew by more than --limit-mb after the warm-up
or a worker is larger than the sandbox's recycle threshold plus one file.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent.documents.sandbox import default_sandbox
from agent.run.loop import Agent
from agent.models import InputFile

WARM_UP = 10


def rss_mb(pid: str | int = "self") -> float:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def workers_mb() -> list[float]:
    sandbox = default_sandbox()
    return [rss_mb(worker.process.pid) for worker in list(sandbox._idle)]


def electronic_files(filings: Path, count: int) -> list[Path]:
    manifest = filings / "MANIFEST.tsv"
    if manifest.exists():
        rows = [line.split("\t") for line in manifest.read_text().splitlines()[1:]]
        paths = [filings / row[0] for row in rows if row[4] == "electronic"]
    else:
        paths = sorted((ROOT / "samples").glob("*.pdf"))
    return [paths[index % len(paths)] for index in range(count)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--filings", type=Path, default=ROOT.parent / "shared" / "filings")
    parser.add_argument("--limit-mb", type=float, default=40.0, help="allowed growth of this process after warm-up")
    args = parser.parse_args()
    paths = electronic_files(args.filings, args.files)
    start_rss = rss_mb()
    started = time.perf_counter()
    baseline = None
    rows = 0
    for index, path in enumerate(paths, start=1):
        result = Agent().run([InputFile(path.name, path.read_bytes())])
        rows += sum(outcome.rows for outcome in result.outcomes)
        del result
        if index == WARM_UP:
            gc.collect()
            baseline = rss_mb()
            print(f"after {index:3d} files: app {baseline:6.1f} MB (warm-up; {start_rss:.1f} MB before the first), "
                  f"workers {', '.join(f'{mb:.1f}' for mb in workers_mb())} MB")
        elif index % 25 == 0 or index == len(paths):
            gc.collect()
            print(f"after {index:3d} files: app {rss_mb():6.1f} MB, workers "
                  f"{', '.join(f'{mb:.1f}' for mb in workers_mb())} MB")
    seconds = time.perf_counter() - started
    gc.collect()
    end = rss_mb()
    growth = end - (baseline or start_rss)
    recycle_mb = default_sandbox().recycle_rss / (1 << 20)
    biggest_worker = max(workers_mb(), default=0.0)
    print(f"{len(paths)} extractions, {rows} rows, {seconds:.1f} s ({len(paths) / seconds:.1f} files/s)")
    print(f"app RSS {start_rss:.1f} MB before, {baseline or start_rss:.1f} MB after warm-up, {end:.1f} MB at the end: "
          f"growth {growth:+.1f} MB after warm-up (limit {args.limit_mb:.0f} MB)")
    print(f"largest idle worker {biggest_worker:.1f} MB (recycled above {recycle_mb:.0f} MB)")
    ok = growth <= args.limit_mb and biggest_worker <= recycle_mb + 100
    print("bounded: yes" if ok else "bounded: NO")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
