# ruff: noqa: S105, S106 - test passwords
"""The staff inbox in a real headless Chromium on a 390-pixel phone: enrol from the link
``klbot staff add`` prints, read the key from the page, log in with a code computed from it,
find a ticket, work it to done with the buttons, see the customer's notice queued; a
complaint written as markup runs nothing; the keyboard shortcuts work."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pyotp
import pytest

from bot.register.db import session_scope
from bot.register.models import OutboxMessage
from tests.staff_web.test_inbox_attacks import EMAIL, PASSWORD, XSS, start_inbox, status_of, ticket
from tests.staff_web.test_inbox_attacks import stop as stop_inbox
from tests.support.missing import missing

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser():
    executable = CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")
    if not executable:
        missing("No Chromium at /usr/bin/chromium (`apt-get install chromium`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=["--no-sandbox"]
        )
        yield launched
        launched.close()


def serious_accessibility_problems(page) -> list:
    """axe-core's serious and critical findings on the page (none is the bar)."""
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page)
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


def test_a_new_office_worker_enrols_logs_in_and_works_a_ticket_on_a_phone(tmp_path, browser):
    inbox, proc = start_inbox(tmp_path)
    try:
        out = inbox.klbot("staff", "add", EMAIL, "--name", "Kjell Langsrud", "--role", "admin")
        link = re.search(r"^(http://\S+/enrol/\S+)$", out.stdout, re.M).group(1)
        ref = ticket(inbox, "access")
        hostile = ticket(inbox, "complaint", about=XSS)

        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
        page = context.new_page()
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        errors = []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))

        page.goto(link)
        page.fill("#password", PASSWORD)
        page.fill("#password_confirm", PASSWORD)
        page.click("button[type=submit]")
        secret = page.text_content("#totp-secret").strip()
        page.fill("#code", pyotp.TOTP(secret).now())
        page.click("button[type=submit]")
        codes = page.locator("#recovery-codes li").all_text_contents()
        assert len(codes) == 10

        inbox.forget_last_code()
        page.click("text=Logg inn")
        page.fill("#email", EMAIL)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.fill("#code", pyotp.TOTP(secret).now())
        page.click("button[type=submit]")
        page.wait_for_selector("#queue")
        assert page.url.rstrip("/") == inbox.url
        row = page.locator(".row", has_text=ref)
        assert re.search(r"om \d+ dager", row.text_content())
        # the queue fits the phone: no sideways scrolling
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], width

        assert serious_accessibility_problems(page) == []

        # keyboard: / goes to the search, j selects the first ticket
        page.keyboard.press("/")
        assert page.evaluate("document.activeElement.id") == "q"
        page.evaluate("document.activeElement.blur()")
        page.keyboard.press("j")
        assert page.evaluate("document.activeElement.classList.contains('ref')")

        page.click(f"a.ref:text('{ref}')")
        assert serious_accessibility_problems(page) == []
        for button in ("Ta saken", "Start behandling", "Ferdig – gi kunden beskjed"):
            target = page.locator("button", has_text=button)
            box = target.bounding_box()
            assert box["height"] >= 44, (button, box)  # large enough for a thumb
            target.click()
            page.wait_for_selector(".ok")
        assert status_of(inbox, ref) == "done"
        assert "Kjell Langsrud" in page.text_content("main")
        with session_scope(inbox.db) as s:
            assert [m for m in s.query(OutboxMessage) if ref in m.body and "ferdig" in m.body]

        page.goto(f"{inbox.url}/requests/{hostile}")
        assert XSS in page.text_content("main")  # shown as text ...
        assert serious_accessibility_problems(page) == []
        assert page.locator("main img").count() == 0  # ... never as an element
        assert not dialogs, dialogs
        assert not errors, errors  # nothing blocked by the CSP, no script error
        context.close()
    finally:
        stop_inbox(proc)


def test_keyboard_only_login_and_a_request_page_that_fits_a_phone(tmp_path, browser):
    from tests.staff_web.test_inbox_attacks import enrol

    inbox, proc = start_inbox(tmp_path)
    try:
        secret = enrol(inbox)
        ref = ticket(inbox, "correction", field="address", new_value="Storgata 1 " * 12)
        inbox.forget_last_code()
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
        page = context.new_page()
        page.goto(f"{inbox.url}/")  # no session: the login
        assert "/login" in page.url
        page.keyboard.type(EMAIL)  # the e-mail field has the focus
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_selector("#code")
        page.keyboard.type(pyotp.TOTP(secret).now())
        page.keyboard.press("Enter")
        page.wait_for_selector("#queue")
        page.keyboard.press("?")
        assert page.is_visible("#help")
        page.keyboard.press("Escape")
        assert not page.is_visible("#help")
        page.keyboard.press("j")
        page.keyboard.press("Enter")
        page.wait_for_selector("h1")
        assert ref in page.text_content("h1")
        assert "Registrert nå" in page.text_content("main")  # the correction side by side
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], width
        assert serious_accessibility_problems(page) == []
        context.close()
    finally:
        stop_inbox(proc)
