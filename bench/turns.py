"""Full-turn load benchmark: our assistant against Rasa's starter bot, same machine, same load.

For 1, 8 and 32 concurrent conversations it sends full turns through
``POST /webhooks/rest/webhook`` (policy questions; and an opt-out form with its register
writes), and signed SMS turns through ``/webhooks/twilio_sms/webhook``; it measures median
and p99 latency and throughput, peak memory (VmHWM) of every server process, training time
and start-up time. Rasa's starter bot (``rasa init``) gets the same load with its own
phrases. Everything runs on loopback; every loop is bounded in count and time.

Each server first gets one warm-up conversation per kind of turn, not measured (a new
server's first turn pays for TensorFlow's first calls and the tracker store's first
connection). A level of N users then runs ``conversations_for(N)`` conversations (at least
25, i.e. 100 turns, and 4 per user at 32 users), each user starting a new conversation when
one ends: p99 is a percentile of at least 100 turns, not the slowest of four.

Then the same again with the machine's other cores kept busy (a CPU-burning process on each
but one, as other work on a shared server): ours and the starter bot under the same load,
and how much each slowed down.

Results: ``results/bench_turns.json`` and the chart ``results/bench_turns.png``; with the
other cores busy ``results/bench_turns_busy.json`` and ``results/bench_turns_busy.png``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Tuple
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "results"
MODEL = ROOT / "models" / "klbot.tar.gz"
BIN = Path(sys.executable).parent
LEVELS = (1, 8, 32)
TURNS_PER_CONVERSATION = 4
MAX_SECONDS_PER_LEVEL = 240
MIN_CONVERSATIONS = 25  # per level: 100 turns, so that p99 is not simply the slowest turn
ROUNDS = 4  # conversations per user at high concurrency (32 users: 128 conversations)
_CONVERSATION_NUMBERS = itertools.count()
TWILIO_TOKEN = "bench-auth-token"  # noqa: S105 - a local test secret, not a credential

OUR_POLICY_TURNS = [
    "hei",
    "hvor lenge lagrer dere opplysningene mine?",
    "hvem deler dere dataene med?",
    "takk for hjelpen",
]
STARTER_TURNS = ["hello", "I am sad", "yes", "goodbye"]


def percentile(values: List[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def peak_memory_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def form_turns(index: int) -> List[str]:
    phone = f"9{index:07d}"[-8:]
    return ["jeg vil ikke ha reklame", "sms", f"{phone[:3]} {phone[3:5]} {phone[5:]}", "takk"]


def conversations_for(concurrency: int) -> int:
    """How many conversations a level runs: enough turns that p99 is a percentile (at least
    ``MIN_CONVERSATIONS``; at high concurrency ``ROUNDS`` conversations per user)."""
    return max(MIN_CONVERSATIONS, ROUNDS * concurrency)


def next_indices(count: int) -> List[int]:
    """``count`` conversation numbers not used before in this process: each conversation is
    new (an SMS conversation is its phone number, a form's phone number its index)."""
    return [next(_CONVERSATION_NUMBERS) for _ in range(count)]


def summary(latencies: List[float], errors: int, elapsed: float) -> Dict[str, float]:
    """Median, p99, max (ms) and throughput of one level's turns."""
    return {
        "turns": len(latencies),
        "errors": errors,
        "median_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p99_ms": percentile(latencies, 99) * 1000,
        "max_ms": max(latencies) * 1000 if latencies else float("nan"),
        "throughput_per_s": len(latencies) / elapsed if elapsed else float("nan"),
    }


async def run_level(
    url: str,
    concurrency: int,
    turns_for: Callable[[int], List[str]],
    sms_token: Optional[str] = None,
    public_url: Optional[str] = None,
    conversations: Optional[int] = None,
    transport: Optional[httpx.AsyncBaseTransport] = None,
) -> Dict[str, float]:
    """``concurrency`` users at once, who between them hold ``conversations`` conversations
    (default: ``conversations_for(concurrency)``) of ``TURNS_PER_CONVERSATION`` turns; a user
    starts the next conversation when one ends, so ``concurrency`` are in flight throughout.
    ``transport``: httpx's, for the tests (default: the network)."""
    latencies: List[float] = []
    errors = 0
    deadline = time.monotonic() + MAX_SECONDS_PER_LEVEL
    limits = httpx.Limits(max_connections=concurrency + 4)
    run_id = f"{time.time_ns():x}"
    pending = next_indices(conversations or conversations_for(concurrency))
    pending.reverse()  # popped from the end: in order
    held = 0

    async with httpx.AsyncClient(timeout=60, limits=limits, transport=transport) as client:

        async def conversation(index: int) -> None:
            nonlocal errors
            sender = f"bench-{run_id}-{concurrency}-{index}"
            for turn, text in enumerate(turns_for(index)):
                if time.monotonic() > deadline:
                    return
                started = time.perf_counter()
                try:
                    if sms_token:
                        resp = await post_sms(
                            client, url, public_url or url, sms_token, index, turn, text, run_id
                        )
                    else:
                        resp = await client.post(
                            f"{url}/webhooks/rest/webhook",
                            json={"sender": sender, "message": text},
                        )
                    if resp.status_code >= 400:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                latencies.append(time.perf_counter() - started)

        async def user() -> None:
            nonlocal held
            while pending and time.monotonic() <= deadline:
                held += 1
                await conversation(pending.pop())

        started = time.perf_counter()
        await asyncio.gather(*(user() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {
        "concurrency": concurrency,
        "conversations": held,
        **summary(latencies, errors, elapsed),
    }


def warm_up(url: str, turns_for: Callable[[int], List[str]], **kwargs: object) -> None:
    """One conversation, not measured: the server's first turns (TensorFlow's first calls,
    the tracker store's first connection) are not part of any level."""
    asyncio.run(run_level(url, 1, turns_for, conversations=1, **kwargs))


async def post_sms(client, url, public_url, token, index, turn, text, run_id):
    from twilio.request_validator import RequestValidator

    path = "/webhooks/twilio_sms/webhook"
    params = {
        "MessageSid": f"SM{run_id}{index:04d}{turn:02d}".ljust(34, "0")[:34],
        "AccountSid": "AC" + "0" * 32,
        "From": f"+479{index:07d}",
        "To": "+4763858870",
        "Body": text,
    }
    signature = RequestValidator(token).compute_signature(public_url + path, params)
    return await client.post(
        url + path,
        content=urlencode(params),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
        },
    )


def start(cmd: List[str], cwd: Path, env: Dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603
        cmd,
        cwd=cwd,
        env=env,
        stdout=open(log, "wb"),
        stderr=subprocess.STDOUT,  # noqa: SIM115
    )


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 300) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server for {url} exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise TimeoutError(url)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def our_servers(
    work: Path, env: Dict[str, str], model: Path, wrap: Optional[Callable[[str], List[str]]] = None
) -> Iterator[Dict[str, object]]:
    """Our Rasa and action servers on free ports, served the production way, with registers
    in ``work``; yields ``url``, ``startup_s`` and the two processes. ``wrap(name)`` is put
    before each server's ``-m module`` (bench.profile runs them under bench.profiled)."""
    if not model.exists():
        raise FileNotFoundError(f"{model} is missing: run `make train` (or `make bench`) first")
    rasa_port, action_port = free_port(), free_port()
    env = dict(env)
    env.update(
        {
            "KLBOT_DATABASE_URL": f"sqlite:///{work / 'register.db'}",
            "KLBOT_TRACKER_STORE_URL": f"sqlite:///{work / 'conversations.db'}",
            "KLBOT_PUBLIC_URL": f"http://127.0.0.1:{rasa_port}",
            "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
            "KLBOT_NOTIFIER": "outbox",
            # served the production way (action token, API closed); the load comes from one
            # address, so the limits per client address and sender are off (SPEC)
            "KLBOT_ACTION_TOKEN": secrets.token_urlsafe(24),
            "KLBOT_API_TOKEN": "",
            "KLBOT_HOST": "127.0.0.1",
            "KLBOT_RATE_LIMITS": "off",
        }
    )
    subprocess.run([str(BIN / "klbot"), "db", "upgrade"], cwd=ROOT, env=env, check=True)  # noqa: S603
    endpoints = work / "endpoints.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n'
        "tracker_store:\n  type: bot.stores.tracker.ConfiguredTrackerStore\n"
        "lock_store:\n  type: bot.stores.lock.ConfiguredLockStore\n"
    )
    prefix = wrap or (lambda name: [])
    actions = start(
        [str(BIN / "python"), *prefix("actions"), "-m", "bot.action_server"]
        + ["--port", str(action_port)],
        ROOT,
        env,
        work / "actions.log",
    )
    rasa = start(
        [str(BIN / "python"), *prefix("rasa"), "-m", "bot.rasa_server"]
        + ["--port", str(rasa_port), "--model", str(model), "--endpoints", str(endpoints)]
        + ["--credentials", "credentials.yml"],
        ROOT,
        env,
        work / "rasa.log",
    )
    url = f"http://127.0.0.1:{rasa_port}"
    try:
        wait_ready(f"http://127.0.0.1:{action_port}/health", actions)
        startup_s = wait_ready(f"{url}/webhooks/rest/", rasa)
        yield {"url": url, "startup_s": startup_s, "rasa": rasa, "actions": actions}
    finally:
        for proc in (rasa, actions):
            proc.terminate()
            proc.wait(timeout=30)


