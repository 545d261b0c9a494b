"""Where a policy turn spends its time: ``python -m bench.profile [--users 1 8] [--turns N]``.

Starts our Rasa and action servers as bench.turns does (SQLite registers in a temporary
directory, production settings, rate limits off), each under pyinstrument
(bench.profiled); sends warm-up turns, then for each number of concurrent users profiles
the policy turns of bench.turns while they run. Writes
``results/profile_<server>_<users>u.txt`` (call tree), ``.html`` and ``.pyisession``
(``pyinstrument --load FILE -r text --show-all`` shows every frame), and prints the latency
of the profiled turns (slower than without the profiler: read the shares, not the ms).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import tempfile
import time
from pathlib import Path
from typing import List, Optional

from bench.turns import MODEL, OUR_POLICY_TURNS, RESULTS, our_servers, run_level


def wait_for(paths: List[Path], timeout: float = 60) -> None:
    """The profiles are written by the servers after SIGUSR2 (a big one takes seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not all(p.exists() for p in paths):
        time.sleep(0.2)


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--users", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--rounds", type=int, default=5, help="conversations per user")
    parser.add_argument("--model", type=Path, default=MODEL)
    args = parser.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    with tempfile.TemporaryDirectory(prefix="klbot-profile-") as tmp:
        work = Path(tmp)
        outs = {}

        def wrap(name: str) -> List[str]:
            outs[name] = work / f"profile_{name}"
            return ["-m", "bench.profiled", str(outs[name])]

        with our_servers(work, env, args.model, wrap) as servers:
            url = servers["url"]
            procs = {"rasa": servers["rasa"], "actions": servers["actions"]}
            asyncio.run(run_level(url, 2, lambda i: OUR_POLICY_TURNS, conversations=4))  # warm up
            for users in args.users:
                for proc in procs.values():
                    proc.send_signal(signal.SIGUSR1)
                time.sleep(0.2)
                rows = [
                    asyncio.run(
                        run_level(url, users, lambda i: OUR_POLICY_TURNS, conversations=users)
                    )
                    for _ in range(args.rounds)
                ]
                for proc in procs.values():
                    proc.send_signal(signal.SIGUSR2)
                wait_for([Path(f"{out}.txt") for out in outs.values()])
                lat = sorted(r["median_ms"] for r in rows)
                p99 = max(r["p99_ms"] for r in rows)
                print(
                    f"{users} users: {sum(r['turns'] for r in rows)} turns, median of medians"
                    f" {lat[len(lat) // 2]:.1f} ms, worst p99 {p99:.1f} ms (under the profiler)"
                )
                for name, out in outs.items():
                    for ext in ("txt", "html", "pyisession"):
                        src = Path(f"{out}.{ext}")
                        if src.exists():
                            dest = RESULTS / f"profile_{name}_{users}u.{ext}"
                            dest.write_bytes(src.read_bytes())
                            src.unlink()
                            if ext == "txt":
                                print(f"written: {dest}")


if __name__ == "__main__":
    main()
