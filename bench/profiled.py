"""Run a module under pyinstrument, profiling only between two signals (bench.profile).

``python -m bench.profiled OUT -m MODULE [ARGS...]`` runs ``python -m MODULE ARGS...``;
``SIGUSR1`` starts the profiler, ``SIGUSR2`` stops it and writes ``OUT.txt`` (the call
tree), ``OUT.html`` and ``OUT.pyisession``. So start-up (loading the model) is left out,
and only the turns sent in between are measured. The profiler samples the main thread,
where the event loop runs, every millisecond, in wall-clock time: a synchronous call that
blocks the loop (an SQL commit, a file write) shows as itself, time waiting for the network
as the selector.
"""

from __future__ import annotations

import runpy
import signal
import sys
from pathlib import Path

from pyinstrument import Profiler


def main() -> None:
    out, *rest = sys.argv[1:]
    if rest[0] == "-m":
        rest = rest[1:]
    module, *rest = rest
    profiler = Profiler(interval=0.001, async_mode="disabled")

    def start(*_: object) -> None:
        if not profiler.is_running:
            profiler.reset()
            profiler.start()

    def stop(*_: object) -> None:
        if profiler.is_running:
            profiler.stop()
            profiler.last_session.save(out + ".pyisession")  # `pyinstrument --load` re-reads
            Path(out + ".html").write_text(profiler.output_html(), encoding="utf-8")
            # written last, whole (renamed): bench.profile waits for it
            Path(out + ".tmp").write_text(profiler.output_text(unicode=True), encoding="utf-8")
            Path(out + ".tmp").rename(out + ".txt")

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    sys.argv = [module, *rest]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
