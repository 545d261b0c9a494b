"""Run the benchmarks (``make bench``): NLU first (bench.nlu), then full turns (bench.turns).

``python -m bench.run --only nlu`` (or ``--only turns``) runs one of them; ``--nlu-model PATH``
measures an existing model instead of training one for the NLU benchmark; ``--levels 1 8``
measures fewer loads; ``--no-busy`` skips the run with the other cores kept busy. A failing
benchmark does not stop the next one; the exit code is non-zero if any failed.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path
from typing import List, Optional

BENCHMARKS = ("nlu", "turns")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--only", choices=BENCHMARKS, action="append", help="run only this benchmark (repeatable)"
    )
    parser.add_argument("--nlu-model", type=Path, help="bench.nlu: measure this model, no training")
    parser.add_argument("--requests", type=int, default=300, help="bench.nlu: /model/parse calls")
    parser.add_argument(
        "--levels",
        type=int,
        nargs="+",
        default=[1, 8, 32],
        help="bench.turns: numbers of concurrent conversations",
    )
    parser.add_argument(
        "--no-busy", action="store_true", help="bench.turns: skip the run with the other cores busy"
    )
    args = parser.parse_args(argv)
    selected = [name for name in BENCHMARKS if not args.only or name in args.only]

    failed = []
    nlu_results: dict = {}
    for name in selected:
        print(f"\n=== bench.{name} ===", flush=True)
        try:
            if name == "nlu":
                from bench import nlu

                nlu_results = nlu.run(args.nlu_model, args.requests) or {}
            else:
                from bench import turns

                # serve the model `make bench` built; training time comes from bench.nlu
                turns.main(
                    args.nlu_model or turns.MODEL,
                    nlu_results.get("train_full_model_s"),
                    tuple(args.levels),
                    busy=not args.no_busy,
                )
        except Exception:  # noqa: BLE001 - report and go on with the next benchmark
            traceback.print_exc()
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
