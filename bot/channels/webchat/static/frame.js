/* The widget's chat panel, inside the widget's iframe on the assistant's own origin
 * (/webhooks/webchat/frame). The conversation lives here: the chat core keeps the session id
 * and the transcript in this origin's localStorage, which the host site's scripts cannot
 * read. Only open/close crosses to the host page, by postMessage, and only to and from the
 * one host origin the server allowed for this frame (data-parent-origin; the frame's
 * Content-Security-Policy `frame-ancestors` names the same origin, so no other site can
 * embed it). No message carries anything the customer wrote.
 *
 * host -> frame: {klbot: "open", focus: bool, modal: bool}, {klbot: "close"}
 * frame -> host: {klbot: "ready"}, {klbot: "close"} (Escape, the close button),
 *                {klbot: "unread"} (a reply while closed)
 */
(function () {
  "use strict";

  var root = document.getElementById("klbot-chat");
  var parentOrigin = root.getAttribute("data-parent-origin");
  var input = document.getElementById("klbot-input");
  var isOpen = false;
  var modal = false;

  function tell(type) {
    if (window.parent === window || !parentOrigin) return;
    window.parent.postMessage({ klbot: type }, parentOrigin);
  }

  var chat = KLBotChatCore.start({
    log: document.getElementById("klbot-log"),
    form: document.getElementById("klbot-form"),
    input: input,
    status: document.getElementById("klbot-status"),
    reset: document.getElementById("klbot-reset"),
    io: window.io,
    path: root.getAttribute("data-socket-path") || "/socket.io",
    /* one WebSocket needs no affinity to one server behind a proxy; polling if it fails */
    transports: ["websocket", "polling"],
    idleMinutes: root.getAttribute("data-idle-minutes"),
    storage: window.localStorage,
    lang: root.getAttribute("data-lang") === "en" ? "en" : "nb",
    greeting: root.getAttribute("data-greeting") || undefined,
    lazy: true,
    onBotMessage: function () {
      if (!isOpen) tell("unread");
    }
  });

  window.addEventListener("message", function (event) {
    /* only the host page this frame was made for; anything else is ignored */
    if (event.source !== window.parent || event.origin !== parentOrigin) return;
    var data = event.data;
    if (!data || typeof data !== "object") return;
    if (data.klbot === "open") {
      isOpen = true;
      modal = data.modal === true;
      chat.connect();
      if (data.focus !== false) input.focus();
    } else if (data.klbot === "close") {
      isOpen = false;
    }
  });

  function close() {
    isOpen = false;
    tell("close");
  }

  document.getElementById("klbot-close").addEventListener("click", close);

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
      return;
    }
    /* full screen on a phone: Tab stays inside the panel (the page behind is covered) */
    if (event.key !== "Tab" || !modal) return;
    var focusable = Array.prototype.filter.call(
      root.querySelectorAll("button, [href], input, [tabindex='0']"),
      function (el) {
        return !el.disabled && el.getClientRects().length;
      }
    );
    if (!focusable.length) return;
    var first = focusable[0];
    var last = focusable[focusable.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  });

  /* replies that come while the panel is closed (a conversation from an earlier page) */
  if (chat.inProgress()) chat.connect();
  tell("ready");
})();
