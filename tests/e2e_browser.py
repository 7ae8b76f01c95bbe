"""End-to-end check of the running app in a real browser (Debian's chromium driven by Playwright).

Used by tests/test_browser.py, which starts and stops the server. To run it by hand against a server
that is already up::

    .venv/bin/python tests/e2e_browser.py http://127.0.0.1:8501 /tmp/e2e-out

Never run ``playwright install``: the browser is /usr/bin/chromium (``apt-get install chromium``).
Every request that does not go to this machine is aborted and reported.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
TIMEOUT_MS = 30_000
ROW_PX = 35  # header and row height of st.data_editor's grid


class E2EFailure(AssertionError):
    pass


def wait_for_app_run(page) -> None:
    """Wait until the websocket is connected and the script run triggered by the last action is over."""
    page.wait_for_timeout(250)  # the state attribute may still show the previous run's notRunning
    page.locator("[data-testid=stApp][data-test-connection-state=CONNECTED]").wait_for(timeout=TIMEOUT_MS)
    page.locator("[data-testid=stApp][data-test-script-state=notRunning]").wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function("() => document.querySelectorAll('[data-testid=stSkeleton]').length === 0",
                           timeout=TIMEOUT_MS)
    page.wait_for_timeout(100)


def metric_value(page, label: str) -> str:
    m = page.get_by_test_id("stMetric").filter(has_text=label).first
    return m.get_by_test_id("stMetricValue").inner_text().strip()


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()
    wait_for_app_run(page)


def edit_cell(page, editor, row: int, col: int, value: str) -> None:
    """Type ``value`` into cell (row, col) of a data editor (col 0 = the row labels), the way that works
    with the canvas grid: select the row's label cell, move right with the keyboard, open the overlay
    editor with Enter, fill it, commit with Enter."""
    from playwright.sync_api import expect

    cell = editor.locator(f'[id="glide-cell-{col}-{row}"]')
    for attempt in range(4):  # under CPU load a click can land while a rerun redraws the grid
        editor.scroll_into_view_if_needed()
        box = editor.bounding_box()
        if box is None:
            raise E2EFailure("the data editor has no bounding box (not visible)")
        page.mouse.click(box["x"] + 25, box["y"] + ROW_PX + ROW_PX * row + ROW_PX / 2)
        page.wait_for_timeout(150)
        for _ in range(col):
            page.keyboard.press("ArrowRight")
        try:
            expect(cell).to_have_attribute("aria-selected", "true", timeout=3_000)
            break
        except AssertionError:
            if attempt == 3:
                raise
            page.keyboard.press("Escape")
            wait_for_app_run(page)
    page.keyboard.press("Enter")
    overlay = page.locator("[data-testid=portal] .gdg-input, .gdg-input").first
    overlay.wait_for(state="visible", timeout=TIMEOUT_MS)
    overlay.fill(value)
    page.keyboard.press("Enter")
    wait_for_app_run(page)


def run_e2e(url: str, out_dir: str | Path, server_log: str | Path | None = None) -> dict:
    """Drive the app at ``url``; raises E2EFailure (an AssertionError) on the first failed check.
    Returns timings and the paths of the screenshot and the downloaded ledger."""
    from playwright.sync_api import expect, sync_playwright

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    expect.set_options(timeout=TIMEOUT_MS)
    outside: list[str] = []
    page_errors: list[str] = []
    report: dict = {}

    def guard(route):
        host = urlparse(route.request.url).hostname or ""
        if host in LOCAL_HOSTS or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    profile = tempfile.mkdtemp(prefix="chutalas-chromium-")
    try:
        with sync_playwright() as p:
            ctx = p.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                viewport={"width": 1400, "height": 1600}, accept_downloads=True)
            try:
                ctx.route("**/*", guard)
                page = ctx.pages[0] if ctx.pages else ctx.new_page()
                page.on("pageerror", lambda exc: page_errors.append(str(exc)))

                # 1. opens on Chu, normal year, already solved
                t0 = time.perf_counter()
                page.goto(url)
                chart = page.get_by_test_id("stPlotlyChart").first
                chart.locator(".main-svg").first.wait_for(state="visible", timeout=TIMEOUT_MS)
                report["first_chart_s"] = round(time.perf_counter() - t0, 2)
                wait_for_app_run(page)
                expect(chart.locator(".scatterlayer .trace")).to_have_count(2)  # the two entitlement lines
                expect(chart.locator(".barlayer .trace")).to_have_count(2)  # KG and KZ received
                expect(page.get_by_text(re.compile(r"Chu \(Shu\) · normal year · 12 months"))).to_be_visible()
                inflow_before = metric_value(page, "Natural inflow")
                kz_before = metric_value(page, "KZ received")

                # 1b. a second page on the same server is a second session (its own websocket and state)
                other = ctx.new_page()
                other.on("pageerror", lambda exc: page_errors.append(f"second page: {exc}"))
                other.goto(url)
                other.get_by_test_id("stPlotlyChart").first.locator(".main-svg").first.wait_for(
                    state="visible", timeout=TIMEOUT_MS)
                wait_for_app_run(other)
                if (metric_value(other, "KZ received"), metric_value(other, "Natural inflow")) != \
                        (kz_before, inflow_before):
                    raise E2EFailure("a second session did not open on the default solution")

                # 2. a valid edit of an inflow cell is solved at once (a background page draws nothing:
                # bring the first one to the front)
                page.bring_to_front()
                open_tab(page, "Inputs")
                editor = page.get_by_test_id("stDataFrame").first
                t1 = time.perf_counter()
                edit_cell(page, editor, row=0, col=1, value="500")
                expect(editor.locator('[id="glide-cell-1-0"]')).to_have_text(re.compile(r"^500(\.00)?$"))
                expect(page.get_by_text("1 value differs from the basin defaults.")).to_be_visible()
                report["edit_to_solution_s"] = round(time.perf_counter() - t1, 2)
                inflow_after = metric_value(page, "Natural inflow")
                if inflow_after == inflow_before:
                    raise E2EFailure(f"the edit did not change the solved inflow ({inflow_before})")

                # 2b. the other session does not see the edit, even after a rerun of its own
                other.bring_to_front()
                other.get_by_role("button", name="Solve", exact=True).click()
                wait_for_app_run(other)
                expect(other.get_by_text(re.compile(r"Chu \(Shu\) · normal year · 12 months"))).to_be_visible()
                seen = (metric_value(other, "KZ received"), metric_value(other, "Natural inflow"))
                report["second_session"] = {"kz_received": seen[0], "natural_inflow": seen[1],
                                            "edited_session_inflow": inflow_after}
                if seen != (kz_before, inflow_before):
                    raise E2EFailure(f"the second session sees the first one's edit: {seen} != "
                                     f"{(kz_before, inflow_before)}")
                if other.get_by_test_id("stException").count():
                    raise E2EFailure("the second page shows an exception")
                other.close()
                page.bring_to_front()

                # 3. an invalid edit is reported next to its table, naming the cell; the solution stays
                kz_edited = metric_value(page, "KZ received")
                edit_cell(page, editor, row=1, col=1, value="-5")
                expect(page.get_by_text(re.compile(r"row Feb, column Chu headwaters into Orto-Tokoy"))).to_be_visible()
                expect(page.get_by_text(re.compile("last valid one"))).to_be_visible()
                if metric_value(page, "KZ received") != kz_edited:
                    raise E2EFailure("an invalid edit replaced the last valid solution")
                page.screenshot(path=str(out / "inputs_invalid.png"))
                edit_cell(page, editor, row=1, col=1, value="13")
                expect(page.get_by_text(re.compile(r"row Feb, column Chu headwaters into Orto-Tokoy"))).to_have_count(0)

                # 4. back to the allocation chart
                open_tab(page, "Allocation")
                chart = page.get_by_test_id("stPlotlyChart").first
                chart.locator(".main-svg").first.wait_for(state="visible", timeout=TIMEOUT_MS)
                expect(chart.locator(".barlayer .trace")).to_have_count(2)
                expect(chart.get_by_text("hm³/month").first).to_be_attached()
                report["kz_received_hm3"] = {"default": kz_before, "edited": metric_value(page, "KZ received")}
                shot = out / "allocation.png"
                page.screenshot(path=str(shot))
                report["screenshot"] = str(shot)

                # 5. the compliance ledger and its CSV download
                open_tab(page, "Compliance & costs")
                ledger = page.get_by_test_id("stTable").first
                expect(ledger).to_contain_text("1983 shares of the Chu")  # rules by name, not id
                expect(ledger).to_contain_text("KZ's vegetation-period volume (Apr–Sep)")
                expect(ledger).not_to_contain_text("chu_1983_shares")
                with page.expect_download(timeout=TIMEOUT_MS) as dl_info:
                    page.get_by_role("button", name="Download the ledger (CSV)").click()
                csv_path = out / "ledger.csv"
                dl_info.value.save_as(str(csv_path))
                header = csv_path.read_text(encoding="utf-8").splitlines()[0]
                if not header.startswith("rule,kind,party,role,period"):
                    raise E2EFailure(f"unexpected ledger CSV header: {header!r}")
                report["ledger_csv"] = str(csv_path)
                page.screenshot(path=str(out / "compliance.png"))

                # 6. the trade-offs tab: the frontier (line + agreement point), then the alternative agreements
                t2 = time.perf_counter()
                open_tab(page, "Trade-offs")
                chart = page.get_by_test_id("stPlotlyChart").first
                chart.locator(".main-svg").first.wait_for(state="visible", timeout=TIMEOUT_MS)
                expect(chart.locator(".scatterlayer .trace")).to_have_count(2)
                expect(chart.get_by_text("KZ receipts over the horizon (hm³)")).to_be_attached()
                expect(page.get_by_text(re.compile("on the frontier KG could have"))).to_be_visible()
                report["tradeoffs_s"] = round(time.perf_counter() - t2, 2)
                page.screenshot(path=str(out / "tradeoffs.png"))
                open_tab(page, "Alternative agreements")
                chart = page.get_by_test_id("stPlotlyChart").first
                chart.locator(".main-svg").first.wait_for(state="visible", timeout=TIMEOUT_MS)
                expect(chart.locator(".barlayer .trace")).to_have_count(4)
                page.screenshot(path=str(out / "tradeoffs_alternatives.png"))

                # 7. no exception anywhere
                text = page.get_by_test_id("stApp").inner_text()
                if "Traceback" in text or page.get_by_test_id("stException").count():
                    raise E2EFailure("the page shows an exception:\n" + text[:2000])
            finally:
                ctx.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if outside:
        raise E2EFailure(f"requests left the machine (aborted): {outside}")
    if page_errors:
        raise E2EFailure(f"JavaScript errors in the page: {page_errors}")
    if server_log is not None:
        log = Path(server_log).read_text(encoding="utf-8", errors="replace")
        if "Traceback" in log:
            raise E2EFailure("Traceback in the server log:\n" + log[-4000:])
    return report


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    result = run_e2e(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="e2e-"))
    print(result)
    print("e2e: 1 passed, 0 failed")
