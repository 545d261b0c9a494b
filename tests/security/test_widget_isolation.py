"""Issue 22 item 8, performed as attacks on the real widget in headless Chromium, on the demo
site, with the real servers (Rasa + action server):

- a script of the company's site (a third-party tag, say) cannot read the conversation: the
  transcript and session id live in the widget's frame, on the assistant's own origin;
- postMessage from a wrong origin does nothing: not to the host page's widget (a frame of
  another origin cannot close the panel or mark it unread), not to the frame (a message
  claiming another origin does not open the chat), and no other site can embed the frame;
- a forged or client-chosen session id does not continue another conversation (session
  fixation): the server issues a new one, and the victim's conversation gets nothing.

Each fails if the attack succeeds."""

from __future__ import annotations

import asyncio
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import httpx
import pytest
import socketio
from playwright.sync_api import expect

from tests.channels.conftest import ANSWER_TIMEOUT, browser  # noqa: F401 - fixture
from tests.channels.test_widget_browser import (  # noqa: F401 - fixture
    chat_frame,
    site,
    widget_frame,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.slow]

PRIVATE_QUESTION = "Jeg heter Kari Nordmann og vil slette alt om meg"

# what a script on the host page can reach: every storage, cookie, the widget's DOM and frame
HOST_SNOOP = """() => {
  const dump = s => { const out = {}; for (let i = 0; i < s.length; i++) {
      const k = s.key(i); out[k] = s.getItem(k); } return out; };
  const host = document.querySelector('klbot-widget');
  const frame = host.shadowRoot.querySelector('iframe');
  let frameStorage = 'unreadable', frameDocument = 'unreadable';
  try { frameStorage = JSON.stringify(dump(frame.contentWindow.localStorage)); } catch (e) {}
  try { frameDocument = frame.contentDocument ? frame.contentDocument.body.innerText : null; }
  catch (e) {}
  return { local: JSON.stringify(dump(localStorage)), session: JSON.stringify(dump(sessionStorage)),
    cookie: document.cookie, shadow: host.shadowRoot.innerHTML, body: document.body.innerHTML,
    frameStorage: frameStorage, frameDocument: frameDocument, frameSrc: frame.src };
}"""


def test_a_script_on_the_host_page_cannot_read_the_transcript_or_session_id(site, browser):  # noqa: F811
    context = browser.new_context(locale="nb-NO")
    page = context.new_page()
    try:
        page.goto(site["allowed"] + "/index.html")
        page.locator("klbot-widget .launcher").click()
        chat = chat_frame(page)
        expect(chat.locator(".msg-bot").first).to_be_visible(timeout=ANSWER_TIMEOUT)
        chat.locator("#klbot-input").fill(PRIVATE_QUESTION)
        chat.locator("#klbot-input").press("Enter")
        expect(chat.locator(".msg-bot")).not_to_have_count(1, timeout=ANSWER_TIMEOUT)
        # control: the frame (the assistant's origin) does keep the conversation
        kept = chat.locator("body").evaluate(
            "() => [localStorage.getItem('klbot.transcript'),"
            " localStorage.getItem('klbot.session_id')]"
        )
        assert kept[0] and "Kari Nordmann" in kept[0] and kept[1]
        token = kept[1]

        # the site's own script, on this page and on the next page of the site
        for url in (None, site["allowed"] + "/kundeservice.html"):
            if url:
                page.goto(url)
                expect(chat_frame(page).locator(".msg-user").first).to_contain_text("Kari")
            seen = page.evaluate(HOST_SNOOP)
            assert seen["frameStorage"] == "unreadable" and seen["frameDocument"] in (
                "unreadable",
                None,
            )
            everything = json.dumps(seen)
            assert "Kari" not in everything, "the host page can read the transcript"
            assert token not in everything and token.split(".")[0] not in everything, (
                "the host page can read the session id"
            )
    finally:
        context.close()


def test_postmessage_from_a_wrong_origin_is_ignored_by_the_widget(site, browser):  # noqa: F811
    """The frame's own messages (close, unread, ready), but from another origin (a frame of
    an ad network on the site, say) or from another window than the widget's frame: the
    panel stays open and is not marked unread. (The messages are dispatched with the
    origin and source they claim: a browser fills those in for a real postMessage.)"""
    context = browser.new_context(locale="nb-NO")
    page = context.new_page()
    forge = """([origin, own]) => { const frame = document.querySelector('klbot-widget')
        .shadowRoot.querySelector('iframe');
      for (const m of ['close', 'unread', 'ready']) window.dispatchEvent(new MessageEvent(
        'message', {data: {klbot: m}, origin: origin,
                    source: own ? frame.contentWindow : window})); }"""
    try:
        page.goto(site["allowed"] + "/index.html")
        launcher = page.locator("klbot-widget .launcher")
        launcher.click()
        panel = page.locator("klbot-widget .panel")
        expect(panel).to_be_visible()
        expect(chat_frame(page).locator(".msg-bot").first).to_be_visible(timeout=ANSWER_TIMEOUT)
        assistant = site["assistant"].url
        for origin, own in (
            ("https://evil.example", True),
            (site["refused"], True),
            (site["allowed"], True),  # the host page's own origin is not the frame's
            ("null", True),
            (assistant, False),  # the right origin, but not from the widget's frame
        ):
            page.evaluate(forge, [origin, own])
        page.wait_for_timeout(1000)
        expect(panel).to_be_visible()
        assert "unread" not in (launcher.get_attribute("class") or "")
        # control: the same message from the frame's origin and window does close it
        page.evaluate(forge, [assistant, True])
        expect(panel).to_be_hidden()
        # and the real frame's close button too
        launcher.click()
        expect(panel).to_be_visible()
        chat_frame(page).locator("#klbot-close").click()
        expect(panel).to_be_hidden()
    finally:
        context.close()


