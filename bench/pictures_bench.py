"""The pictures (#19): render times, the cached answer, the renderer's memory, the event loop during renders,
and Pillow against matplotlib for the same drawing.

    .venv/bin/python bench/pictures_bench.py [--quick] [--matplotlib PYTHON]

- render time (median, p99) of the timeline picture, full range and a decade (1950-1959), on the shipped
  digest and the 100x one (bench/synth.py), and of the usage chart (30 days, 8 commands);
- a cached answer: what /timeline does when the picture is in the cache (the answer, its key, the look-up,
  the embed with its image, the discord.File), and the look-up alone;
- resident memory of a process before and after the renderer's first use (Pillow, the font), and after
  many renders (peak);
- the event loop while renders run in the bot's pool: the worst delay of a 1 ms ticker;
- `--matplotlib PYTHON`: a Python that has matplotlib (the project does not install it) times its import
  and a drawing of the same timeline (45 labelled marks) and chart, for the comparison the issue asks for.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from run_all import percentiles  # noqa: E402

TODAY = dt.date(2026, 7, 10)


def answers_for(content: Path):
    from alliance_bot.answers.service import Answers
    from alliance_bot.digest.loader import load_digest

    result = load_digest(content, None)
    assert result.digest is not None, result.problems[:3]
    return Answers(result.digest)


def timed(fn, n: int) -> tuple[float, float]:
    fn()  # warm: fonts loaded, views built
    samples = []
    for _ in range(n):
        t = time.perf_counter_ns()
        fn()
        samples.append((time.perf_counter_ns() - t) / 1e6)
    return percentiles(samples)


def summary_30_days():
    import random

    from alliance_bot.storage.usage import CommandStats, UsageSummary

    rng = random.Random(1)
    commands = ["fact", "today", "timeline", "treaty", "viewpoints", "source", "help", "stats"]
    days = [(dt.date(2026, 11, 5) + dt.timedelta(days=i)).isoformat() for i in range(30)]
    pdc = []
    for d in days:
        for c in commands:
            n = rng.randint(1, 60)
            pdc.append((d, c, n, rng.randint(0, n // 4)))
    per_day = [(d, sum(n for dd, _, n, _ in pdc if dd == d) + 20) for d in days]
    per_command = sorted(
        (
            CommandStats(
                c,
                sum(n for _, cc, n, _ in pdc if cc == c),
                1,
                sum(x for _, cc, _, x in pdc if cc == c),
                rng.uniform(1, 20),
                rng.uniform(20, 200),
            )
            for c in commands
        ),
        key=lambda c: -c.count,
    )
    return UsageSummary(30, sum(n for _, n in per_day), 5, 1, 2, 300, 4.0, 80.0, per_command, per_day, [], [], [], pdc)


def render_times(content: Path, n: int) -> dict[str, tuple[float, float, int]]:
    from alliance_bot.present.pictures.timeline_image import render_timeline_png

    answers = answers_for(content)
    out = {}
    for label, args in (("full range", (None, None)), ("decade 1950-1959", ("1950", "1959"))):
        a = answers.timeline(*args)
        size = len(render_timeline_png(a, today=TODAY).png)
        med, p99 = timed(lambda a=a: render_timeline_png(a, today=TODAY), n)
        out[f"{label} ({len(a.events)} events)"] = (med, p99, size)
    return out


def cached_answer(n: int) -> tuple[tuple[float, float], tuple[float, float]]:
    import io

    import discord

    from alliance_bot.present.embeds import render
    from alliance_bot.present.limits import with_image
    from alliance_bot.present.pictures.cache import PictureCache, timeline_key
    from alliance_bot.present.pictures.timeline_image import render_timeline_png

    answers = answers_for(ROOT / "content")
    version = answers.digest.version
    cache = PictureCache()
    first = answers.timeline()
    cache.put(timeline_key(version, first, "en-US", TODAY), render_timeline_png(first, today=TODAY))

    def whole() -> None:
        a = answers.timeline()
        picture = cache.get(timeline_key(version, a, "en-US", TODAY))
        assert picture is not None
        with_image(render(a), picture.filename)
        discord.File(io.BytesIO(picture.png), filename=picture.filename, description=picture.alt)

    key = timeline_key(version, first, "en-US", TODAY)
    return timed(whole, n), timed(lambda: cache.get(key), n)


MEMORY = r"""
import datetime as dt, json, sys
sys.path.insert(0, sys.argv[1])
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20
from pictures_bench import answers_for, summary_30_days
from pathlib import Path
answers = answers_for(Path(sys.argv[2]))
a = answers.timeline()
before = rss()
from alliance_bot.present.pictures.timeline_image import render_timeline_png
from alliance_bot.present.pictures.charts import render_usage_png
imported = rss()
render_timeline_png(a, today=dt.date(2026, 7, 10))
first = rss()
s = summary_30_days()
for i in range(50):
    render_timeline_png(answers.timeline(str(1882 + i), None), today=dt.date(2026, 7, 10))
    render_usage_png(s)
after = rss()
# VmHWM, not ru_maxrss: the latter carries the parent's peak across fork and exec
with open("/proc/self/status") as f:
    peak = next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024