def bench_ours(
    work: Path,
    env: Dict[str, str],
    model: Path,
    train_s: Optional[float],
    levels_run: Tuple[int, ...] = LEVELS,
) -> Dict[str, object]:
    """Our assistant, serving ``model`` (what `make bench` built); ``train_s`` is the full
    training time measured by bench.nlu in the same run, or None."""
    with our_servers(work, env, model) as servers:
        url = servers["url"]
        warm_up(url, lambda i: OUR_POLICY_TURNS)
        warm_up(url, form_turns)
        warm_up(url, lambda i: OUR_POLICY_TURNS, sms_token=TWILIO_TOKEN, public_url=url)
        levels: Dict[str, List[Dict[str, float]]] = {"policy": [], "form": [], "sms": []}
        for level in levels_run:
            levels["policy"].append(asyncio.run(run_level(url, level, lambda i: OUR_POLICY_TURNS)))
            levels["form"].append(asyncio.run(run_level(url, level, form_turns)))
            levels["sms"].append(
                asyncio.run(run_level(url, level, lambda i: OUR_POLICY_TURNS, TWILIO_TOKEN, url))
            )
        return {
            "train_s": train_s,
            "startup_s": servers["startup_s"],
            "levels": levels,
            "peak_memory_mb": {
                "rasa": peak_memory_mb(servers["rasa"].pid),
                "actions": peak_memory_mb(servers["actions"].pid),
            },
        }


