/* The widget: a chat button that opens the conversation in a panel, on any page of a site.
 *
 * Not served as is: the server serves /webhooks/webchat/widget.js as one closure holding the
 * socket.io client (as a local, not window.io), the chat core (chat-core.js), the server's
 * settings (KLBOT_SERVER) and the styles (KLBOT_CSS), then this file. The only global it
 * adds is window.KLBotWidget; the only element is <klbot-widget> at the end of <body>, whose
 * shadow root holds everything else, so the host page's styles and the widget's never meet.
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
      title: "Personvernassistent",
      subtitle: "KL Miljøvarme",
      reset: "Ny samtale",
      resetHelp: "Sletter samtalen fra denne nettleseren og starter en ny.",
      close: "Lukk chatten",
      privacyLabel: "Personvern",
      privacyTitle: "Personvern:",
      privacy: function (days) {
        return (
          " Samtalen lagres hos KL Miljøvarme i inntil " + days + " dager, slik at vi kan svare " +
          "deg og følge opp det du ber om, og i denne nettleseren til du trykker «Ny samtale». " +
          "Ikke skriv helseopplysninger eller andre sensitive opplysninger her. "
        );
      },
      policy: "Les personvernerklæringen",
      logLabel: "Samtale med personvernassistenten",
      inputLabel: "Skriv en melding til assistenten",
      placeholder: "Skriv spørsmålet ditt …",
      send: "Send"
    },
    en: {
      open: "Chat with the privacy assistant",
      openUnread: "Chat with the privacy assistant (new answer)",
      launcher: "Privacy chat",
      title: "Privacy assistant",
      subtitle: "KL Miljøvarme",
      reset: "New conversation",
      resetHelp: "Deletes the conversation from this browser and starts a new one.",
      close: "Close the chat",
      privacyLabel: "Privacy",
      privacyTitle: "Privacy:",
      privacy: function (days) {
        return (
          " KL Miljøvarme keeps the conversation for up to " + days + " days so that we can " +
          "answer you and follow up what you ask for, and this browser keeps it until you " +
          "press «New conversation». Do not write health data or other sensitive data here. "
        );
      },
      policy: "Read the privacy policy (Norwegian)",
      logLabel: "Conversation with the privacy assistant",
      inputLabel: "Write a message to the assistant",
      placeholder: "Write your question …",
      send: "Send"
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

    var reset = h("button", {
      type: "button",
      id: "klbot-reset",
      class: "header-button",
      "aria-describedby": "klbot-reset-help",
      text: ui.reset
    });
    var closeButton = h("button", {
      type: "button",
      id: "klbot-close",
      class: "header-button close",
      "aria-label": ui.close,
      text: "✕"
    });
    var policyLink = h("a", {
      id: "klbot-policy-link",
      href: base + "/personvern",
      target: "_blank",
      rel: "noopener",
      text: ui.policy
    });
    var log = h("div", {
      id: "klbot-log",
      class: "log",
      role: "log",
      "aria-live": "polite",
      "aria-relevant": "additions",
      "aria-label": ui.logLabel,
      tabindex: "0"
    });
    var status = h("p", { class: "status", role: "status" });
    var input = h("input", {
      id: "klbot-input",
      name: "message",
      type: "text",
      maxlength: "2000",
      enterkeyhint: "send",
      placeholder: ui.placeholder,
      autocomplete: "off"
    });
    var form = h("form", { class: "composer", autocomplete: "off" }, [
      h("label", { for: "klbot-input", class: "visually-hidden", text: ui.inputLabel }),
      input,
      h("button", { type: "submit", text: ui.send })
    ]);
    var panel = h(
      "section",
      {
        id: "klbot-panel",
        class: "chat panel",
        role: "dialog",
        "aria-labelledby": "klbot-title",
        hidden: ""
      },
      [
        h("header", { class: "chat-header" }, [
          h("div", { class: "header-text" }, [
            h("h2", { id: "klbot-title", text: ui.title }),
            h("p", { class: "subtitle", text: ui.subtitle })
          ]),
          reset,
          h("span", { id: "klbot-reset-help", class: "visually-hidden", text: ui.resetHelp }),
          closeButton
        ]),
        h("aside", { id: "klbot-privacy", class: "privacy-notice", "aria-label": ui.privacyLabel }, [
          h("p", {}, [
            h("strong", { text: ui.privacyTitle }),
            ui.privacy(KLBOT_SERVER.retentionDays),
            policyLink,
            "."
          ])
        ]),
        log,
        status,
        form
      ]
    );
    var frame = h("div", { class: "widget pos-" + position, lang: lang }, [launcher, panel]);
    shadow.appendChild(frame);
    document.body.appendChild(host);

    var isOpen = false;
    var chat = KLBotChatCore.start({
      log: log,
      form: form,
      input: input,
      status: status,
      reset: reset,
      io: io,
      url: origin,
      path: KLBOT_SERVER.socketPath,
      /* one WebSocket needs no affinity to one server behind a proxy; polling if it fails */
      transports: ["websocket", "polling"],
      idleMinutes: KLBOT_SERVER.idleMinutes,
      storage: window.localStorage,
      lang: lang,
      greeting: data.greeting,
      lazy: true,
      onBotMessage: function () {
        if (!isOpen) {
          launcher.classList.add("unread");
          launcher.setAttribute("aria-label", ui.openUnread);
        }
      }
    });

    function open(focus) {
      isOpen = true;
      panel.hidden = false;
      frame.classList.add("open");
      launcher.setAttribute("aria-expanded", "true");
      launcher.classList.remove("unread");
      launcher.setAttribute("aria-label", ui.open);
      panel.setAttribute("aria-modal", window.matchMedia(PHONE).matches ? "true" : "false");
      session(OPEN_KEY, "1");
      chat.connect();
      if (focus !== false) input.focus();
    }

    function close() {
      isOpen = false;
      panel.hidden = true;
      frame.classList.remove("open");
      launcher.setAttribute("aria-expanded", "false");
      session(OPEN_KEY, null);
      launcher.focus();
    }

    launcher.addEventListener("click", function () {
      open(true);
    });
    closeButton.addEventListener("click", close);

    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.preventDefault();
        close();
        return;
      }
      /* full screen on a phone: Tab stays inside the panel (the page behind is covered) */
      if (event.key !== "Tab" || !window.matchMedia(PHONE).matches) return;
      var focusable = Array.prototype.filter.call(
        panel.querySelectorAll("button, [href], input, [tabindex='0']"),
        function (el) {
          return !el.disabled && el.getClientRects().length;
        }
      );
      if (!focusable.length) return;
      var first = focusable[0];
      var last = focusable[focusable.length - 1];
      if (event.shiftKey && shadow.activeElement === first) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && shadow.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
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
    else if (chat.inProgress()) chat.connect(); /* replies that come while it is closed */
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
