"""Compare NLU pipeline candidates: training time, held-out macro-F1 (every set), parse latency.

For each config (default: every ``bench/configs/*.yml``), trains an NLU-only model with
``rasa train nlu --config C`` in a temporary directory (timed, as a subprocess), loads it
in-process and parses every held-out set (``bot.nlp.heldout``), timing each parse. Prints a
table and writes ``results/nlu_candidates.json``. The machine is shared, so run the baseline
in the same session as the candidates and compare ratios, not absolute seconds.

Run: ``python -m bench.candidates [configs ...]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "results"
BIN = Path(sys.executable).parent
TIMEOUT_S = 3600


def train(config: Path, out: Path, env: Dict[str, str]) -> float:
    cmd = [
        str(BIN / "rasa"),
        "train",
        "nlu",
        "--config",
        str(config),
        "--nlu",
        "data/nlu",
        "--out",
        str(out),
        "--fixed-model-name",
        "candidate",
    ]
    started = time.perf_counter()
    result = subprocess.run(  # noqa: S603
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT_S
    )
    elapsed = time.perf_counter() - started
    log = RESULTS / "candidates" / f"{config.stem}.train.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        raise RuntimeError(f"training {config} failed:\n{(result.stdout + result.stderr)[-3000:]}")
    return elapsed


def quiet() -> None:
    """Rasa's structlog prints every parse at debug level; keep the output readable."""
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    logging.getLogger().setLevel(logging.WARNING)


def evaluate(model: Path) -> Dict[str, object]:
    from rasa.core.agent import Agent

    quiet()
    from bot.nlp import heldout

    agent = Agent.load(model_path=str(model))
    scores: Dict[str, object] = {}
    latencies: List[float] = []

    async def parse_all(texts: List[str]) -> List[dict]:
        parses = []
        for text in texts:
            t0 = time.perf_counter()
            parses.append(await agent.parse_message(text))
            latencies.append(time.perf_counter() - t0)
        return parses

    for name, path in heldout.HELDOUT_SETS.items():
        examples = heldout.load_examples(path)
        parses = asyncio.run(parse_all([text for text, _, _ in examples]))
        result = heldout.score(name, examples, parses)
        # the same messages scored without the FallbackClassifier: its threshold's cost
        unfallen = heldout.score(name, examples, [heldout.without_fallback(p) for p in parses])
        scores[name] = {
            "fallbacks": sum(1 for p in parses if heldout.predicted_intent(p)[0] == "nlu_fallback"),
            "macro_f1_without_fallback": round(unfallen.macro_f1, 4),
            "macro_f1": round(result.macro_f1, 4),
            "accuracy": round(result.accuracy, 4),
            "min_intent_f1": round(min(result.per_intent.values()), 4),
            "weakest": result.weakest,
        }
        print("   ", result.summary(), flush=True)
    scores["parse_median_ms"] = round(statistics.median(latencies) * 1000, 1)
    return scores


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.candidates")
    parser.add_argument("configs", nargs="*", type=Path)
    args = parser.parse_args(argv)
    configs = args.configs or sorted((ROOT / "bench" / "configs").glob("*.yml"))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1")
    os.chdir(ROOT)
    RESULTS.mkdir(exist_ok=True)
    out_file = RESULTS / "nlu_candidates.json"
    rows = json.loads(out_file.read_text()) if out_file.exists() else {}
    for config in configs:
        print(f"[candidates] {config.name}: training ...", flush=True)
        with tempfile.TemporaryDirectory(prefix="klbot-cand-") as tmp:
            seconds = train(config, Path(tmp), env)
            print(f"    trained in {seconds:.1f} s (load avg {os.getloadavg()[0]:.1f})")
            row = {"train_nlu_s": round(seconds, 1), "load_avg": round(os.getloadavg()[0], 1)}
            row.update(evaluate(Path(tmp) / "candidate.tar.gz"))
        # re-read: candidates may run side by side and write the same file
        rows = json.loads(out_file.read_text()) if out_file.exists() else {}
        rows.setdefault(config.stem, []).append(row)
        out_file.write_text(json.dumps(rows, indent=2))
    print(f"written: {out_file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
