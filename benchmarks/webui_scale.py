"""Web UI at scale: 10,000 trials x 100 intermediate results beside 100,000 trials x 10, timed in headless Chromium.

    python benchmarks/webui_scale.py [--sizes 10000x100,100000x10] [--runs 3] [--write-results]
    python benchmarks/webui_scale.py --trials 100000 --intermediates 10      # one size

Builds each store once through the store's writer API (cached under --folder, one folder per size; about
100 s for 10,000 x 100 and 130 s for 100,000 x 10), serves it read-only in a separate process with the same app
``nnictl view`` serves (``nni.launcher.experiment_app``), then measures in Debian's Chromium, with a fresh
browser context (empty cache) per run:

- overview: navigation until the best metric is shown (first meaningful paint of the Overview page);
- trials: navigation until the first page of the table is shown;
- sort: a click on a column header until the table shows the new order (by default metric, by a parameter);
- open trial: a click on a trial id until its parameters are shown, and until its metric chart is drawn;
- charts: navigation to the Charts page until the metric chart is shown (a quick SVG drawing first), and
  until Plotly (4.8 MB, served locally) has drawn the interactive one; then each other tab (Plotly already
  running) until its chart is drawn: hyperparameters, durations, slices, contour, distribution, importance;
- experiments: the Experiments page until its table is shown;
- export: the whole trial table as CSV (``/webui/export``), until the last byte.

The "cold" row is the very first navigation after the server started (its in-memory table is being loaded
from the store at that moment). Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from nni.testing import free_port

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
TARGET_S = 2.0
FIRST_CONTENT_S = 1.0
NOTES = """Notes
- How: the server keeps one in-memory table of the trials (loaded once from the store, in the background
  as soon as the app starts, then refreshed with "trials changed since revision R" queries). A page of the
  table, a sort or a filter is computed there in milliseconds and sent as compact rows (50 by default);
  the browser never downloads all trials' data; live updates poll `/webui/updates?since=R`, which returns
  only the changed trials. Pages send their first data request beside the summary, not after it.
- "open trial + chart" draws the trial's metrics with the UI's own small SVG chart.
- The Charts page uses Plotly (served from the installed plotly wheel). Plotly 4.x alone needs seconds to
  start in headless Chromium without a GPU (1.4 s of script time in one profile here, 4 to 10 s and more
  when the machine was loaded), before it draws anything, and it blocks the page meanwhile. So the Charts
  page first draws the metric chart with the UI's own SVG chart, then starts Plotly (prefetched, i.e.
  downloaded but not run, once the first page was up) and swaps in the interactive chart. The Plotly row
  misses the 2 s mark; it is not one of the four targets.
