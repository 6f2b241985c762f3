"""The report as a person sees it: opened in headless Chromium, screenshotted, and checked for
console errors, network requests, the comparison table and every figure.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: JSON
messages separated by NUL bytes on file descriptors 3 and 4), so the test needs no Python
package beyond the standard library and no chromedriver. It is skipped only when no Chromium
or Chrome binary is installed (``.ci/run`` installs Debian's ``chromium``).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--remote-debugging-pipe"]


def find_browser() -> str | None:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


class Chromium:
    """A headless Chromium with one page, spoken to over the DevTools pipe."""

    def __init__(self, binary: str, timeout: float = 60.0):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="grnbench-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire_fds() -> None:  # the browser reads commands on fd 3 and answers on fd 4
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        self.process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            preexec_fn=wire_fds, pass_fds=(3, 4),  # kept open after wire_fds moved the pipes there
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []
        try:
            target = self.send("Target.createTarget", url="about:blank")["targetId"]
            self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        except Exception:
            self.close()  # no browser or profile folder left behind
            raise

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("no answer from Chromium")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, session: bool = False, **params) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def page(self, method: str, **params) -> dict:
        return self.send(method, session=True, **params)

    def wait_for(self, event: str) -> None:
        deadline = time.monotonic() + self.timeout
        while not any(e.get("method") == event for e in self.events):
            self.events.append(self._read_message(deadline))

    def evaluate(self, expression: str):
        result = self.page("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except Exception:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
        shutil.rmtree(self.profile, ignore_errors=True)


PAGE_STATE = """(() => {
  const visible = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const imgs = [...document.images];
  const table = document.querySelector('table#comparison');
  return {
    title: document.title,
    sections: [...document.querySelectorAll('section')].map(s => s.id),
    comparisonRows: table ? table.tBodies[0].rows.length : 0,
    comparisonVisible: table ? visible(table) : false,
    figures: imgs.length,
    figuresLoaded: imgs.filter(i => i.complete && i.naturalWidth > 0 && visible(i)).length,
    figureSources: imgs.map(i => i.src.slice(0, 26)),
    height: document.documentElement.scrollHeight,
  };
})()"""

# Click the AUPR header twice: the rows must come out in ascending, then descending AUPR order.
SORT_CHECK = """(() => {
  const table = document.querySelector('table#comparison');
  const th = [...table.tHead.rows[0].cells].find(c => c.textContent.trim() === 'AUPR');
  const values = () => [...table.tBodies[0].rows].map(r => parseFloat(r.cells[th.cellIndex].dataset.sort));
  th.click(); const up = values();
  th.click(); const down = values();
  return {up, down};
})()"""


def open_report(html: Path, screenshot: Path, binary: str, width: int = 1280) -> tuple[dict, dict, list[dict]]:
    """Load ``html``; return the page state, the sort check, and every console error, uncaught
    exception, error log entry or non-local request; save a full-page PNG to ``screenshot``."""
    browser = Chromium(binary)
    try:
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.page(f"{domain}.enable")
        browser.page("Emulation.setDeviceMetricsOverride", width=width, height=900, deviceScaleFactor=1, mobile=False)
        browser.page("Page.navigate", url=html.resolve().as_uri())
        browser.wait_for("Page.loadEventFired")
        state = browser.evaluate(PAGE_STATE)
        browser.page("Emulation.setDeviceMetricsOverride", width=width, height=int(state["height"]),
                     deviceScaleFactor=1, mobile=False)
        shot = browser.page("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        screenshot.write_bytes(base64.b64decode(shot["data"]))
        sort = browser.evaluate(SORT_CHECK) if state["comparisonRows"] else {}
        problems = []
        for event in browser.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                problems.append(event)
            elif method == "Runtime.exceptionThrown":
                problems.append(event)
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                problems.append(event)
            elif method == "Network.requestWillBeSent":
                url = params.get("request", {}).get("url", "")
                if not url.startswith(("file:", "data:", "about:")):
                    problems.append(event)
        return state, sort, problems
    finally:
        browser.close()


def test_report_in_headless_chromium(tmp_path: Path) -> None:
    binary = find_browser()
    if binary is None:
        pytest.skip("no Chromium/Chrome installed (apt-get install chromium)")
    from test_report import small_run

    from grnbench.report.render import write_report

    report = write_report(small_run(tmp_path / "run", "random,correlation", "standard,noise:repeats=2"))
    screenshot = tmp_path / "report.png"
    state, sort, problems = open_report(report, screenshot, binary)
    assert problems == [], f"console errors or network requests: {problems}"
    assert state["title"] == "grnbench report: dream4-10-1"
    assert {"sec-run", "sec-comparison", "sec-accuracy", "sec-time", "sec-robustness", "sec-network"} <= set(state["sections"])
    assert state["comparisonVisible"] and state["comparisonRows"] == 2
    # AUPR bars, PR curves, ROC curves, repeat spread: all decoded and laid out with a size
    assert state["figures"] >= 4
    assert state["figuresLoaded"] == state["figures"], state
    assert all(src.startswith("data:image/svg+xml") for src in state["figureSources"])
    assert sort["up"] == sorted(sort["up"]) and sort["down"] == sorted(sort["down"], reverse=True)
    png = screenshot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    print(f"screenshot: {screenshot}")


def test_multi_dataset_report_with_statistics_in_headless_chromium(tmp_path: Path) -> None:
    """Three methods on three datasets with two initialisation seeds: the statistics sections,
    heatmap, critical-difference diagram and seed spread all render, offline, without errors."""
    binary = find_browser()
    if binary is None:
        pytest.skip("no Chromium/Chrome installed (apt-get install chromium)")
    from test_report import small_run

    from grnbench.report.render import write_report

    run = small_run(tmp_path / "run", "random,correlation,grnboost2:n_estimators=60,learning_rate=0.1",
                    "standard", "--seeds", "0,1", dataset="dream4-10-1,dream4-10-2,dream4-10-3")
    report = write_report(run)
    state, sort, problems = open_report(report, tmp_path / "report.png", binary)
    assert problems == [], f"console errors or network requests: {problems}"
    assert {"sec-statistics", "sec-across", "sec-seeds"} <= set(state["sections"])
    assert state["comparisonRows"] == 9
    # AUPR bars, 3 × (PR + ROC), heatmap, CD diagram, seed spread
    assert state["figures"] == 10 and state["figuresLoaded"] == 10, state
    assert all(src.startswith("data:image/svg+xml") for src in state["figureSources"])
    assert sort["up"] == sorted(sort["up"]) and sort["down"] == sorted(sort["down"], reverse=True)
