/* The widget: a chat button that opens the conversation in a panel, on any page of a site.
 *
 * Not served as is: the server serves /webhooks/webchat/widget.js as one closure holding the
 * server's settings (KLBOT_SERVER) and the launcher's styles (KLBOT_CSS), then this file. The
 * only global it adds is window.KLBotWidget; the only element is <klbot-widget> at the end of
 * <body>, whose shadow root holds the chat button and the panel.
 *
 * The conversation itself is not on this page: the panel is an iframe of the assistant's own
 * page /webhooks/webchat/frame (as Chatwoot does), which keeps the session id and transcript
 * in the assistant origin's storage, out of reach of the site's other scripts. Only open and
 * close cross between the two, by postMessage to the other's exact origin, and each side
 * checks the origin (and the window) a message comes from; none carries personal data.
 *
 * <script src="https://assistant.example/webhooks/webchat/widget.js" defer
 *         data-position="right|left" data-greeting="..." data-lang="nb|en"></script>
 */
(function () {
  "use strict";

  if (window.KLBotWidget) return; /* the line was pasted twice */

  var OPEN_KEY = "klbot.widget.open";
  var FOCUS_KEY = "klbot.widget.focus";
  var PHONE = "(max-width: 600px)";

  var UI = {
    nb: {
      open: "Chat med personvernassistenten",
      openUnread: "Chat med personvernassistenten (nytt svar)",
      launcher: "Personvern-chat",
      title: "Personvernassistent"
    },
    en: {
      open: "Chat with the privacy assistant",
      openUnread: "Chat with the privacy assistant (new answer)",
      launcher: "Privacy chat",
      title: "Privacy assistant"
    }
  };

  function findScript() {
    if (document.currentScript) return document.currentScript;
    var scripts = document.querySelectorAll("script[src]");
    for (var i = scripts.length - 1; i >= 0; i--) {
      if (/\/webchat\/widget\.js(\?|#|$)/.test(scripts[i].src)) return scripts[i];
    }
    return null;
  }

  var script = findScript();
  if (!script) return;
  var assistant = new URL(script.src, window.location.href);
  var origin = assistant.origin;
  var base = origin + KLBOT_SERVER.base;
  var data = script.dataset || {};
  var lang = (data.lang || data.language || "nb").toLowerCase() === "en" ? "en" : "nb";
  var ui = UI[lang];
  var position = data.position === "left" ? "left" : "right";

  var api = { state: "loading", open: noop, close: noop };
  window.KLBotWidget = api;

  function noop() {}

  function session(key, value) {
    try {
      if (value === undefined) return window.sessionStorage.getItem(key);
      if (value === null) window.sessionStorage.removeItem(key);
      else window.sessionStorage.setItem(key, value);
    } catch (e) {
      /* storage off: the panel just does not reopen by itself on the next page */
    }
    return null;
  }

  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") el.textContent = attrs[name];
      else el.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) {
      el.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return el;
  }

  function refuse() {
    api.state = "refused";
    /* eslint-disable-next-line no-console */
    console.warn(
      "KL Miljøvarme personvernassistent: denne nettsiden (" + window.location.origin + ") " +
        "har ikke tilgang til chatten, så chatknappen vises ikke her. Beklager! Den som " +
        "drifter assistenten kan legge til adressen i KLBOT_WEB_ORIGINS. / This site's origin " +
        "is not allowed to open the chat; add it to KLBOT_WEB_ORIGINS on " + origin + "."
    );
  }

  function styles(shadow) {
    if (window.CSSStyleSheet && "adoptedStyleSheets" in shadow) {
      try {
        var sheet = new CSSStyleSheet();
        sheet.replaceSync(KLBOT_CSS);
        shadow.adoptedStyleSheets = [sheet];
        return;
      } catch (e) {
        /* fall through to a <style> element (older browsers) */
      }
    }
    shadow.appendChild(h("style", { text: KLBOT_CSS }));
  }

  function frameUrl() {
    var query = new URLSearchParams({ origin: window.location.origin, lang: lang });
    if (data.greeting) query.set("greeting", data.greeting);
    return base + "/frame?" + query.toString();
  }

  function mount() {
    var host = document.createElement("klbot-widget");
    var shadow = host.attachShadow({ mode: "open" });
    styles(shadow);

    var launcherText = h("span", { text: ui.launcher });
    var icon = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    icon.setAttribute("viewBox", "0 0 24 24");
    icon.setAttribute("aria-hidden", "true");
    icon.setAttribute("focusable", "false");
    var path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute(
      "d",
      "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z"
    );
    icon.appendChild(path);
    var launcher = h(
      "button",
      {
        type: "button",
        id: "klbot-launcher",
        class: "launcher",
        "aria-expanded": "false",
        "aria-controls": "klbot-panel",
        "aria-label": ui.open
      },
      [icon, launcherText]
    );
    var iframe = h("iframe", {
      id: "klbot-frame",
      title: ui.title,
      src: frameUrl(),
      referrerpolicy: "no-referrer"
    });
    var panel = h(
      "div",
      {
        id: "klbot-panel",
        class: "panel",
        role: "dialog",
        "aria-label": ui.title,
        hidden: ""
      },
      [iframe]
    );
    var frame = h("div", { class: "widget pos-" + position, lang: lang }, [launcher, panel]);

    var isOpen = false;
    var frameReady = false;
    var pending = null; /* an "open" said before the frame was ready */

    function tell(message) {
      if (!frameReady) {
        pending = message;
        return;
      }
      iframe.contentWindow.postMessage(message, origin);
    }

    /* only the assistant's frame, from the assistant's origin; anything else is ignored */
    window.addEventListener("message", function (event) {
      if (event.origin !== origin || event.source !== iframe.contentWindow) return;
      var message = event.data;
      if (!message || typeof message !== "object") return;
      if (message.klbot === "ready") {
        frameReady = true;
        if (pending) tell(pending);
        pending = null;
      } else if (message.klbot === "close") {
        close();
      } else if (message.klbot === "unread" && !isOpen) {
        launcher.classList.add("unread");
        launcher.setAttribute("aria-label", ui.openUnread);
      }
    });

    shadow.appendChild(frame);
    document.body.appendChild(host);

    function open(focus) {
      isOpen = true;
      panel.hidden = false;
      frame.classList.add("open");
      launcher.setAttribute("aria-expanded", "true");
      launcher.classList.remove("unread");
      launcher.setAttribute("aria-label", ui.open);
      var modal = window.matchMedia(PHONE).matches;
      panel.setAttribute("aria-modal", modal ? "true" : "false");
      session(OPEN_KEY, "1");
      if (focus !== false) iframe.focus();
      tell({ klbot: "open", focus: focus !== false, modal: modal });
    }

    function close() {
      isOpen = false;
      panel.hidden = true;
      frame.classList.remove("open");
      launcher.setAttribute("aria-expanded", "false");
      session(OPEN_KEY, null);
      tell({ klbot: "close" });
      launcher.focus();
    }

    launcher.addEventListener("click", function () {
      open(true);
    });

    /* the next page of the site: reopen where the customer left off */
    window.addEventListener("pagehide", function () {
      session(FOCUS_KEY, isOpen && document.activeElement === host ? "1" : null);
    });

    api.open = function () {
      open(true);
    };
    api.close = close;
    api.state = "ready";

    if (session(OPEN_KEY) === "1") open(session(FOCUS_KEY) === "1");
  }

  function whenReady(fn) {
    if (document.body) fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  /* ask the assistant first whether this origin may open the chat (the socket.io server
   * enforces it; this is only so that the answer can be given politely); once a visit */
  var ALLOWED_KEY = "klbot.widget.allowed";
  var check = session(ALLOWED_KEY) === origin
    ? Promise.resolve(true)
    : window.fetch
    ? window
        .fetch(base + "/allowed", { mode: "cors", credentials: "omit" })
        .then(function (response) {
          return response.json();
        })
        .then(function (answer) {
          if (answer && answer.allowed === true) session(ALLOWED_KEY, origin);
          return !answer || answer.allowed !== false;
        })
        .catch(function () {
          return true; /* cannot tell: show the button; the chat explains if it cannot connect */
        })
    : Promise.resolve(true);
  check.then(function (allowed) {
    whenReady(allowed ? mount : refuse);
  });
})();