def train_starter(work: Path, env: Dict[str, str]) -> Tuple[Path, float]:
    """Rasa's starter bot (``rasa init``, which trains it): its model and the time it took."""
    starter = work / "starter"
    starter.mkdir()
    started = time.perf_counter()
    subprocess.run(  # noqa: S603
        [str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(starter)],
        cwd=starter,
        env=env,
        check=True,
        capture_output=True,
    )
    train_s = time.perf_counter() - started
    return sorted((starter / "models").glob("*.tar.gz"))[-1], train_s


def bench_starter(
    work: Path,
    env: Dict[str, str],
    model: Path,
    train_s: float,
    levels_run: Tuple[int, ...] = LEVELS,
) -> Dict[str, object]:
    port = free_port()
    rasa = start(
        [str(BIN / "rasa"), "run", "--enable-api", "--port", str(port), "--model", str(model)],
        model.parent.parent,
        env,
        work / "starter.log",
    )
    url = f"http://127.0.0.1:{port}"
    try:
        startup_s = wait_ready(f"{url}/status", rasa)
        warm_up(url, lambda i: STARTER_TURNS)
        levels = {
            "policy": [asyncio.run(run_level(url, n, lambda i: STARTER_TURNS)) for n in levels_run]
        }
        return {
            "train_s": train_s,
            "startup_s": startup_s,
            "levels": levels,
            "peak_memory_mb": {"rasa": peak_memory_mb(rasa.pid)},
        }
    finally:
        rasa.terminate()
        rasa.wait(timeout=30)


BURN = "import time\nend = time.monotonic() + {limit}\nwhile time.monotonic() < end:\n    pass\n"


@contextmanager
def other_cores_busy(limit_s: float = 3600) -> Iterator[int]:
    """Keep every core but one busy (one CPU-burning process each, at least one), as other
    work on a shared server would; yields how many. The burners end with the block (and
    by themselves after ``limit_s``, should this process be killed)."""
    count = max(1, (os.cpu_count() or 2) - 1)
    burners = [
        subprocess.Popen([sys.executable, "-c", BURN.format(limit=limit_s)])  # noqa: S603
        for _ in range(count)
    ]
    try:
        time.sleep(0.5)  # running before the first turn
        yield count
    finally:
        for proc in burners:
            proc.kill()
            proc.wait(timeout=10)


