"""The chat widget on another site, in a real headless Chromium (Playwright).

A real assistant (Rasa + action server) and the demo site (``bot.channels.webchat.demo``) on
another port, whose pages carry the one ``<script>`` line and the Content-Security-Policy the
docs recommend. ``http://127.0.0.1:<demo>`` is an allowed origin; the very same pages as
``http://localhost:<demo>`` are another origin, one that is not allowed. Screenshots go to
tests/artifacts/. Skips, saying why, when Chromium is missing.
"""

from __future__ import annotations

import shutil
from typing import Dict, List

import httpx
import pytest
from playwright.sync_api import expect

from bot.channels.webchat.demo import SITE, make_server, serve_in_thread
from tests.channels.conftest import ANSWER_TIMEOUT, ARTIFACTS
from tests.support.servers import free_port, start_assistant

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.slow]

QUESTION = "Hvor lenge lagrer dere opplysningene mine?"
GREEN = "rgb(31, 93, 58)"  # the chat's own colour (#1f5d3a)

FRAME = "klbot-widget iframe"


def chat_frame(page):
    """The chat inside the widget's frame (on the assistant's origin)."""
    return page.frame_locator(FRAME)


def widget_frame(page):
    """The widget's frame (a Playwright Frame), once its page has loaded."""
    expect(chat_frame(page).locator("#klbot-log")).to_be_attached()
    frame = next(f for f in page.frames if "/webhooks/webchat/frame" in f.url)
    frame.wait_for_load_state("load")
    return frame


def in_frame(page, script: str, arg=None):
    """Run ``script`` (a function of one argument) in the widget's frame."""
    return chat_frame(page).locator("body").evaluate(f"(_, arg) => ({script})(arg)", arg)


FRAME_STORAGE = "() => localStorage.getItem('klbot.session_id')"


def focused(page):
    """The id of the focused element: in the shadow root, or inside the widget's frame."""
    where = page.evaluate(SHADOW_FOCUS)
    if where == "klbot-frame":
        return in_frame(page, "() => document.activeElement ? document.activeElement.id : null")
    return where


