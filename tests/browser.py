"""Headless Chromium for the browser tests, from Debian's `chromium` and `chromium-driver`.

`make e2e` installs them; where they are absent the tests that need them skip with
that reason.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# The machine's network is closed: every background connection Chromium would try is off.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def start_chromium(profile: Path, *flags: str, log_requests: bool = False) -> Any:
    """A Selenium driver of headless Chromium with a fresh profile, or a skip with the reason."""
    if not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()):
        pytest.skip(
            f"needs {CHROMIUM} and {CHROMEDRIVER} (Debian packages chromium and "
            "chromium-driver; `make e2e` installs them)"
        )
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is a dev dependency")
    os.environ["SE_OFFLINE"] = "true"  # never let Selenium look for drivers on the network
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}", *flags):
        options.add_argument(flag)
    if log_requests:  # the DevTools performance log records every request the page makes
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    service = webdriver.ChromeService(executable_path=str(CHROMEDRIVER))
    return webdriver.Chrome(options=options, service=service)
