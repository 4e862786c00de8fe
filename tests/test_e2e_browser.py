"""The query page in a real browser: headless Chromium opens `/`, runs a named query, reads it.

Runs wherever Debian's `chromium` and `chromium-driver` are installed (`make e2e`
installs them); elsewhere it is skipped with that reason.
"""

from __future__ import annotations

import pytest

from etl.queries import named_queries, run_query

from .browser import start_chromium

pytestmark = pytest.mark.e2e


@pytest.fixture
def browser(tmp_path):
    driver = start_chromium(tmp_path / "profile")
    yield driver
    driver.quit()


def test_page_runs_a_named_query_and_shows_the_table(server, examples_run, browser):
    import pyoxigraph
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    out, _ = examples_run
    store = pyoxigraph.Store.read_only(str(out / "store"))
    expected = list(run_query(store, named_queries()["article-overview"]))

    browser.get(server.url + "/")
    wait = WebDriverWait(browser, 20)
    button = wait.until(
        ready.element_to_be_clickable(
            (By.CSS_SELECTOR, '#queries button[data-name="article-overview"]')
        )
    )
    assert len(browser.find_elements(By.CSS_SELECTOR, "#queries button")) == len(named_queries())
    button.click()
    wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, "#result-table tbody tr")))
    headers = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#result-table th")]
    rows = browser.find_elements(By.CSS_SELECTOR, "#result-table tbody tr")
    assert len(rows) == len(expected) > 0
    assert "article" in headers
    column = headers.index("article")
    shown = sorted(row.find_elements(By.TAG_NAME, "td")[column].text for row in rows)
    assert shown == sorted(solution["article"].value for solution in expected)
    links = [
        a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#downloads a")
    ]
    assert any(link.endswith("/queries/article-overview?format=csv") for link in links), links
    assert "row(s)" in browser.find_element(By.ID, "status").text
