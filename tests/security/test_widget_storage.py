"""Issue 22: a stale web chat transcript is dropped, also from the site's storage: on a
shared computer the next person must not find the previous conversation (or its session
id) in ``localStorage`` after 60 idle minutes. The real widget in headless Chromium on the
demo site, with the real servers; fails if the stale transcript survives."""

from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import expect

from tests.channels.conftest import browser  # noqa: F401 - fixture
from tests.channels.test_widget_browser import site  # noqa: F401 - fixture

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.slow]

STALE = {
    "updatedAt": int((time.time() - 61 * 60) * 1000),
    "messages": [{"from": "user", "text": "Jeg vil slette opplysningene mine"}],
}


def test_a_stale_transcript_is_dropped_from_the_sites_storage(site, browser):  # noqa: F811
    context = browser.new_context(locale="nb-NO")
    page = context.new_page()
    try:
        page.goto(site["allowed"] + "/index.html")
        page.evaluate(
            "([t, s]) => { localStorage.setItem('klbot.transcript', t);"
            " localStorage.setItem('klbot.session_id', s); }",
            [json.dumps(STALE), "a" * 32],
        )
        page.reload()
        expect(page.locator("klbot-widget .launcher")).to_be_visible()
        page.wait_for_function("() => localStorage.getItem('klbot.transcript') === null")
        assert page.evaluate("localStorage.getItem('klbot.session_id')") is None
        page.locator("klbot-widget .launcher").click()
        expect(page.locator("klbot-widget .msg-user")).to_have_count(0)
    finally:
        context.close()
