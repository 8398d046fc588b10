"""`python -m bench.chartworker FILE`: draw every chart pickled in FILE with a worker process
per core, as `bench digest`'s second step; prints the figures as JSON.

It imports only the drawing module (matplotlib and the chart's data), as a process that only
draws would, and so do its workers (forkserver: fresh processes, not copies of this one).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import statistics
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor

from bench.rss import peak_mb, reset_peak
from bot.digest.drawing import Chart, render


def timed_render(chart: Chart) -> tuple[float, float]:
    """Draw one chart: how long it took, and this worker's peak RSS (MB) so far."""
    begun = time.perf_counter()
    render(chart)
    return time.perf_counter() - begun, peak_mb()


def draw_all(charts: list[Chart]) -> dict[str, object]:
    workers = os.cpu_count() or 2
    context = multiprocessing.get_context("forkserver")
    started = time.perf_counter()
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=reset_peak
    ) as pool:
        timed = list(pool.map(timed_render, charts, chunksize=50))
    wall = time.perf_counter() - started
    times = [seconds for seconds, _rss in timed]
    worker_rss = max(rss for _seconds, rss in timed)
    own_rss = peak_mb()
    return {
        "charts": len(charts),
        "charts_by_kind": dict(Counter(chart.kind for chart in charts)),
        "charts_wall_s": round(wall, 1),
        "chart_median_ms": round(statistics.median(times) * 1000, 1),
        "chart_max_ms": round(max(times) * 1000, 1),
        "workers": workers,
        "peak_rss_worker_mb": round(worker_rss, 1),
        # this process and its workers at their peaks, together (an upper bound)
        "charts_peak_rss_mb": round(own_rss + workers * worker_rss, 1),
    }


if __name__ == "__main__":
    reset_peak()
    with open(sys.argv[1], "rb") as file:
        print(json.dumps(draw_all(pickle.load(file))))