print(json.dumps({"before": before, "imported": imported, "first": first, "after": after, "peak": peak}))
"""


def renderer_memory(content: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", MEMORY, str(ROOT / "bench"), str(content)], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


async def loop_lag(renders: int) -> tuple[float, float]:
    """The worst delay of a 1 ms ticker with and without renders running in the bot's pool (ms)."""
    from alliance_bot.discord_ui.pictures import Pictures
    from alliance_bot.present.pictures.timeline_image import render_timeline_png

    answers = answers_for(ROOT / "content")
    a = answers.timeline()
    render_timeline_png(a, today=TODAY)

    async def worst(during: asyncio.Future[object] | None, seconds: float) -> float:
        lag = 0.0
        end = time.perf_counter() + seconds
        while (during is not None and not during.done()) or (during is None and time.perf_counter() < end):
            t = time.perf_counter()
            await asyncio.sleep(0.001)
            lag = max(lag, time.perf_counter() - t - 0.001)
        return lag * 1000

    idle = await worst(None, 1.0)
    pictures = Pictures()
    futures = [pictures.start(("bench", i), lambda: render_timeline_png(a, today=TODAY)) for i in range(renders)]
    busy = await worst(asyncio.gather(*futures), 0)
    pictures.close()
    return idle, busy


MPL = r"""
import time, sys, io, json
t = time.perf_counter()
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
imported = time.perf_counter() - t
labels = json.loads(sys.stdin.read())
def timeline():
    fig, ax = plt.subplots(figsize=(10, 17.8), dpi=100)
    ys = list(range(len(labels)))
    ax.scatter([0] * len(ys), ys, c="tab:blue")
    for y, text in zip(ys, labels):
        ax.text(0.05, y, text, va="center", fontsize=11)
    ax.set_xlim(-0.1, 3); ax.invert_yaxis(); ax.axis("off")
    buf = io.BytesIO(); fig.savefig(buf, format="png"); plt.close(fig)
    return buf
def chart():
    fig, axes = plt.subplots(3, 1, figsize=(12, 9.3), dpi=100)
    axes[0].bar(range(30), [100 + i for i in range(30)])
    axes[1].plot(range(30), [0.1] * 30)
    axes[2].barh(range(8), range(8))
    buf = io.BytesIO(); fig.savefig(buf, format="png"); plt.close(fig)
    return buf
t = time.perf_counter(); timeline(); first = time.perf_counter() - t
times = []
for _ in range(int(sys.argv[1])):
    t = time.perf_counter(); timeline(); times.append(time.perf_counter() - t)
ctimes = []
for _ in range(int(sys.argv[1])):
    t = time.perf_counter(); chart(); ctimes.append(time.perf_counter() - t)
times.sort(); ctimes.sort()
print(json.dumps({"import": imported, "first": first, "timeline_median": times[len(times)//2],
                  "chart_median": ctimes[len(ctimes)//2], "version": matplotlib.__version__}))
"""


def matplotlib_times(python: str, n: int) -> dict[str, float | str]:
    answers = answers_for(ROOT / "content")
    labels = [f"{e.date.when()}: {e.title}"[:90] for e in answers.timeline().events]
    done = subprocess.run([python, "-c", MPL, str(n)], input=json.dumps(labels), capture_output=True, text=True)
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1]}
    return json.loads(done.stdout)


def pillow_import() -> float:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import time; t = time.perf_counter(); "
            "from alliance_bot.present.pictures.timeline_image import render_timeline_png; "
            "from alliance_bot.present.pictures.fonts import font; font(16); "
            "print(time.perf_counter() - t)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--matplotlib", metavar="PYTHON", help="a Python with matplotlib, for the comparison")
    args = parser.parse_args()
    n = 30 if args.quick else 200
    import synth
    from alliance_bot.present.pictures.charts import render_usage_png

    print("== render time (ms) ==")
    print(f"{'digest':<9}{'picture':<34}{'median':>9}{'p99':>9}{'PNG KB':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        big = synth.make(Path(tmp) / "big", 100)
        for label, content, runs in (("shipped", ROOT / "content", n), ("100x", big, max(20, n // 4))):
            for name, (med, p99, size) in render_times(content, runs).items():
                print(f"{label:<9}{name:<34}{med:>9.1f}{p99:>9.1f}{size / 1024:>9.0f}")
        s = summary_30_days()
        med, p99 = timed(lambda: render_usage_png(s), n)
        size = len(render_usage_png(s).png) / 1024
        print(f"{'-':<9}{'usage chart, 30 days, 8 commands':<34}{med:>9.1f}{p99:>9.1f}{size:>9.0f}")
        (whole, lookup) = cached_answer(n * 10)
        print("\n== a cached answer (ms) ==")
        print(f"/timeline, full range, picture cached: median {whole[0]:.3f}, p99 {whole[1]:.3f}")
        print(f"the cache look-up alone: median {lookup[0] * 1000:.1f} µs, p99 {lookup[1] * 1000:.1f} µs")
        print("\n== the renderer's memory (MB, resident) ==")
        for label, content in (("shipped", ROOT / "content"), ("100x", big)):
            m = renderer_memory(content)
            print(
                f"{label}: before {m['before']:.0f}, after importing the renderer {m['imported']:.0f}, after the "
                f"first picture {m['first']:.0f}, after 100 more {m['after']:.0f} (peak {m['peak']:.0f})"
            )
    idle, busy = asyncio.run(loop_lag(20))
    print("\n== event loop, 20 full-range renders in the pool ==")
    print(f"worst ticker delay: {busy:.1f} ms (idle: {idle:.1f} ms)")
    print(f"\nPillow import + font load, fresh process: {pillow_import() * 1000:.0f} ms")
    if args.matplotlib:
        m = matplotlib_times(args.matplotlib, 10 if args.quick else 30)
        print(f"matplotlib: {m}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
