"""The report of the seed articles in headless Chromium: it renders, and fetches nothing.

Needs Debian's `chromium` and `chromium-driver` (`make e2e` installs them); skipped with
that reason where they are absent.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from etl.pipeline import RunReport

from .browser import start_chromium

pytestmark = [pytest.mark.e2e, pytest.mark.seeds]


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    profile = tmp_path_factory.mktemp("chromium-profile")
    driver = start_chromium(profile, "--window-size=1280,1600", log_requests=True)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _requests(driver) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(document URL, requested URL) of every request since the log was last read."""
    found = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            params = message["params"]
            found.append((params.get("documentURL", ""), params["request"]["url"]))
    return found


def test_seeds_report_renders_offline(
    browser, seeds_run: tuple[Path, RunReport], tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    out, report = seeds_run
    page = (out / "report.html").resolve()
    _requests(browser)  # drop what the browser's own start page requested
    browser.get(page.as_uri())
    assert browser.title == "conflict-kg report"

    shot = tmp_path / "report.png"
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000

    sources = browser.find_elements(By.CSS_SELECTOR, "table.sources tbody tr")
    assert len(sources) == len([r for r in report.inputs if r.status == "ok"]) == 5
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart")
    assert len(charts) >= 3
    for chart in charts:
        assert chart.size["width"] > 300 and chart.size["height"] > 50
        assert chart.find_elements(By.CSS_SELECTOR, "circle")
    network = browser.find_element(By.CSS_SELECTOR, "svg.network")
    assert len(network.find_elements(By.CSS_SELECTOR, "circle")) >= 5
    assert browser.find_elements(By.CSS_SELECTOR, "table.conflict-group")
    assert browser.find_elements(By.CSS_SELECTOR, "table.timeline tbody tr")
    lineage = browser.find_element(By.CSS_SELECTOR, "table.lineage").text
    assert "000_" in lineage and "001_" in lineage
    marks = browser.find_elements(By.CSS_SELECTOR, "article mark strong.figure")
    assert marks and marks[0].is_displayed()

    requests = _requests(browser)
    by_page = [url for document, url in requests if document == page.as_uri()]
    assert page.as_uri() in by_page, "the performance log records the page itself"
    assert all(url.startswith(("file://", "data:")) for url in by_page), by_page
    outside = [url for _, url in requests if url.split(":", 1)[0] in {"http", "https", "ws", "wss"}]
    assert outside == [], outside


def test_the_request_log_would_catch_a_fetch(browser, tmp_path: Path) -> None:
    """Control: a page that loads an image from a (closed) local port shows up in the log."""
    page = tmp_path / "fetches.html"
    page.write_text('<!DOCTYPE html><title>t</title><img src="http://127.0.0.1:9/x.png">')
    _requests(browser)
    browser.get(page.as_uri())
    assert "http://127.0.0.1:9/x.png" in [url for _, url in _requests(browser)]
