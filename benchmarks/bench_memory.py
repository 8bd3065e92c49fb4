"""Memory over many successive extractions in one process: the app's process and its PDF workers.

    python -m benchmarks.bench_memory [--files N] [--filings DIR] [--limit-mb MB] [--worker-limit-mb MB]

Runs the agent (offline brain) on N files one after another, as N uploads in one session would, and
prints the resident memory (RSS) of this process and of every live PDF worker process (its children
running the sandbox, whether the pool still knows them or not) after a warm-up, every 25 files, and at the
end, with the number of workers started so far. Exits 1 if, after the warm-up, the app process grew by more
than --limit-mb, the workers there after the warm-up grew by more than --worker-limit-mb together, more
workers are alive than the pool's size, or any worker was started: one file at a time, a new worker means
one crashed or was recycled for growing past the sandbox's recycle threshold, which is how a leaking
worker shows once it is replaced.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import sys
import time
from pathlib import Path

from agent.documents.sandbox import default_sandbox
from agent.models import InputFile
from agent.run.loop import Agent

ROOT = Path(__file__).resolve().parent.parent

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


def workers_mb() -> dict[int, float]:
    """RSS in MB, by pid, of every live child of this process that runs the PDF worker."""
    children: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            children.update(int(pid) for pid in (task / "children").read_text().split())
    workers = {}
    for pid in children:
        with contextlib.suppress(OSError):  # exited meanwhile
            if b"agent.documents.sandbox" in Path(f"/proc/{pid}/cmdline").read_bytes():
                workers[pid] = rss_mb(pid)
    return workers


def workers_text(workers: dict[int, float]) -> str:
    sizes = ", ".join(f"{mb:.1f}" for _, mb in sorted(workers.items())) or "none"
    return f"{len(workers)} worker(s) {sizes} MB, {default_sandbox().started} started so far"


def electronic_files(filings: Path, count: int) -> list[Path]:
    manifest = filings / "MANIFEST.tsv"
    if manifest.exists():
        rows = [line.split("\t") for line in manifest.read_text().splitlines()[1:]]
        paths = [filings / row[0] for row in rows if row[4] == "electronic"]
    else:
        paths = sorted((ROOT / "samples").glob("sample_ptr_*.pdf"))
    return [paths[index % len(paths)] for index in range(count)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--filings", type=Path, default=ROOT.parent / "shared" / "filings")
    parser.add_argument("--limit-mb", type=float, default=40.0, help="allowed growth of this process after warm-up")
    parser.add_argument("--worker-limit-mb", type=float, default=20.0,
                        help="allowed growth, after warm-up, of the workers alive then, together")
    args = parser.parse_args()
    paths = electronic_files(args.filings, args.files)
    start_rss = rss_mb()
    started = time.perf_counter()
    baseline = None
    warm_workers: dict[int, float] = {}
    warm_started = 0
    rows = 0
    for index, path in enumerate(paths, start=1):
        result = Agent().run([InputFile(path.name, path.read_bytes())])
        rows += sum(outcome.rows for outcome in result.outcomes)
        del result
        if index == WARM_UP:
            gc.collect()
            baseline, warm_workers, warm_started = rss_mb(), workers_mb(), default_sandbox().started
            print(f"after {index:3d} files: app {baseline:6.1f} MB (warm-up; {start_rss:.1f} MB before the first), "
                  f"{workers_text(warm_workers)}")
        elif index % 25 == 0 or index == len(paths):
            gc.collect()
            print(f"after {index:3d} files: app {rss_mb():6.1f} MB, {workers_text(workers_mb())}")
    seconds = time.perf_counter() - started
    gc.collect()
    end, end_workers = rss_mb(), workers_mb()
    growth = end - (baseline or start_rss)
    kept = [pid for pid in warm_workers if pid in end_workers]
    worker_growth = sum(end_workers[pid] - warm_workers[pid] for pid in kept)
    new_workers = default_sandbox().started - warm_started
    pool = default_sandbox().size
    recycle_mb = default_sandbox().recycle_rss / (1 << 20)
    print(f"{len(paths)} extractions, {rows} rows, {seconds:.1f} s ({len(paths) / seconds:.1f} files/s)")
    print(f"app RSS {start_rss:.1f} MB before, {baseline or start_rss:.1f} MB after warm-up, {end:.1f} MB at the end: "
          f"growth {growth:+.1f} MB after warm-up (limit {args.limit_mb:.0f} MB)")
    print(f"PDF workers after warm-up: {new_workers} started (a crash, or a recycle above {recycle_mb:.0f} MB; "
          f"limit 0), {len(end_workers)} alive at the end (pool of {pool}); the {len(kept)} alive since the warm-up "
          f"grew {worker_growth:+.1f} MB together (limit {args.worker_limit_mb:.0f} MB)")
    ok = (growth <= args.limit_mb and worker_growth <= args.worker_limit_mb and new_workers == 0
          and len(end_workers) <= pool)
    print("bounded: yes" if ok else "bounded: NO")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