def chart(results: Dict[str, object], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    series = {
        "starter bot (REST)": results["starter"]["levels"]["policy"],
        "ours: policy (REST)": results["ours"]["levels"]["policy"],
        "ours: opt-out form (REST)": results["ours"]["levels"]["form"],
        "ours: policy (SMS)": results["ours"]["levels"]["sms"],
    }
    for label, rows in series.items():
        xs = [r["concurrency"] for r in rows]
        ax1.plot(xs, [r["median_ms"] for r in rows], marker="o", label=f"{label} median")
        ax1.plot(xs, [r["p99_ms"] for r in rows], marker="x", linestyle="--", label=f"{label} p99")
        ax2.plot(xs, [r["throughput_per_s"] for r in rows], marker="o", label=label)
    ax1.set(
        xlabel="concurrent conversations",
        ylabel="latency per turn (ms)",
        xscale="log",
        title="Full-turn latency",
    )
    ax2.set(
        xlabel="concurrent conversations",
        ylabel="turns per second",
        xscale="log",
        title="Throughput",
    )
    for ax in (ax1, ax2):
        xs = [r["concurrency"] for r in results["starter"]["levels"]["policy"]]
        ax.set_xticks(xs)
        ax.set_xticklabels([str(n) for n in xs])
        ax.grid(alpha=0.3)
    ax1.legend(fontsize=6)
    ax2.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def report(results: Dict[str, object], title: str = "") -> str:
    ours, starter = results["ours"], results["starter"]
    lines = [title] if title else []
    lines += [
        f"{'load':<28}{'users':>6}{'turns':>6}{'median ms':>11}{'p99 ms':>9}{'turns/s':>9}"
        f"{'errors':>8}{'x starter':>11}",
    ]
    for name, rows in [
        ("starter bot (REST)", starter["levels"]["policy"]),
        ("ours: policy (REST)", ours["levels"]["policy"]),
        ("ours: opt-out form (REST)", ours["levels"]["form"]),
        ("ours: policy (SMS)", ours["levels"]["sms"]),
    ]:
        for row, base in zip(rows, starter["levels"]["policy"]):
            ratio = row["median_ms"] / base["median_ms"] if base["median_ms"] else float("nan")
            lines.append(
                f"{name:<28}{row['concurrency']:>6}{row['turns']:>6}{row['median_ms']:>11.1f}{row['p99_ms']:>9.1f}"
                f"{row['throughput_per_s']:>9.1f}{row['errors']:>8}{ratio:>10.2f}x"
            )
    ours_train = f"{ours['train_s']:.0f} s" if ours.get("train_s") else "not measured in this run"
    lines.append(
        f"training: ours {ours_train}, starter {starter['train_s']:.0f} s (rasa init);"
        f" start-up: ours {ours['startup_s']:.1f} s, starter {starter['startup_s']:.1f} s"
    )
    mem = ", ".join(f"{k} {v:.0f} MB" for k, v in ours["peak_memory_mb"].items())
    lines.append(
        f"peak memory: ours {mem}; starter rasa {starter['peak_memory_mb']['rasa']:.0f} MB"
    )
    return "\n".join(lines)


def main(
    model: Path = MODEL,
    train_s: Optional[float] = None,
    levels: Tuple[int, ...] = LEVELS,
    busy: bool = True,
) -> Dict[str, object]:
    """Quiet, then (``busy``) again with the machine's other cores kept busy: ours and the
    starter bot under the same load each time (the starter bot trained once)."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    RESULTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="klbot-bench-") as tmp:
        work = Path(tmp)
        starter_model, starter_train_s = train_starter(work, env)
        results = {
            "ours": bench_ours(work, env, model, train_s, levels),
            "starter": bench_starter(work, env, starter_model, starter_train_s, levels),
        }
        (RESULTS / "bench_turns.json").write_text(json.dumps(results, indent=2))
        chart(results, RESULTS / "bench_turns.png")
        print(report(results, "quiet machine"))
        print(f"written: {RESULTS / 'bench_turns.json'}, {RESULTS / 'bench_turns.png'}")
        if busy:
            (work / "busy").mkdir()
            with other_cores_busy() as burners:
                loaded = {
                    "other_cores_busy": burners,
                    "ours": bench_ours(work / "busy", env, model, train_s, levels),
                    "starter": bench_starter(work, env, starter_model, starter_train_s, levels),
                }
            (RESULTS / "bench_turns_busy.json").write_text(json.dumps(loaded, indent=2))
            chart(loaded, RESULTS / "bench_turns_busy.png")
            print(report(loaded, f"other cores busy ({burners} CPU-burning process)"))
            print(degradation(results, loaded))
            print(f"written: {RESULTS / 'bench_turns_busy.json'}")
            results["busy"] = loaded
    return results


def degradation(quiet: Dict[str, object], busy: Dict[str, object]) -> str:
    """How much slower each got when the other cores were busy (p50 and p99 ratios)."""
    lines = ["slow-down with the other cores busy (busy / quiet):"]
    for name, key in (("starter bot", "starter"), ("ours: policy", "ours")):
        for q, b in zip(quiet[key]["levels"]["policy"], busy[key]["levels"]["policy"]):
            p50, p99 = b["median_ms"] / q["median_ms"], b["p99_ms"] / q["p99_ms"]
            lines.append(f"  {name:<14}{q['concurrency']:>4} users: p50 x{p50:.2f}, p99 x{p99:.2f}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