- 100,000 trials: every chart gets its data from the server, computed over every trial and cached per
  revision (`nni.analysis`): scatters of more than 5,000 trials are sampled there (the best fifth by the
  metric and an even random draw of the rest; the chart says "Showing 5,000 of 100,000 trials, sampled on
  the server"), the best-so-far line, the slices, the contour cells, the distribution and the importance use
  every trial; parallel coordinates draw at most the best 2,000. The cold rows at 100,000 trials are the
  server's start: it reads 100,000 trials from the store into its table (about 3 s on this machine) while
  the first page waits, and the first Charts request builds the analysis columns (about 0.5 s); every later
  visit is served from memory. The CSV export is 18 MB at that size. Before this, the Charts page
  failed at that size with "Maximum call stack size exceeded" (`Math.min(...array)` over 200,000 values).
- Timings depend on the machine's load: other engineers' test suites ran beside this benchmark.
"""


def build(folder: Path, trials: int, intermediates: int) -> float:
    marker = folder / "webui-scale.json"
    wanted = {"trials": trials, "intermediates": intermediates}
    if marker.exists() and json.loads(marker.read_text()) == wanted:
        return 0.0
    import shutil

    from nni.testing.demo_store import fill_store

    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    fill_store(folder, experiment_id="scale10k", trials=trials, intermediates=intermediates, running=8, waiting=4,
               failed=max(1, trials // 30), name=f"scale: {trials} trials x {intermediates} results")
    marker.write_text(json.dumps(wanted))
    return time.perf_counter() - started


def serve(folder: str, port: int) -> None:
    import uvicorn

    from nni.launcher import experiment_app
    from nni.storage import open_reader

    app = experiment_app(experiment_dir=folder, store_reader=open_reader(folder), control=None)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")




def _wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"the server did not listen on {port} within {timeout}s")


def _timed(fn: Any) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def measure_run(browser: Any, url: str) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    out: dict[str, float] = {}
    out["overview"] = _timed(lambda: (page.goto(url + "#/overview"),
                                      page.wait_for_selector("[data-test=best-metric]", timeout=60000)))
    page2 = context.new_page()
    out["trials"] = _timed(lambda: (page2.goto(url + "#/trials"),
                                    page2.wait_for_selector("[data-test=trials-table] tr[data-trial]", timeout=60000)))

    def sort_by(column: str) -> None:
        first = page2.get_attribute("[data-test=trials-table] tbody tr[data-trial]", "data-trial")
        page2.click(f"th[data-col='{column}']")
        page2.wait_for_function(
            "([col, first]) => { const th = document.querySelector(`th[data-col='${col}'] .arrow`);"
            " const tr = document.querySelector('[data-test=trials-table] tbody tr[data-trial]');"
            " return th && tr && tr.dataset.trial !== first; }", arg=[column, first], timeout=60000)

    out["sort by metric"] = _timed(lambda: sort_by("default"))
    out["sort by parameter"] = _timed(lambda: sort_by("param:lr"))
    link = page2.locator("[data-test=trial-link]").first
    started = time.perf_counter()
    link.click()
    page2.wait_for_selector("[data-test=parameters]", timeout=60000)
    out["open trial"] = time.perf_counter() - started
    page2.wait_for_selector("[data-test=metric-chart] svg path.series", timeout=60000)
    out["open trial + chart"] = time.perf_counter() - started
    started = time.perf_counter()
    page2.goto(url + "#/charts")
    page2.wait_for_selector("[data-test=chart-metric-preview] svg path.markers, [data-test=chart-metric] .main-svg",
                            timeout=120000)
    out["charts page (first chart)"] = time.perf_counter() - started
    page2.wait_for_selector("[data-test=chart-metric] .main-svg", timeout=120000)
    out["charts page (Plotly, interactive)"] = time.perf_counter() - started
    for tab, selector in (("parallel", "chart-parallel"), ("durations", "chart-durations"), ("slices", "chart-slices"),
                          ("contour", "chart-contour"), ("distribution", "chart-ecdf"), ("importance", "chart-importance")):
        started = time.perf_counter()
        page2.click(f"[data-tab={tab}]")
        page2.wait_for_selector(f"[data-test={selector}] .main-svg, .empty", timeout=180000)
        out[f"charts: {tab}"] = time.perf_counter() - started
    page3 = context.new_page()
    out["experiments page"] = _timed(lambda: (page3.goto(url + "#/experiments"),
                                              page3.wait_for_selector("[data-test=experiments-table], .empty",
                                                                      timeout=60000)))
    out["export CSV (every trial)"] = _timed(lambda: _download(url + "api/v1/nni/webui/export?format=csv"))
    context.close()
    return out


def _download(url: str) -> int:
    import httpx

    response = httpx.get(url, timeout=300)
    response.raise_for_status()
    return len(response.content)


def measure_size(folder: Path, trials: int, intermediates: int, runs: int) -> tuple[dict[str, float], list[dict[str, float]]]:
    from playwright.sync_api import sync_playwright

    built = build(folder, trials, intermediates)
    print(f"store: {folder} ({trials} trials x {intermediates} intermediate results"
          + (f", built in {built:.0f}s" if built else ", reused") + ")", flush=True)
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, __file__, "--serve", str(folder), str(port)], env=env)
    rows: list[dict[str, float]] = []
    try:
        _wait_port(port, proc)
        url = f"http://127.0.0.1:{port}/"
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
            cold = measure_run(browser, url)
            for _ in range(runs):
                rows.append(measure_run(browser, url))
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return cold, rows


def _target(key: str) -> str:
    if "Plotly" in key or key.startswith("charts: ") or key.startswith("export"):
        return "-"
    return f"< {FIRST_CONTENT_S if key in ('charts page (first chart)',) else TARGET_S:.0f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000x100,100000x10", help="TRIALSxINTERMEDIATES, comma-separated")
    parser.add_argument("--trials", type=int, default=None, help="one size instead of --sizes")
    parser.add_argument("--intermediates", type=int, default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--folder", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")),
                        help="where the stores are cached (nni-webui-scale-TxI)")
    parser.add_argument("--write-results", action="store_true", help="write benchmarks/RESULTS-webui.md")
    parser.add_argument("--serve", nargs=2, metavar=("FOLDER", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return
    if args.trials is not None:
        sizes = [(args.trials, args.intermediates if args.intermediates is not None else 100)]
    else:
        sizes = [tuple(int(v) for v in size.split("x")) for size in args.sizes.split(",")]
    measured = []
    for trials, intermediates in sizes:
        folder = args.folder / f"nni-webui-scale-{trials}x{intermediates}"
        measured.append(((trials, intermediates), *measure_size(folder, trials, intermediates, args.runs)))
    keys = list(measured[0][1])
    header = "| measurement (headless Chromium) | " + " | ".join(
        f"{t:,} x {i}: cold | median of {args.runs} | max" for (t, i), _, _ in measured) + " | target |"
    table = [header, "|---|" + "---:|---:|---:|" * len(measured) + "---:|"]
    for k in keys:
        cells = []
        for _, cold, rows in measured:
            values = [r[k] for r in rows]
            cells.append(f"{cold[k]:.2f} s | {statistics.median(values):.2f} s | {max(values):.2f} s")
        table.append(f"| {k} | " + " | ".join(cells) + f" | {_target(k)} |")
    table.append("| NNI 2.x/3.0 web UI, for context | minutes at 1,000 to 2,000 trials (as users reported, issue 7) |"
                 + " |" * (3 * len(measured)))
    text = "\n".join(table)
    load = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    print(text)
    print(f"load average (1/5/15 min): {load}")
    if args.write_results:
        results = ROOT / "benchmarks" / "RESULTS-webui.md"
        sizes_arg = ",".join(f"{t}x{i}" for (t, i), _, _ in measured)
        results.write_text(
            "# Web UI at scale\n\n"
            f"Command: `python benchmarks/webui_scale.py --sizes {sizes_arg} --runs {args.runs} --write-results`\n\n"
            f"Machine: {os.cpu_count()} CPU cores, load average {load} during the run (other work shared the "
            f"machine); {_chromium_version()}; server and browser on the same machine; each run in a fresh "
            "browser context (empty cache).\n\n" + text + "\n\n" + NOTES
        )
        print(f"wrote {results}")


def _chromium_version() -> str:
    try:
        return subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception:
        return "unknown"


if __name__ == "__main__":
    main()
