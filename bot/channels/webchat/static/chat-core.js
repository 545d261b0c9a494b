/* KL Miljøvarme web chat: the one chat core, used by the page (chat.js) and the widget's
 * frame (frame.js, /webhooks/webchat/frame, which the widget on a site's page embeds).
 *
 * It talks to the Rasa server's socket.io channel. The session id (issued and signed by the
 * server) and the transcript live in the given storage: localStorage of the assistant's own
 * origin (the page, or the widget's frame on a site's page, where the site's scripts cannot
 * read it), so a reload, or the next page of a site that embeds the widget, continues the
 * same conversation; "Ny samtale" deletes both. Everything the bot says is inserted as text
 * (never as HTML); links are built as elements. The DOM is built with createElement only (no
 * innerHTML).
 */
/* exported KLBotChatCore */
var KLBotChatCore = (function () {
  "use strict";

  var SESSION_KEY = "klbot.session_id";
  var TRANSCRIPT_KEY = "klbot.transcript";
  var MAX_STORED = 200;

  var TEXTS = {
    nb: {
      you: "Du: ",
      bot: "Assistenten: ",
      choices: "Svaralternativer",
      typing: "Assistenten skriver …",
      slow: "Dette tar litt tid. Svaret kommer så snart det er klart.",
      lost: "Mistet forbindelsen. Prøver igjen …",
      unreachable: "Får ikke kontakt med assistenten. Prøver igjen …",
      welcome:
        "Hei! Jeg er personvernassistenten til KL Miljøvarme. Spør meg om hvordan vi " +
        "behandler personopplysningene dine, eller be om innsyn, retting, sletting eller å " +
        "slippe reklame.",
      buttons: [
        { title: "Hvilke opplysninger?", payload: "/ask_data_collected" },
        { title: "Mine rettigheter", payload: "/ask_rights" },
        { title: "Stopp reklame", payload: "/request_opt_out" }
      ]
    },
    en: {
      you: "You: ",
      bot: "Assistant: ",
      choices: "Suggested answers",
      typing: "The assistant is typing …",
      slow: "This is taking a while. The answer will come as soon as it is ready.",
      lost: "Connection lost. Trying again …",
      unreachable: "Cannot reach the assistant. Trying again …",
      welcome:
        "Hi! I am KL Miljøvarme's privacy assistant (I answer in Norwegian). Ask me how we " +
        "handle your personal data, or ask for access, correction, erasure or no marketing.",
      buttons: [
        { title: "What data?", payload: "/ask_data_collected" },
        { title: "My rights", payload: "/ask_rights" },
        { title: "Stop marketing", payload: "/request_opt_out" }
      ]
    }
  };

  function texts(lang) {
    return TEXTS[lang] || TEXTS.nb;
  }

  /* options: log, form, input, status, reset (elements); io (the socket.io client function);
   * url (the assistant's origin; omitted: this page's), path (socket.io path), idleMinutes,
   * transports (socket.io's; default polling, then WebSocket), storage (a Storage), lang ("nb" | "en"), greeting (replaces the welcome text), lazy
   * (connect only when connect() is called), onBotMessage (called for each new bot message).
   */
  function start(options) {
    var log = options.log;
    var form = options.form;
    var input = options.input;
    var statusLine = options.status;
    var resetButton = options.reset;
    var storage = options.storage;
    var t = texts(options.lang);
    var idleMs = (parseInt(options.idleMinutes, 10) || 60) * 60000;
    var welcome = {
      from: "bot",
      local: true,
      text: options.greeting || t.welcome,
      buttons: t.buttons
    };

    function storageGet(key) {
      try {
        return storage.getItem(key);
      } catch (e) {
        return null;
      }
    }

    function storageSet(key, value) {
      try {
        storage.setItem(key, value);
      } catch (e) {
        /* private mode or full: the chat still works, it is just not kept */
      }
    }

    function storageRemove(key) {
      try {
        storage.removeItem(key);
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
        lastActivity = saved.updatedAt || Date.now();
        return saved.messages;
      } catch (e) {
        return null;
      }
    }

    var lastActivity = Date.now();
    var messages = loadTranscript();
    var sessionId = messages ? storageGet(SESSION_KEY) : null;
    if (!messages) {
      /* stale (idle longer than idleMinutes) or unreadable: dropped from the storage too */
      storageRemove(TRANSCRIPT_KEY);
      storageRemove(SESSION_KEY);
      messages = [];
    }
    var confirmed = false;
    var queue = [];
    var waitTimer = null;
    var socket = null;

    function persist() {
      lastActivity = Date.now();
      if (messages.length > MAX_STORED) messages = messages.slice(-MAX_STORED);
      storageSet(TRANSCRIPT_KEY, JSON.stringify({ updatedAt: Date.now(), messages: messages }));
      if (sessionId) storageSet(SESSION_KEY, sessionId);
    }

    var LINK =
      /(https?:\/\/[^\s<>"]+[^\s<>".,;:!?)]|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;

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
        a.href =
          target.indexOf("@") > 0 && target.indexOf("://") < 0 ? "mailto:" + target : target;
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
      who.textContent = message.from === "user" ? t.you : t.bot;
      var bubble = document.createElement("p");
      bubble.className = "bubble";
      bubble.appendChild(who);
      appendLinked(bubble, message.text || "");
      item.appendChild(bubble);
      if (message.buttons && message.buttons.length) {
        var group = document.createElement("div");
        group.className = "buttons";
        group.setAttribute("role", "group");
        group.setAttribute("aria-label", t.choices);
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
        setStatus(t.typing);
        waitTimer = setTimeout(function () {
          setStatus(t.slow);
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
      if (!socket) connect();
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
      if (options.onBotMessage) options.onBotMessage();
    }

    function connect() {
      if (socket) return;
      var socketOptions = { path: options.path || "/socket.io" };
      if (options.transports) socketOptions.transports = options.transports;
      socket = options.url ? options.io(options.url, socketOptions) : options.io(socketOptions);

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
        if (!messages.length) add(welcome);
        persist();
        setStatus(queue.length ? t.typing : "");
        while (queue.length) emit(queue.shift());
      });

      socket.on("bot_uttered", fromBot);

      socket.on("disconnect", function () {
        confirmed = false;
        setStatus(t.lost);
      });

      socket.on("connect_error", function () {
        setStatus(t.unreachable);
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value;
      input.value = "";
      send(text);
      input.focus();
    });

    function newConversation() {
      storageRemove(TRANSCRIPT_KEY);
      storageRemove(SESSION_KEY);
      messages = [];
      sessionId = null;
      queue = [];
      renderAll();
      waiting(false);
      confirmed = false;
      if (socket && socket.connected) socket.emit("session_request", { session_id: null });
    }

    resetButton.addEventListener("click", function () {
      newConversation();
      input.focus();
    });

    /* a page left open: after idleMinutes without a message the transcript is dropped, as
       on the next page load (a shared computer: the next person does not see it) */
    setInterval(function () {
      if (messages.length && Date.now() - lastActivity > idleMs) newConversation();
    }, Math.min(60000, idleMs));

    renderAll();
    if (!options.lazy) connect();

    return {
      connect: connect,
      /* a conversation kept from an earlier page (or reload) of this site */
      inProgress: function () {
        return messages.length > 0;
      }
    };
  }

  return { start: start, texts: texts };
})();