def test_postmessage_claiming_another_origin_does_not_open_the_frame(site, browser):  # noqa: F811
    context = browser.new_context(locale="nb-NO")
    page = context.new_page()
    try:
        page.goto(site["allowed"] + "/index.html")
        expect(page.locator("klbot-widget .launcher")).to_be_visible()
        frame = widget_frame(page)
        forge = (
            "origin => window.dispatchEvent(new MessageEvent('message',"
            " {data: {klbot: 'open', focus: true}, origin: origin, source: window.parent}))"
        )
        for wrong in ("https://evil.example", site["refused"], site["assistant"].url, "null"):
            frame.evaluate(forge, wrong)
        frame.wait_for_timeout(2000)
        assert frame.locator(".msg").count() == 0, "a wrong origin opened the chat"
        # control: the same message from the host page's origin opens it (it connects)
        frame.evaluate(forge, site["allowed"])
        expect(frame.locator(".msg-bot")).to_have_count(1, timeout=ANSWER_TIMEOUT)
    finally:
        context.close()


def test_no_other_site_can_embed_the_frame(site, browser):  # noqa: F811
    assistant = site["assistant"].url
    frame_url = assistant + "/webhooks/webchat/frame?origin=" + quote(site["allowed"], safe="")
    # the server makes no frame for an origin that is not allowed
    for origin in (site["refused"], "https://evil.example", "null", "x\r\nSet-Cookie: a=b", ""):
        refused = httpx.get(
            assistant + "/webhooks/webchat/frame?origin=" + quote(origin, safe=""), timeout=30
        )
        assert refused.status_code == 403, origin
    served = httpx.get(frame_url, timeout=30)
    assert served.status_code == 200
    assert f"frame-ancestors {site['allowed']}" in served.headers["content-security-policy"]
    # a page of another origin embeds the frame made for the allowed site: the browser refuses
    context = browser.new_context(locale="nb-NO")
    page = context.new_page()
    try:
        page.goto(site["refused"] + "/index.html")
        page.evaluate(
            """src => { window.__ready = false; window.addEventListener('message',
                 () => { window.__ready = true; });
               const f = document.createElement('iframe'); f.src = src;
               document.body.appendChild(f); }""",
            frame_url,
        )
        page.wait_for_timeout(3000)
        assert page.evaluate("window.__ready") is False, "the frame ran inside another site"
    finally:
        context.close()


async def _session(url: str, requested):
    client = socketio.AsyncClient(reconnection=False)
    confirmed = asyncio.get_running_loop().create_future()
    inbox: asyncio.Queue = asyncio.Queue()

    @client.on("session_confirm")
    async def on_confirm(session_id):
        if not confirmed.done():
            confirmed.set_result(session_id)

    @client.on("bot_uttered")
    async def on_bot(message):
        await inbox.put(message)

    await client.connect(url, socketio_path="/socket.io", wait_timeout=20, transports=["polling"])
    await client.emit("session_request", {"session_id": requested})
    return client, await asyncio.wait_for(confirmed, 20), inbox


def test_a_forged_session_id_does_not_continue_another_conversation(site):  # noqa: F811
    """The victim has a conversation; the attacker knows its id (a shared screen, a log) and
    names it with a made-up signature, or plants a 32-hex id of their choosing: each time
    the server issues a new conversation, and the victim's conversation gets no message and
    sends the attacker no reply."""
    url = site["assistant"].url

    async def attack():
        victim, token, victim_inbox = await _session(url, None)
        victim_id = token.split(".")[0]
        await victim.emit("user_uttered", {"message": "hei", "session_id": token})
        await asyncio.wait_for(victim_inbox.get(), 60)
        for forged in (victim_id, victim_id + "." + "0" * 32, uuid.uuid4().hex):
            attacker, issued, inbox = await _session(url, forged)
            try:
                assert issued.split(".")[0] != victim_id, forged
                await attacker.emit("user_uttered", {"message": "Hva vet dere om meg?"})
                await attacker.emit(
                    "user_uttered", {"message": "slett meg", "session_id": victim_id}
                )
                reply = await asyncio.wait_for(inbox.get(), 60)  # its own, new conversation
                assert reply
            finally:
                await attacker.eio.disconnect(abort=True)
        await victim.eio.disconnect(abort=True)
        return victim_id

    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API holds this thread's loop
        victim_id = pool.submit(asyncio.run, attack()).result()
    said = [
        e.get("text")
        for e in site["assistant"].tracker(victim_id)["events"]
        if e["event"] == "user"
    ]
    assert said == ["hei"], said