SHADOW_FOCUS = (
    "(() => { const h = document.querySelector('klbot-widget'); "
    "const a = h && h.shadowRoot.activeElement; "
    "return document.activeElement === h && a ? a.id : null; })()"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The assistant, and the demo site on an allowed origin and on a not-allowed one."""
    demo_port = free_port()
    allowed = f"http://127.0.0.1:{demo_port}"
    running = start_assistant(
        tmp_path_factory.mktemp("widget"), env_overrides={"KLBOT_WEB_ORIGINS": allowed}
    )
    # the demo site, plus one page that sets every option of the one line
    pages = tmp_path_factory.mktemp("site")
    for page in SITE.iterdir():
        shutil.copy(page, pages / page.name)
    index = (SITE / "index.html").read_text(encoding="utf-8")
    (pages / "options.html").write_text(
        index.replace(
            'widget.js" defer>',
            'widget.js" defer data-position="left" data-lang="en" '
            'data-greeting="Hello from the options page">',
        ),
        encoding="utf-8",
    )
    server = make_server("127.0.0.1", demo_port, running.url, site=pages)
    serve_in_thread(server)
    try:
        yield {
            "assistant": running,
            "allowed": allowed,
            "refused": f"http://localhost:{demo_port}",
        }
    finally:
        server.shutdown()
        server.server_close()
        running.stop()


def watch(page, site: Dict, problems: List[str], external: List[str]) -> None:
    """Collect page errors, console errors (CSP violations among them) and requests to
    anywhere but the site and the assistant."""
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda msg: problems.append(f"console: {msg.text}") if msg.type == "error" else None,
    )
    ours = (site["allowed"], site["refused"], site["assistant"].url, "data:")
    page.on(
        "request",
        lambda request: external.append(request.url) if not request.url.startswith(ours) else None,
    )


def session_events(site: Dict, session_id: str) -> List[str]:
    tracker = site["assistant"].tracker(session_id)
    return [e.get("text") for e in tracker["events"] if e["event"] == "user"]


def test_a_customer_asks_on_one_page_and_continues_on_the_next(site, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="nb-NO")
    page = context.new_page()
    problems: List[str] = []
    external: List[str] = []
    watch(page, site, problems, external)
    try:
        page.goto(site["allowed"] + "/index.html")
        launcher = page.locator("klbot-widget .launcher")
        expect(launcher).to_be_visible()
        expect(launcher).to_have_attribute("aria-expanded", "false")
        panel = page.locator("klbot-widget .panel")
        expect(panel).to_be_hidden()
        # nothing is connected (no socket) until the customer opens the chat
        assert in_frame(page, FRAME_STORAGE) is None
        chat = chat_frame(page)
        expect(chat.locator(".msg")).to_have_count(0)

        launcher.click()
        expect(panel).to_be_visible()
        expect(launcher).to_have_attribute("aria-expanded", "true")
        expect(chat.locator("#klbot-input")).to_be_focused()
        assert focused(page) == "klbot-input", "focus goes to the message field"

        # the privacy notice, before the first message: what is kept, how long, the policy
        notice = chat.locator("#klbot-privacy")
        expect(notice).to_be_visible()
        expect(notice).to_contain_text("90 dager")
        expect(notice).to_contain_text("Ny samtale")
        link = chat.locator("#klbot-policy-link")
        href = link.get_attribute("href")
        assert href == "/webhooks/webchat/personvern"  # the frame's own origin
        policy = page.request.get(site["assistant"].url + href)
        assert policy.ok and "Hvilke personopplysninger" in policy.text()

        bot = chat_frame(page).locator(".msg-bot .bubble")
        expect(bot.first).to_contain_text("personvernassistenten", timeout=ANSWER_TIMEOUT)
        chat_frame(page).locator("#klbot-input").fill(QUESTION)
        chat_frame(page).locator("#klbot-input").press("Enter")
        expect(chat_frame(page).locator(".msg-user").last).to_contain_text("Hvor lenge lagrer")
        # the answer, then its offer («Vil du vite mer?») as a message of its own
        answered = bot.filter(has_text="lagres")
        expect(answered).to_have_count(1, timeout=ANSWER_TIMEOUT)
        expect(bot.last).to_contain_text("Vil du vite mer?", timeout=ANSWER_TIMEOUT)
        answer = answered.inner_text()
        shown = bot.count()
        session_id = in_frame(page, FRAME_STORAGE)
        assert session_id and len(session_id) == 65
        conversation = session_id.split(".")[0]
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "widget-desktop.png"))

        # the customer follows a link of the site: the conversation is still there, open
        page.click("#to-service")
        page.wait_for_url("**/kundeservice.html")
        expect(page.locator("h1")).to_have_text("Kundeservice")
        expect(panel).to_be_visible()
        expect(chat_frame(page).locator(".msg-user").first).to_contain_text("Hvor lenge lagrer")
        expect(bot).to_have_count(shown)
        expect(answered).to_have_text(answer)
        assert in_frame(page, FRAME_STORAGE) == session_id

        # ... and goes on, in the same conversation on the server
        chat_frame(page).locator("#klbot-input").fill("Hvem er behandlingsansvarlig?")
        chat_frame(page).locator("#klbot-input").press("Enter")
        expect(chat_frame(page).locator(".msg-user")).to_have_count(2)
        expect(bot).not_to_have_count(shown, timeout=ANSWER_TIMEOUT)
        page.wait_for_timeout(1000)
        said = session_events(site, conversation)
        assert said[:1] == [QUESTION] and "Hvem er behandlingsansvarlig?" in said
        page.screenshot(path=str(ARTIFACTS / "widget-desktop-second-page.png"))
    finally:
        context.close()
    assert not external, f"fetched from a third party: {external}"
    assert not problems, problems


def test_on_a_phone_the_panel_fills_the_screen(site, browser):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="nb-NO"
    )
    page = context.new_page()
    problems: List[str] = []
    external: List[str] = []
    watch(page, site, problems, external)
    try:
        page.goto(site["allowed"] + "/index.html")
        launcher = page.locator("klbot-widget .launcher")
        expect(launcher).to_be_visible()
        box = launcher.bounding_box()
        assert box["x"] + box["width"] <= 390 and box["y"] + box["height"] <= 844
        assert box["height"] >= 44, "a touch target"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "widget-phone-closed.png"))
        launcher.tap()
        panel = page.locator("klbot-widget .panel")
        expect(panel).to_be_visible()
        assert panel.bounding_box() == {"x": 0, "y": 0, "width": 390, "height": 844}
        expect(chat_frame(page).locator("#klbot-privacy")).to_be_visible()
        bot = chat_frame(page).locator(".msg-bot .bubble")
        expect(bot.first).to_contain_text("personvernassistenten", timeout=ANSWER_TIMEOUT)
        chat_frame(page).locator("#klbot-input").fill(QUESTION)
        chat_frame(page).locator("#klbot-input").press("Enter")
        expect(bot.filter(has_text="lagres")).to_have_count(1, timeout=ANSWER_TIMEOUT)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(ARTIFACTS / "widget-phone.png"))
        # the panel covers the page, so Tab (a keyboard on a tablet/phone) stays inside it
        expect(panel).to_have_attribute("aria-modal", "true")
        chat_frame(page).locator("#klbot-input").focus()
        for _ in range(12):
            page.keyboard.press("Tab")
            assert focused(page), "focus left the full-screen panel"
    finally:
        context.close()
    assert not external, f"fetched from a third party: {external}"
    assert not problems, problems


CONTRAST = """(selectors) => {
  const host = document.querySelector('klbot-widget');
  const root = host ? host.shadowRoot : document;
  const rgb = c => c.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => { const f = v => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const background = el => { for (; el; el = el.parentElement || el.getRootNode().host) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c; } return [255, 255, 255]; };
  return selectors.map(sel => { const el = root.querySelector(sel);
    const a = lum(rgb(getComputedStyle(el).color)), b = lum(background(el));
    return [sel, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)]; });
}"""


def test_keyboard_only(site, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="nb-NO")
    page = context.new_page()
    try:
        page.goto(site["allowed"] + "/index.html")
        launcher = page.locator("klbot-widget .launcher")
        expect(launcher).to_be_visible()
        for _ in range(30):  # through the site's own links and buttons to the chat button
            page.keyboard.press("Tab")
            if focused(page) == "klbot-launcher":
                break
        assert focused(page) == "klbot-launcher", "reachable by Tab"
        assert launcher.get_attribute("aria-label")

        page.keyboard.press("Enter")
        panel = page.locator("klbot-widget .panel")
        expect(panel).to_be_visible()
        assert focused(page) == "klbot-input"
        expect(chat_frame(page).locator(".msg-bot").first).to_be_visible(timeout=ANSWER_TIMEOUT)
        page.keyboard.type(QUESTION)
        page.keyboard.press("Enter")
        bot = chat_frame(page).locator(".msg-bot .bubble")
        expect(bot.filter(has_text="lagres")).to_have_count(1, timeout=ANSWER_TIMEOUT)
        assert focused(page) == "klbot-input", "focus stays in the field"

        # text contrast (WCAG AA, 4.5:1) of every kind of text in the panel
        texts = [
            "#klbot-title", ".subtitle", "#klbot-reset", "#klbot-close", ".privacy-notice p",
            "#klbot-policy-link", ".msg-bot .bubble", ".msg-user .bubble", ".buttons button",
            "#klbot-input", ".composer button",
        ]  # fmt: skip
        for selector, ratio in in_frame(page, CONTRAST, texts):
            assert ratio >= 4.5, f"{selector}: contrast {ratio:.2f}"

        # Shift+Tab reaches the conversation log (scrollable by keyboard), Tab comes back
        for _ in range(15):
            page.keyboard.press("Shift+Tab")
            if focused(page) == "klbot-log":
                break
        assert focused(page) == "klbot-log"
        for _ in range(15):
            page.keyboard.press("Tab")
            if focused(page) == "klbot-input":
                break
        assert focused(page) == "klbot-input"

        # Escape closes the panel and gives focus back to the chat button; Enter reopens
        page.keyboard.press("Escape")
        expect(panel).to_be_hidden()
        expect(launcher).to_have_attribute("aria-expanded", "false")
        assert focused(page) == "klbot-launcher"
        ((_, ratio),) = page.evaluate(CONTRAST, ["#klbot-launcher"])
        assert ratio >= 4.5, f"chat button: contrast {ratio:.2f}"
        page.keyboard.press("Enter")
        expect(panel).to_be_visible()
        expect(chat_frame(page).locator(".msg-user").last).to_contain_text("Hvor lenge lagrer")
        # the close button, reached by keyboard, does the same
        for _ in range(20):
            page.keyboard.press("Shift+Tab")
            if focused(page) == "klbot-close":
                break
        assert focused(page) == "klbot-close"
        page.keyboard.press("Enter")
        expect(panel).to_be_hidden()
        assert focused(page) == "klbot-launcher"
    finally:
        context.close()


def test_a_page_on_an_origin_that_is_not_allowed_cannot_open_a_conversation(site, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="nb-NO")
    page = context.new_page()
    console: List[str] = []
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    assistant = site["assistant"].url
    open_socket = (
        "url => new Promise(done => { const ws = new WebSocket(url); "
        "ws.onmessage = m => { done('open: ' + String(m.data).slice(0, 2)); ws.close(); }; "
        "ws.onerror = () => done('refused'); setTimeout(() => done('timeout'), 10000); })"
    )
    ws_url = assistant.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    try:
        # control: the widget's frame on the allowed origin's page opens its socket
        page.goto(site["allowed"] + "/index.html")
        expect(page.locator("klbot-widget .launcher")).to_be_visible()
        assert in_frame(page, open_socket, ws_url) == "open: 0{"

        page.goto(site["refused"] + "/index.html")
        page.wait_for_function("window.KLBotWidget && window.KLBotWidget.state === 'refused'")
        expect(page.locator("h1")).to_have_text("Varme fra nærmiljøet")  # the site itself is fine
        assert page.locator("klbot-widget").count() == 0, "no chat button on a refused site"
        assert any(
            "KLBOT_WEB_ORIGINS" in line and line.startswith("warning") for line in console
        ), console
        # the page's own script tries the assistant directly, both transports: refused
        assert page.evaluate(open_socket, ws_url) == "refused"
        polled = page.evaluate(
            "url => fetch(url).then(r => 'status ' + r.status, () => 'refused')",
            assistant + "/socket.io/?EIO=4&transport=polling",
        )
        assert polled == "refused"
    finally:
        context.close()
    # what the server itself answers each origin (a browser cannot forge its Origin)
    handshake = assistant + "/socket.io/?EIO=4&transport=polling"
    refused = httpx.get(handshake, headers={"Origin": site["refused"]}, timeout=30)
    assert refused.status_code == 400 and "not an accepted origin" in refused.text
    allowed = httpx.get(handshake, headers={"Origin": site["allowed"]}, timeout=30)
    assert allowed.status_code == 200 and allowed.text.startswith("0{")
    assert allowed.headers["access-control-allow-origin"] == site["allowed"]
    evil = httpx.get(handshake, headers={"Origin": "https://evil.example"}, timeout=30)
    assert evil.status_code == 400
    for origin, verdict in ((site["allowed"], True), (site["refused"], False)):
        answer = httpx.get(
            assistant + "/webhooks/webchat/allowed", headers={"Origin": origin}, timeout=30
        )
        assert answer.json() == {"allowed": verdict}


def test_the_host_pages_styles_and_scripts_are_untouched(site, browser):
    host_elements = ["body", "h1", ".site-header", "nav a", ".lead", "#site-button", "footer"]
    properties = [
        "font-family", "font-size", "color", "background-color", "margin-top", "padding-left",
        "line-height", "text-transform", "border-radius", "display", "box-sizing",
    ]  # fmt: skip
    snapshot = (
        "([sel, props]) => sel.map(s => { const cs = getComputedStyle(document.querySelector(s));"
        " return props.map(p => cs.getPropertyValue(p)); })"
    )

    def look(block_widget: bool):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        # the host's own globals, among them an `io` of its own, before any script of the page
        context.add_init_script(
            "window.__hostGlobals = Object.getOwnPropertyNames(window); "
            "window.io = 'the site\\'s own io';"
        )
        page = context.new_page()
        if block_widget:
            page.route("**/webhooks/webchat/widget.js", lambda route: route.abort())
        try:
            page.goto(site["allowed"] + "/index.html")
            page.wait_for_function("window.siteScriptRan === true")
            if not block_widget:
                expect(page.locator("klbot-widget .launcher")).to_be_visible()
                page.locator("klbot-widget .launcher").click()
                expect(page.locator("klbot-widget .panel")).to_be_visible()
            styles = page.evaluate(snapshot, [host_elements, properties])
            facts = page.evaluate(
                """() => ({
                  added: Object.getOwnPropertyNames(window)
                    .filter(n => !window.__hostGlobals.includes(n)),
                  io: window.io,
                  sheets: document.styleSheets.length,
                  bodyChildren: Array.from(document.body.children).map(e => e.tagName),
                  htmlStyle: document.documentElement.getAttribute('style'),
                  bodyStyle: document.body.getAttribute('style'),
                })"""
            )
            # the site's own script still works
            page.click("#site-button")
            expect(page.locator("#site-output")).to_be_visible()
            widget = None
            if not block_widget:
                widget = page.evaluate(
                    """() => { const b = document.querySelector('klbot-widget').shadowRoot
                                 .querySelector('.launcher');
                               const cs = getComputedStyle(b);
                               return [cs.backgroundColor, cs.fontFamily, cs.textTransform]; }"""
                )
            return styles, facts, widget
        finally:
            context.close()

    without_styles, without, _ = look(block_widget=True)
    with_styles, with_widget, widget_button = look(block_widget=False)
    assert with_styles == without_styles, "the widget changed how the host page looks"
    assert with_widget["io"] == "the site's own io"
    added = set(with_widget["added"]) - set(without["added"])
    assert added == {"KLBotWidget"}, added
    assert with_widget["sheets"] == without["sheets"], "no stylesheet added to the page"
    assert with_widget["bodyChildren"] == without["bodyChildren"] + ["KLBOT-WIDGET"]
    assert with_widget["htmlStyle"] is None and with_widget["bodyStyle"] is None
    # and the site's broad `button { ... }` rule does not reach into the widget
    background, font, transform = widget_button
    assert background == GREEN and "Georgia" not in font and transform == "none"


def test_the_options_of_the_one_line(site, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto(site["allowed"] + "/options.html")
        launcher = page.locator("klbot-widget .launcher")
        expect(launcher).to_have_attribute("aria-label", "Chat with the privacy assistant")
        assert launcher.bounding_box()["x"] < 100, "data-position=left"
        launcher.click()
        panel = page.locator("klbot-widget .panel")
        expect(panel).to_be_visible()
        assert panel.bounding_box()["x"] < 100
        expect(chat_frame(page).locator("#klbot-privacy")).to_contain_text("90 days")
        expect(chat_frame(page).locator(".msg-bot .bubble").first).to_contain_text(
            "Hello from the options page", timeout=ANSWER_TIMEOUT
        )
        expect(page.locator("klbot-widget [lang]").first).to_have_attribute("lang", "en")
    finally:
        context.close()


def test_the_widget_script_is_served_for_other_sites(site):
    url = site["assistant"].url + "/webhooks/webchat/widget.js"
    response = httpx.get(url, timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "window.KLBotWidget" in response.text
    assert "Socket.IO" not in response.text, "the chat runs in the frame, not on the site"
    assert response.headers["content-encoding"] == "gzip"  # httpx asks for it, and unpacks it
    assert int(response.headers["content-length"]) < len(response.content) / 2
    plain = httpx.get(url, headers={"Accept-Encoding": "identity"}, timeout=30)
    assert "content-encoding" not in plain.headers and plain.content == response.content
