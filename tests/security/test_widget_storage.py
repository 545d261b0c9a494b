"""Issue 22: a stale web chat transcript is dropped, also from the storage: on a shared
computer the next person must not find the previous conversation (or its session id) in
``localStorage`` after 60 idle minutes. (The storage is the widget frame's, on the
assistant's origin, since the site's scripts must not read it.) The real widget in headless
Chromium on the demo site, with the real servers; fails if the stale transcript survives."""

from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import expect

from tests.channels.conftest import browser  # noqa: F401 - fixture
from tests.channels.test_widget_browser import (  # noqa: F401
    chat_frame,
    in_frame,
    site,
    widget_frame,
)

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
        expect(page.locator("klbot-widget .launcher")).to_be_visible()
        in_frame(
            page,
            "([t, s]) => { localStorage.setItem('klbot.transcript', t);"
            " localStorage.setItem('klbot.session_id', s); }",
            [json.dumps(STALE), "a" * 32 + "." + "b" * 32],
        )
        page.reload()
        expect(page.locator("klbot-widget .launcher")).to_be_visible()
        chat = chat_frame(page)
        frame = widget_frame(page)  # loaded: the chat core has run
        stored = (
            "() => [localStorage.getItem('klbot.transcript'),"
            " localStorage.getItem('klbot.session_id')]"
        )
        assert frame.evaluate(stored) == [None, None]
        page.locator("klbot-widget .launcher").click()
        expect(chat.locator(".msg-user")).to_have_count(0)
    finally:
        context.close()
