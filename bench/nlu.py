"""NLU benchmark: training time, model load time and ``POST /model/parse`` latency.

1. Trains the full model (``rasa train``: NLU and dialogue, as ``make train`` does) into a
   temporary directory and times it (skip with ``--model PATH`` to measure an existing model).
2. Times loading that model in a fresh Python process (``Agent.load``, imports excluded).
3. Starts a real ``rasa run --enable-api`` on a free loopback port (REST channel only, no
   action server, in-memory stores), times its start-up until ``/status`` answers, then sends
   ``--requests`` (default 300) ``POST /model/parse`` one after another, messages taken from
   the held-out set, after a short warm-up; reports median, p95, p99 and max latency.

Results: ``results/bench_nlu.json``. Run: ``python -m bench.nlu`` or ``python -m bench.run
--only nlu``. Every wait is bounded.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List, Optional

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "results"
BIN = Path(sys.executable).parent
HELDOUT = ROOT / "tests" / "nlu" / "heldout.yml"
DEFAULT_REQUESTS = 300
WARMUP_REQUESTS = 10
TRAIN_TIMEOUT_S = 3600
# `rasa init` + `rasa train` of Rasa's starter bot on this machine (2 cores), issue 12.
STARTER_BOT_TRAIN_S = 90.0
READY_TIMEOUT_S = 300

FALLBACK_MESSAGES = [
    "hei",
    "hvor lenge lagrer dere opplysningene mine?",
    "STOPP sms til 97527747",
    "slett dataene mine, e-posten er ola@x.no",
    "kva brukar de dataa mine til?",
    "status på sletteforespørselen min",
    "975 27 747",
    "takk for hjelpa",
]

LOAD_SCRIPT = """
import json, sys, time
from rasa.core.agent import Agent
started = time.perf_counter()
agent = Agent.load(model_path=sys.argv[1])
loaded = time.perf_counter() - started
assert agent.is_ready()
print(json.dumps({"load_s": loaded}))
"""


def percentile(values: List[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_memory_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def messages() -> List[str]:
    """Realistic customer messages: the held-out texts (only their text is used here)."""
    try:
        from rasa.shared.nlu.training_data.loading import load_data

        texts = [m.get("text") for m in load_data(str(HELDOUT)).intent_examples]
        return texts or FALLBACK_MESSAGES
    except Exception:  # noqa: BLE001 - a benchmark can still run on the fixed list
        return FALLBACK_MESSAGES


def train_full_model(out_dir: Path, env: Dict[str, str]) -> float:
    cmd = [
        str(BIN / "rasa"),
        "train",
        "--data",
        "data",
        "--config",
        "config.yml",
        "--domain",
        "domain.yml",
        "--out",
        str(out_dir),
        "--fixed-model-name",
        "klbot",
        "--force",
    ]
    print(f"[nlu] training the full model into {out_dir} (rasa train) ...", flush=True)
    started = time.perf_counter()
    result = subprocess.run(  # noqa: S603
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TRAIN_TIMEOUT_S
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"rasa train failed:\n{(result.stdout + result.stderr)[-3000:]}")
    return elapsed


def measure_load(model: Path, env: Dict[str, str]) -> float:
    print("[nlu] loading the model in a fresh process (Agent.load) ...", flush=True)
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", LOAD_SCRIPT, str(model)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=READY_TIMEOUT_S,
    )
    if result.returncode != 0:
        raise RuntimeError(f"model load failed:\n{result.stderr[-3000:]}")
    return float(json.loads(result.stdout.strip().splitlines()[-1])["load_s"])


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = READY_TIMEOUT_S) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"rasa run exited early with code {proc.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} not ready within {timeout:.0f} s")


def measure_parse(
    model: Path, work: Path, env: Dict[str, str], n_requests: int
) -> Dict[str, object]:
    port = free_port()
    endpoints = work / "endpoints.yml"
    endpoints.write_text("# NLU benchmark: no action server, in-memory stores\n")
    credentials = work / "credentials.yml"
    credentials.write_text("rest:\n")
    log = work / "rasa-nlu-bench.log"
    cmd = [
        str(BIN / "rasa"),
        "run",
        "--enable-api",
        "--port",
        str(port),
        "--interface",
        "127.0.0.1",
        "--model",
        str(model),
        "--endpoints",
        str(endpoints),
        "--credentials",
        str(credentials),
    ]
    print(f"[nlu] starting rasa run --enable-api on port {port} ...", flush=True)
    with open(log, "wb") as out:
        proc = subprocess.Popen(  # noqa: S603
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        ready_s = wait_ready(f"{url}/status", proc)
        texts = messages()
        latencies: List[float] = []
        errors = 0
        intents: Dict[str, int] = {}
        print(f"[nlu] {n_requests} x POST /model/parse (after {WARMUP_REQUESTS} warm-up) ...")
        with httpx.Client(base_url=url, timeout=30) as client:
            for i in range(WARMUP_REQUESTS):
                client.post("/model/parse", json={"text": texts[i % len(texts)]})
            started = time.perf_counter()
            for i in range(n_requests):
                text = texts[i % len(texts)]
                t0 = time.perf_counter()
                try:
                    resp = client.post("/model/parse", json={"text": text})
                    ok = resp.status_code == 200
                    if ok:
                        name = (resp.json().get("intent") or {}).get("name") or "None"
                        intents[name] = intents.get(name, 0) + 1
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - t0)
                errors += 0 if ok else 1
            elapsed = time.perf_counter() - started
            heldout_scores = score_heldout_sets(client)
        return {
            "heldout": heldout_scores,
            "server_ready_s": ready_s,
            "requests": n_requests,
            "errors": errors,
            "median_ms": statistics.median(latencies) * 1000,
            "p95_ms": percentile(latencies, 95) * 1000,
            "p99_ms": percentile(latencies, 99) * 1000,
            "max_ms": max(latencies) * 1000,
            "throughput_per_s": n_requests / elapsed if elapsed else float("nan"),
            "server_peak_memory_mb": peak_memory_mb(proc.pid),
            "distinct_intents": len(intents),
        }
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def score_heldout_sets(client: httpx.Client) -> Dict[str, Dict[str, object]]:
    """Both held-out sets scored through ``POST /model/parse``, as an evaluator would."""
    from bot.nlp import heldout

    scores: Dict[str, Dict[str, object]] = {}
    for name, path in heldout.HELDOUT_SETS.items():
        examples = heldout.load_examples(path)
        print(f"[nlu] scoring held-out set {name!r} ({len(examples)} messages) ...", flush=True)
        parses = [
            client.post("/model/parse", json={"text": text}).json() for text, _, _ in examples
        ]
        result = heldout.score(name, examples, parses)
        scores[name] = {
            "messages": result.n,
            "macro_f1": round(result.macro_f1, 4),
            "accuracy": round(result.accuracy, 4),
            "weakest": [[intent, round(f1, 3)] for intent, f1 in result.weakest],
        }
    return scores


def report(results: Dict[str, object]) -> str:
    parse = results["parse"]
    train = results["train_full_model_s"]
    rows = [
        ("full model training (rasa train)", "not run" if train is None else f"{train:8.1f} s"),
        ("  Rasa's starter bot, same machine", f"{STARTER_BOT_TRAIN_S:8.1f} s (issue 12)"),
        ("model size", f"{results['model_size_mb']:8.1f} MB"),
        ("model load (Agent.load)", f"{results['model_load_s']:8.2f} s"),
        ("server start-up to ready", f"{parse['server_ready_s']:8.2f} s"),
        ("POST /model/parse requests", f"{parse['requests']:8d} ({parse['errors']} errors)"),
        ("  median latency", f"{parse['median_ms']:8.1f} ms"),
        ("  p95 latency", f"{parse['p95_ms']:8.1f} ms"),
        ("  p99 latency", f"{parse['p99_ms']:8.1f} ms"),
        ("  max latency", f"{parse['max_ms']:8.1f} ms"),
        ("  throughput (sequential)", f"{parse['throughput_per_s']:8.1f} req/s"),
        ("server peak memory (VmHWM)", f"{parse['server_peak_memory_mb']:8.0f} MB"),
    ]
    for name, held in (parse.get("heldout") or {}).items():
        rows.append(
            (
                f"held-out {name!r} ({held['messages']})",
                f"{held['macro_f1']:8.3f} macro-F1, accuracy {held['accuracy']:.3f}",
            )
        )
    width = max(len(name) for name, _ in rows) + 2
    lines = ["NLU benchmark", "-" * (width + 22)]
    lines += [f"{name:<{width}}{value}" for name, value in rows]
    lines.append(
        f"machine: {results['machine']['cpus']} CPUs, Python {results['machine']['python']}"
    )
    return "\n".join(lines)


def run(model: Optional[Path] = None, n_requests: int = DEFAULT_REQUESTS) -> Dict[str, object]:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1")
    RESULTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="klbot-bench-nlu-") as tmp:
        work = Path(tmp)
        train_s: Optional[float] = None
        if model is None:
            train_s = train_full_model(work / "models", env)
            model = work / "models" / "klbot.tar.gz"
        model = model.resolve()
        load_s = measure_load(model, env)
        parse = measure_parse(model, work, env, n_requests)
        results = {
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "model": "trained for this run" if train_s is not None else str(model),
            "train_full_model_s": train_s,
            "model_size_mb": model.stat().st_size / 1e6,
            "model_load_s": load_s,
            "parse": parse,
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "load_average_1m": os.getloadavg()[0],
            },
        }
    out = RESULTS / "bench_nlu.json"
    out.write_text(json.dumps(results, indent=2))
    print(report(results))
    print(f"written: {out}")
    return results


def main(argv: Optional[List[str]] = None) -> Dict[str, object]:
    parser = argparse.ArgumentParser(prog="python -m bench.nlu", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--model", type=Path, help="measure this model instead of training one (no training time)"
    )
    parser.add_argument("--requests", type=int, default=DEFAULT_REQUESTS)
    args = parser.parse_args(argv)
    return run(args.model, args.requests)


if __name__ == "__main__":
    main()
