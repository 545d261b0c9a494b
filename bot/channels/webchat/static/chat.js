/* KL Miljøvarme web chat: talks to the Rasa server's socket.io channel.
 *
 * The session id (handed out by the server) and the transcript live in localStorage, so a
 * reload continues the same conversation; "Ny samtale" deletes both from this browser.
 * Everything the bot says is inserted as text (never as HTML); links are built as elements.
 */
(function () {
  "use strict";

  var SESSION_KEY = "klbot.session_id";
  var TRANSCRIPT_KEY = "klbot.transcript";
  var MAX_STORED = 200;
  var WELCOME = {
    from: "bot",
    local: true,
    text:
      "Hei! Jeg er personvernassistenten til KL Miljøvarme. Spør meg om hvordan vi " +
      "behandler personopplysningene dine, eller be om innsyn, retting, sletting eller å " +
      "slippe reklame.",
    buttons: [
      { title: "Hvilke opplysninger?", payload: "/ask_data_collected" },
      { title: "Mine rettigheter", payload: "/ask_rights" },
      { title: "Stopp reklame", payload: "/request_opt_out" }
    ]
  };

  var root = document.getElementById("klbot-chat");
  var log = document.getElementById("klbot-log");
  var form = document.getElementById("klbot-form");
  var input = document.getElementById("klbot-input");
  var statusLine = document.getElementById("klbot-status");
  var resetButton = document.getElementById("klbot-reset");
  var idleMs = (parseInt(root.getAttribute("data-idle-minutes"), 10) || 60) * 60000;

  function storageGet(key) {
    try {
      return window.localStorage.getItem(key);
    } catch (e) {
      return null;
    }
  }

  function storageSet(key, value) {
    try {
      window.localStorage.setItem(key, value);
    } catch (e) {
      /* private mode or full: the chat still works, it is just not kept */
    }
  }

  function storageRemove(key) {
    try {
      window.localStorage.removeItem(key);
    } catch (e) {
      /* nothing stored */
    }
  }

  function loadTranscript() {
    var raw = storageGet(TRANSCRIPT_KEY);
    if (!raw) return null;
    try {
      var saved = JSON.parse(raw);
      if (!saved || !Array.isArray(saved.messages)) return null;
      if (Date.now() - (saved.updatedAt || 0) > idleMs) return null;
      return saved.messages;
    } catch (e) {
      return null;
    }
  }

  var messages = loadTranscript();
  var sessionId = messages ? storageGet(SESSION_KEY) : null;
  if (!messages) {
    storageRemove(SESSION_KEY);
    messages = [];
  }
  var confirmed = false;
  var queue = [];
  var waitTimer = null;

  function persist() {
    if (messages.length > MAX_STORED) messages = messages.slice(-MAX_STORED);
    storageSet(TRANSCRIPT_KEY, JSON.stringify({ updatedAt: Date.now(), messages: messages }));
    if (sessionId) storageSet(SESSION_KEY, sessionId);
  }

  var LINK = /(https?:\/\/[^\s<>"]+[^\s<>".,;:!?)]|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;

  function appendLinked(parent, text) {
    var last = 0;
    var match;
    LINK.lastIndex = 0;
    while ((match = LINK.exec(text)) !== null) {
      if (match.index > last) {
        parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      }
      var a = document.createElement("a");
      var target = match[0];
      a.href = target.indexOf("@") > 0 && target.indexOf("://") < 0 ? "mailto:" + target : target;
      a.textContent = target;
      a.rel = "noopener noreferrer";
      a.target = "_blank";
      parent.appendChild(a);
      last = match.index + target.length;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function render(message) {
    var item = document.createElement("div");
    item.className = "msg msg-" + (message.from === "user" ? "user" : "bot");
    var who = document.createElement("span");
    who.className = "visually-hidden";
    who.textContent = message.from === "user" ? "Du: " : "Assistenten: ";
    var bubble = document.createElement("p");
    bubble.className = "bubble";
    bubble.appendChild(who);
    appendLinked(bubble, message.text || "");
    item.appendChild(bubble);
    if (message.buttons && message.buttons.length) {
      var group = document.createElement("div");
      group.className = "buttons";
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", "Svaralternativer");
      message.buttons.forEach(function (button) {
        var el = document.createElement("button");
        el.type = "button";
        el.textContent = button.title;
        el.disabled = !!message.answered;
        el.addEventListener("click", function () {
          send(button.payload, button.title);
        });
        group.appendChild(el);
      });
      item.appendChild(group);
    }
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  function renderAll() {
    log.textContent = "";
    messages.forEach(render);
  }

  function add(message) {
    messages.push(message);
    persist();
    render(message);
  }

  function closeOpenButtons() {
    var changed = false;
    messages.forEach(function (m) {
      if (m.buttons && m.buttons.length && !m.answered) {
        m.answered = true;
        changed = true;
      }
    });
    if (changed) {
      Array.prototype.forEach.call(log.querySelectorAll(".buttons button"), function (b) {
        b.disabled = true;
      });
    }
  }

  function setStatus(text) {
    statusLine.textContent = text || "";
  }

  function waiting(on) {
    clearTimeout(waitTimer);
    if (on) {
      setStatus("Assistenten skriver …");
      waitTimer = setTimeout(function () {
        setStatus("Dette tar litt tid. Svaret kommer så snart det er klart.");
      }, 20000);
    } else {
      setStatus("");
    }
  }

  function emit(payload) {
    socket.emit("user_uttered", { message: payload, session_id: sessionId });
  }

  function send(payload, shown) {
    payload = (payload || "").trim();
    if (!payload) return;
    closeOpenButtons();
    add({ from: "user", text: shown || payload });
    waiting(true);
    if (confirmed && socket.connected) emit(payload);
    else queue.push(payload);
  }

  function fromBot(data) {
    if (!data || typeof data !== "object") return;
    var text = typeof data.text === "string" ? data.text : "";
    var attachment = data.attachment;
    if (attachment && attachment.payload && attachment.payload.src) {
      text = (text ? text + "\n" : "") + attachment.payload.src;
    }
    var buttons = (data.quick_replies || data.buttons || [])
      .filter(function (b) {
        return b && typeof b.title === "string" && typeof b.payload === "string";
      })
      .map(function (b) {
        return { title: b.title, payload: b.payload };
      });
    if (!text && !buttons.length) return;
    waiting(false);
    add({ from: "bot", text: text, buttons: buttons });
  }

  var socket = window.io({ path: root.getAttribute("data-socket-path") || "/socket.io" });

  socket.on("connect", function () {
    confirmed = false;
    socket.emit("session_request", { session_id: sessionId });
  });

  socket.on("session_confirm", function (id) {
    if (typeof id !== "string") return;
    if (sessionId && id !== sessionId) {
      /* the server did not accept the stored session: the old transcript no longer applies */
      messages = [];
      renderAll();
    }
    sessionId = id;
    confirmed = true;
    if (!messages.length) add(WELCOME);
    persist();
    setStatus(queue.length ? "Assistenten skriver …" : "");
    while (queue.length) emit(queue.shift());
  });

  socket.on("bot_uttered", fromBot);

  socket.on("disconnect", function () {
    confirmed = false;
    setStatus("Mistet forbindelsen. Prøver igjen …");
  });

  socket.on("connect_error", function () {
    setStatus("Får ikke kontakt med assistenten. Prøver igjen …");
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    input.value = "";
    send(text);
    input.focus();
  });

  resetButton.addEventListener("click", function () {
    storageRemove(TRANSCRIPT_KEY);
    storageRemove(SESSION_KEY);
    messages = [];
    sessionId = null;
    queue = [];
    renderAll();
    waiting(false);
    confirmed = false;
    if (socket.connected) socket.emit("session_request", { session_id: null });
    input.focus();
  });

  renderAll();
})();
