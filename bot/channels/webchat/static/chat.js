/* KL Miljøvarme web chat page: starts the one chat core (chat-core.js) on this page's elements.
 * The page and the widget (widget.js) share everything else.
 */
(function () {
  "use strict";

  var root = document.getElementById("klbot-chat");
  KLBotChatCore.start({
    log: document.getElementById("klbot-log"),
    form: document.getElementById("klbot-form"),
    input: document.getElementById("klbot-input"),
    status: document.getElementById("klbot-status"),
    reset: document.getElementById("klbot-reset"),
    io: window.io,
    path: root.getAttribute("data-socket-path") || "/socket.io",
    idleMinutes: root.getAttribute("data-idle-minutes"),
    storage: window.localStorage,
    lang: "nb"
  });
})();
