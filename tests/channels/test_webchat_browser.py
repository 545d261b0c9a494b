"""The web chat in a real headless Chromium (Playwright), phone-sized.

Open the page, read the privacy notice, ask a policy question, reload (the conversation is
kept), click buttons, complete an e-mail opt-out and find it in the register's suppression
list; a screenshot goes to tests/artifacts/. Skips, saying why, when Chromium is missing.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.channels.conftest import ANSWER_TIMEOUT, ARTIFACTS
from tests.support.servers import klbot

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.slow]


def test_web_chat_on_a_phone_keeps_the_conversation_and_completes_an_opt_out(channels, browser):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="nb-NO"
    )
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda msg: problems.append(f"console: {msg.text}") if msg.type == "error" else None,
    )
    external = []
    page.on(
        "request",
        lambda request: (
            external.append(request.url)
            if not request.url.startswith((channels.url, "data:"))
            else None
        ),
    )
    try:
        page.goto(channels.url + "/webhooks/webchat/")

        # the privacy notice is visible and links to the policy, which is served
        notice = page.locator("#klbot-privacy")
        expect(notice).to_be_visible()
        expect(notice).to_contain_text("Personvern")
        link = page.locator("#klbot-policy-link")
        expect(link).to_be_visible()
        policy = page.request.get(channels.url + link.get_attribute("href"))
        assert policy.ok and "Hvilke personopplysninger" in policy.text()

        # a policy question gets its answer
        bot = page.locator(".msg-bot .bubble")
        expect(bot.first).to_contain_text("personvernassistenten")
        page.fill("#klbot-input", "Hvor lenge lagrer dere opplysningene mine?")
        page.press("#klbot-input", "Enter")
        expect(page.locator(".msg-user").last).to_contain_text("Hvor lenge lagrer")
        # the answer, then its offer («Vil du vite mer?») as a message of its own
        expect(bot.filter(has_text="lagres")).to_have_count(1, timeout=ANSWER_TIMEOUT)
        expect(bot.last).to_contain_text("Vil du vite mer?", timeout=ANSWER_TIMEOUT)
        answered = bot.count()
        session_id = page.evaluate("localStorage.getItem('klbot.session_id')")
        assert session_id and len(session_id) == 65, "the server's signed id: <id>.<signature>"
        conversation = session_id.split(".")[0]

        # reload: same session, same transcript, and the server still has the conversation
        page.reload()
        expect(page.locator(".msg-user").first).to_contain_text("Hvor lenge lagrer")
        expect(bot).to_have_count(answered)
        assert page.evaluate("localStorage.getItem('klbot.session_id')") == session_id
        url = channels.api_url(f"/conversations/{conversation}/tracker")
        tracker = page.request.get(url).json()
        assert any(e["event"] == "user" for e in tracker["events"])

        # a button from the bot: the greeting's "Mine rettigheter"
        page.fill("#klbot-input", "hei")
        page.press("#klbot-input", "Enter")
        rights = page.locator(".msg-bot .buttons button", has_text="Mine rettigheter").last
        expect(rights).to_be_enabled(timeout=ANSWER_TIMEOUT)
        rights.click()
        expect(page.locator(".msg-user").last).to_have_text("Du: Mine rettigheter")
        expect(bot.filter(has_text="innsyn").last).to_be_visible(timeout=ANSWER_TIMEOUT)
        expect(rights).to_be_disabled()

        # an opt-out from e-mail marketing, to the end
        page.fill("#klbot-input", "Jeg vil ikke ha mer reklame fra dere")
        page.press("#klbot-input", "Enter")
        email_button = page.locator(".msg-bot .buttons button", has_text="E-post").last
        expect(email_button).to_be_enabled(timeout=ANSWER_TIMEOUT)
        email_button.click()
        expect(bot.last).to_contain_text("e-postadresse", timeout=ANSWER_TIMEOUT)
        asked = bot.count()
        page.fill("#klbot-input", "Lise.Berg@Example.NO")
        page.press("#klbot-input", "Enter")
        expect(bot).not_to_have_count(asked, timeout=ANSWER_TIMEOUT)
        page.wait_for_timeout(1500)  # let the remaining messages of the turn arrive

        exported = klbot(channels.env, "suppressions", "export", "--channel", "email", "--json")
        assert "lise.berg@example.no" in [row["address"] for row in json.loads(exported.stdout)]

        # fits a phone: nothing wider than the screen
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "webchat-phone.png"), full_page=True)

        # "Ny samtale" forgets the conversation in this browser and starts a new session
        page.click("#klbot-reset")
        expect(page.locator(".msg-user")).to_have_count(0)
        expect(bot).to_have_count(1)
        new_session = page.evaluate("localStorage.getItem('klbot.session_id')")
        assert new_session and new_session != session_id
    finally:
        context.close()
    assert not external, f"the page fetched from elsewhere: {external}"
    assert not problems, problems
