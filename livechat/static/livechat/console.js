/*
 * livechat agent console: the agent side of docs/protocol.md (version 1).
 *
 * Vanilla JS, no build step. Everything that comes from the server or a
 * shopper is inserted with textContent (or as text nodes), never as HTML.
 *
 * State lives in memory; what must survive a reload of the page (the outbox of
 * unacknowledged replies, the open tabs and their drafts) is mirrored in
 * sessionStorage, per agent.
 */
(function () {
  "use strict";

  var root = document.getElementById("livechat-console");
  var stringsNode = document.getElementById("livechat-console-strings");
  if (!root || !stringsNode) {
    return;
  }

  var S = JSON.parse(stringsNode.textContent);
  var config = {
    path: root.dataset.websocketPath || "/ws/livechat/agent/",
    agentId: Number(root.dataset.agentId) || 0,
    agentName: root.dataset.agentName || "",
    storeName: root.dataset.storeName || "",
    maxLength: Number(root.dataset.maxMessageLength) || 4000,
    recentClosed: Number(root.dataset.recentClosed) || 20,
    adminUrl: root.dataset.conversationAdminUrl || "",
    uploadUrl: root.dataset.uploadUrl || "",
    csrfToken: root.dataset.csrfToken || "",
    maxUpload: Number(root.dataset.maxUploadBytes) || 5 * 1024 * 1024,
    loginUrl: root.dataset.loginUrl || "",
  };

  var PROTOCOL_VERSION = 1;
  var PING_MS = 25000;
  // No frame at all (not even a pong) for this long: the socket is dead.
  var STALE_MS = 60000;
  var BACKOFF_MIN_MS = 1000;
  var BACKOFF_MAX_MS = 30000;
  var WELCOME_TIMEOUT_MS = 15000; // no welcome by then: tell the agent, retry
  var MORE_PAGE_SIZE = 100; // conversations per page after the welcome's first
  var TYPING_THROTTLE_MS = 3000;
  var TYPING_IDLE_MS = 4000;
  var VISITOR_TYPING_TIMEOUT_MS = 8000;
  var RETRY_RETRIABLE_MS = 5000;
  var FETCH_TIMEOUT_MS = 5000;
  var PRESENCE_TIMEOUT_MS = 8000;
  var PRESENCES = ["online", "away", "offline"];
  var OPEN_STATUSES = ["waiting", "active", "missed"];
  var UNANSWERED = ["waiting", "missed"];
  // After a ping, a silent socket this long is dead (pings may come late in a
  // background tab, so the age of the last frame alone proves nothing).
  var PONG_TIMEOUT_MS = 20000;
  var TRANSFER_TIMEOUT_MS = 10000;
  // The refusals a claim can get (docs/protocol.md, claim).
  var CLAIM_ERRORS = ["agent_full", "already_assigned", "conversation_closed", "forbidden", "not_found"];
  var SOUND_GAP_MS = 1500;
  var CANNED_MAX_OPTIONS = 8;
  // What the server accepts (livechat/attachments.py); it checks the bytes itself.
  var UPLOAD_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"];
  var UPLOAD_EXTENSIONS = /\.(png|jpe?g|gif|webp|pdf)$/i;
  var THUMBNAIL_BOX = 240;
  var lang = document.documentElement.lang || undefined;
  var ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

  var els = {
    banner: root.querySelector("[data-role=banner]"),
    alert: root.querySelector("[data-role=alert]"),
    inbox: root.querySelector("[data-role=inbox]"),
    search: root.querySelector("[data-role=search]"),
    searchInput: root.querySelector("[data-role=search-input]"),
    results: root.querySelector("[data-role=results]"),
    resultsCount: root.querySelector("[data-role=results-count]"),
    resultsList: root.querySelector("[data-role=results-list]"),
    resultsEmpty: root.querySelector("[data-role=results-empty]"),
    resultsMore: root.querySelector("[data-role=results-more]"),
    tablist: root.querySelector("[data-role=tablist]"),
    empty: root.querySelector("[data-role=empty]"),
    panels: root.querySelector("[data-role=panels]"),
    presence: root.querySelector("[data-role=presence]"),
    presenceState: root.querySelector("[data-role=presence-state]"),
    prefSound: root.querySelector("[data-role=pref-sound]"),
    prefDesktop: root.querySelector("[data-role=pref-desktop]"),
    enableNotifications: root.querySelector("[data-role=enable-notifications]"),
    alertsState: root.querySelector("[data-role=alerts-state]"),
    notices: root.querySelector("[data-role=notices]"),
    announcer: root.querySelector("[data-role=announcer]"),
    routing: root.querySelector("[data-role=routing]"),
    agents: root.querySelector("[data-role=agents]"),
    agentsBody: root.querySelector("[data-role=agents-body]"),
    transferDialog: root.querySelector("[data-role=transfer-dialog]"),
    transferForm: root.querySelector("[data-role=transfer-form]"),
    transferTitle: root.querySelector("[data-role=transfer-title]"),
    transferAgents: root.querySelector("[data-role=transfer-agents]"),
    transferDepartments: root.querySelector("[data-role=transfer-departments]"),
    transferDepartmentsGroup: root.querySelector("[data-role=transfer-departments-group]"),
    transferNote: root.querySelector("[data-role=transfer-note]"),
    transferError: root.querySelector("[data-role=transfer-error]"),
    transferSubmit: root.querySelector("[data-role=transfer-submit]"),
    closeDialog: root.querySelector("[data-role=close-dialog]"),
    closeForm: root.querySelector("[data-role=close-form]"),
    closeTitle: root.querySelector("[data-role=close-title]"),
    closeTag: root.querySelector("[data-role=close-tag]"),
  };

  // Small helpers ------------------------------------------------------------

  function fmt(template, values) {
    return String(template).replace(/%\((\w+)\)s/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match;
    });
  }

  // Builds an element; string children become text nodes, so nothing is parsed as HTML.
  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        var value = attrs[key];
        if (value === null || value === undefined || value === false) {
          return;
        }
        if (key === "className") {
          node.className = value;
        } else if (key === "text") {
          node.textContent = value;
        } else if (key === "hidden") {
          node.hidden = true;
        } else if (key.slice(0, 2) === "on") {
          node.addEventListener(key.slice(2), value);
        } else {
          node.setAttribute(key, value === true ? "" : String(value));
        }
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child !== null && child !== undefined) {
        node.append(child);
      }
    }
    return node;
  }

  function storageKey(name) {
    return "livechat.console." + config.agentId + "." + name;
  }

  function load(name, fallback) {
    try {
      var raw = window.sessionStorage.getItem(storageKey(name));
      return raw ? JSON.parse(raw) : fallback;
    } catch (e) {
      return fallback;
    }
  }

  function save(name, value) {
    try {
      window.sessionStorage.setItem(storageKey(name), JSON.stringify(value));
    } catch (e) {
      // Private mode or a full quota: the in-memory copy still works.
    }
  }

  function newClientId() {
    var cryptoObj = window.crypto;
    if (cryptoObj && typeof cryptoObj.randomUUID === "function") {
      return cryptoObj.randomUUID();
    }
    if (cryptoObj && typeof cryptoObj.getRandomValues === "function") {
      var bytes = new Uint8Array(16);
      cryptoObj.getRandomValues(bytes);
      return Array.prototype.map
        .call(bytes, function (b) {
          return (b + 256).toString(16).slice(1);
        })
        .join("");
    }
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 14);
  }

  function parseDate(value) {
    var date = value ? new Date(value) : null;
    return date && !isNaN(date.getTime()) ? date : null;
  }

  function formatTime(value) {
    var date = parseDate(value);
    if (!date) {
      return "";
    }
    var sameDay = date.toDateString() === new Date().toDateString();
    var options = sameDay
      ? { hour: "2-digit", minute: "2-digit" }
      : { dateStyle: "short", timeStyle: "short" };
    try {
      return new Intl.DateTimeFormat(lang, options).format(date);
    } catch (e) {
      return date.toLocaleString();
    }
  }

  function formatDuration(ms) {
    var total = Math.max(0, Math.floor(ms / 1000));
    var hours = Math.floor(total / 3600);
    var minutes = Math.floor((total % 3600) / 60);
    var seconds = total % 60;
    var pad = function (n) {
      return (n < 10 ? "0" : "") + n;
    };
    return hours ? hours + ":" + pad(minutes) + ":" + pad(seconds) : minutes + ":" + pad(seconds);
  }

  function safeHref(value) {
    // Only web links: a javascript: URL from a shopper must never become clickable.
    if (typeof value !== "string") {
      return null;
    }
    if (/^\/(?!\/)/.test(value)) {
      return value;
    }
    try {
      var url = new URL(value);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  // A mailto: link only for a plain address: no "?cc=" or "&body=" smuggled in.
  function mailtoHref(value) {
    if (typeof value !== "string" || value.length > 254) {
      return null;
    }
    return /^[^\s@"<>()[\]\\,;:?&#%/]+@[^\s@"<>()[\]\\,;:?&#%/]+$/.test(value) ? "mailto:" + value : null;
  }

  function formatNumber(value, digits) {
    try {
      return new Intl.NumberFormat(lang, { maximumFractionDigits: digits }).format(value);
    } catch (e) {
      return value.toFixed(digits);
    }
  }

  function humanSize(bytes) {
    var n = Number(bytes);
    if (bytes === null || bytes === undefined || !isFinite(n) || n < 0) {
      return "";
    }
    if (n < 1024) {
      return fmt(S.size_b, { n: formatNumber(n, 0) });
    }
    if (n < 1024 * 1024) {
      return fmt(S.size_kb, { n: formatNumber(n / 1024, n < 10 * 1024 ? 1 : 0) });
    }
    return fmt(S.size_mb, { n: formatNumber(n / (1024 * 1024), 1) });
  }

  // Display size of a picture inside a THUMBNAIL_BOX square, or null if unknown.
  function fitBox(width, height) {
    var w = Number(width);
    var h = Number(height);
    if (!(w > 0 && h > 0)) {
      return null;
    }
    var scale = Math.min(1, THUMBNAIL_BOX / w, THUMBNAIL_BOX / h);
    return [Math.max(1, Math.round(w * scale)), Math.max(1, Math.round(h * scale))];
  }

  function ratingNode(rating) {
    if (rating !== "good" && rating !== "bad") {
      return null;
    }
    return el(
      "span",
      { className: "livechat-rating__value livechat-rating__value--" + rating },
      el("span", { "aria-hidden": "true", text: rating === "good" ? "\uD83D\uDC4D" : "\uD83D\uDC4E" }),
      " ",
      rating === "good" ? S.rating_good : S.rating_bad
    );
  }

  function shortPage(value) {
    try {
      var url = new URL(value, window.location.href);
      return url.pathname + url.search;
    } catch (e) {
      return value;
    }
  }

  function humanizeKey(key) {
    var text = String(key).replace(/[_-]+/g, " ").trim();
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function unreadText(count) {
    return fmt(count === 1 ? S.unread_one : S.unread_other, { count: count });
  }

  function statusText(status) {
    return S["status_" + status] || status;
  }

  // State ----------------------------------------------------------------------

  var state = {
    ws: null,
    ready: false, // a welcome arrived on the current socket
    stopped: false, // the server refused us for good (4401, 4403, 4400)
    attempt: 0,
    reconnectTimer: null,
    lastFrameAt: 0,
    me: { id: config.agentId, name: config.agentName },
    supervisor: false,
    answersChats: true,
    othersShown: false, // "Other active chats" expanded (and watched live)
    everWelcomed: false,
    summaries: new Map(), // conversation id -> summary (protocol shape)
    views: new Map(), // conversation id -> view (kept after its tab closes: a cache)
    tabs: [], // conversation ids, in tab order
    active: null,
    outbox: [], // {client_id, conversation, body, created}, unacknowledged
    pendingOpens: [], // conversation ids whose "opened" has not arrived yet
    drafts: load("drafts", {}),
    inboxEntries: new Map(),
    inboxTimer: null,
    // Per inbox section: {count, next (the cursor of the page not yet loaded),
    // boundary (the sort key that page starts after), loading}.
    sectionInfo: {},
    // The search box's: {q, results (summaries), next, loading, entries}.
    search: { q: "", results: [], next: null, loading: false, entries: new Map() },
    parts: null, // a frame arriving in parts: {id, data: []}
    welcomeTimer: null,
    baseTitle: document.title,
    presence: (els.presence && els.presence.getAttribute("data-presence")) || "online", // confirmed
    presencePending: null, // asked for, not yet confirmed
    presenceFailed: false,
    presenceTimer: null,
    // Agent workspace (welcome): routing, queue limits, tags, teams, replies.
    routing: "claim",
    longWaitMs: 120000,
    closeTags: [],
    departments: [],
    board: [], // agents: {id, name, presence, present, open_chats, max_chats}
    canned: [],
    preferences: { sound: true, desktop: true },
    noteOutbox: [], // {client_id, conversation, body, created}, unacknowledged notes
    activeSincePing: false,
    pingSentAt: 0,
    notifiedSeq: new Map(), // conversation id -> last seq an alert was raised for
    knownWaiting: new Set(), // unanswered chats already announced
    transfer: null, // {conversation, label, timer}: a transfer awaiting its answer
    transferred: new Set(), // chats handed to this agent, not yet looked at
    claiming: new Set(), // chats this console claimed or answered first
    claimPending: null, // the chat of the last claim sent, until answered
    lastSoundAt: 0,
  };

  function saveOutbox() {
    save(
      "outbox",
      state.outbox.map(function (item) {
        return {
          client_id: item.client_id,
          conversation: item.conversation,
          body: item.body,
          created: item.created,
        };
      })
    );
  }

  function saveTabs() {
    save("tabs", { tabs: state.tabs, active: state.active });
  }

  var draftTimer = null;
  function saveDrafts() {
    clearTimeout(draftTimer);
    draftTimer = setTimeout(function () {
      save("drafts", state.drafts);
    }, 300);
  }

  function findOutbox(clientId) {
    for (var i = 0; i < state.outbox.length; i++) {
      if (state.outbox[i].client_id === clientId) {
        return state.outbox[i];
      }
    }
    return null;
  }

  function removeFromOutbox(clientId) {
    var item = findOutbox(clientId);
    if (item) {
      state.outbox.splice(state.outbox.indexOf(item), 1);
      clearTimeout(item.retryTimer);
      saveOutbox();
    }
    return item;
  }

  function mergeSummary(incoming) {
    if (!incoming || typeof incoming.id !== "number") {
      return null;
    }
    var old = state.summaries.get(incoming.id);
    var merged = Object.assign({}, old || {}, incoming);
    if (old && (incoming.last_seq || 0) < (old.last_seq || 0)) {
      // An older snapshot overtaken by a newer one (publishes may cross, e.g.
      // a message's summary sent after the router's): the newer one stands.
      merged = Object.assign({}, incoming, old);
    }
    if (old) {
      // Frames from different groups may arrive out of order: counters only grow.
      ["last_seq", "agent_read_seq", "visitor_read_seq"].forEach(function (key) {
        merged[key] = Math.max(old[key] || 0, incoming[key] || 0);
      });
      // Status changes are published with an empty preview; keep the last one.
      if (!incoming.preview) {
        merged.preview = old.preview;
      }
    }
    merged.visitor = merged.visitor || {};
    state.summaries.set(merged.id, merged);
    return merged;
  }

  function visitorName(id) {
    var summary = state.summaries.get(id);
    return (summary && summary.visitor && summary.visitor.name) || "#" + id;
  }

  // Socket -----------------------------------------------------------------------

  function send(frame) {
    var ws = state.ws;
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  var bannerTimer = null;
  function showBanner(text, kind) {
    clearTimeout(bannerTimer);
    els.banner.textContent = text;
    els.banner.className = "livechat-console__banner" + (kind ? " livechat-console__banner--" + kind : "");
    els.banner.hidden = false;
  }

  // The session is gone (logged out, expired, password changed): reconnecting
  // cannot help, logging in again can, and brings the agent back here.
  function sessionEnded() {
    state.stopped = true;
    clearTimeout(state.reconnectTimer);
    state.reconnectTimer = null;
    clearTimeout(bannerTimer);
    els.banner.textContent = S.session_ended + " ";
    els.banner.append(el("a", { href: config.loginUrl || window.location.href, text: S.log_in_again }));
    els.banner.className = "livechat-console__banner livechat-console__banner--error";
    els.banner.hidden = false;
  }

  function hideBanner() {
    // Keep the live region in the page (a status change is announced) but empty.
    els.banner.textContent = "";
    els.banner.className = "livechat-console__banner livechat-console__banner--ok";
  }

  var alertTimer = null;
  function showAlert(text) {
    els.alert.textContent = text;
    els.alert.hidden = false;
    clearTimeout(alertTimer);
    alertTimer = setTimeout(function () {
      els.alert.hidden = true;
      els.alert.textContent = "";
    }, 10000);
  }

  function connect() {
    clearTimeout(state.reconnectTimer);
    state.reconnectTimer = null;
    if (state.stopped) {
      return;
    }
    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    var ws;
    try {
      ws = new WebSocket(scheme + "//" + window.location.host + config.path);
    } catch (e) {
      scheduleReconnect();
      return;
    }
    state.ws = ws;
    ws.onopen = function () {
      if (ws !== state.ws) {
        return;
      }
      state.lastFrameAt = Date.now();
      state.pingSentAt = 0;
      send({ type: "hello", v: PROTOCOL_VERSION });
      // No welcome in time (it could not be built or sent): say so, try again.
      clearTimeout(state.welcomeTimer);
      state.welcomeTimer = setTimeout(function () {
        if (ws === state.ws && !state.ready) {
          showBanner(S.load_failed, "error");
          state.loadFailed = true;
          dropSocket();
        }
      }, WELCOME_TIMEOUT_MS);
    };
    ws.onmessage = function (event) {
      if (ws !== state.ws) {
        return;
      }
      state.lastFrameAt = Date.now();
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      frame = joinParts(frame);
      if (frame && typeof frame.type === "string") {
        handleFrame(frame);
      }
    };
    ws.onclose = function (event) {
      if (ws === state.ws) {
        socketLost(event.code);
      }
    };
  }

  // A frame too big for one WebSocket message comes in parts (docs/protocol.md).
  function joinParts(frame) {
    if (!frame || frame.type !== "part") {
      return frame;
    }
    if (frame.index === 0) {
      state.parts = { id: frame.id, data: [] };
    }
    var parts = state.parts;
    if (!parts || parts.id !== frame.id || parts.data.length !== frame.index || typeof frame.data !== "string") {
      state.parts = null; // a part missing: the frame is lost, as a dropped one would be
      return null;
    }
    parts.data.push(frame.data);
    if (parts.data.length < frame.count) {
      return null;
    }
    state.parts = null;
    try {
      return JSON.parse(parts.data.join(""));
    } catch (e) {
      return null;
    }
  }

  function dropSocket() {
    var ws = state.ws;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      try {
        ws.close();
      } catch (e) {
        // Already closing.
      }
    }
    socketLost(0);
  }

  function socketLost(code) {
    state.ws = null;
    state.ready = false;
    state.parts = null;
    clearTimeout(state.welcomeTimer);
    Object.keys(state.sectionInfo).forEach(function (key) {
      state.sectionInfo[key].loading = false;
    });
    state.pendingOpens = [];
    state.claimPending = null;
    state.presencePending = null;
    clearTimeout(state.presenceTimer);
    renderPresence();
    state.outbox.forEach(function (item) {
      item.sending = false;
    });
    state.noteOutbox.forEach(function (item) {
      item.sending = false;
    });
    if (state.transfer) {
      transferFailed(S.transfer_lost);
    }
    renderPreferences();
    state.views.forEach(function (view) {
      view.joined = false;
      view.fetchingSince = 0;
      view.readSent = 0;
      view.typingActive = false;
      clearTimeout(view.typingIdleTimer);
      clearTimeout(view.gapTimer);
      view.gapTimer = null;
      setVisitorTyping(view, false);
      renderPendingAll(view);
      updatePanel(view);
    });
    if (code === 4401) {
      sessionEnded();
      return;
    }
    if (code === 4403) {
      state.stopped = true;
      showBanner(S.forbidden, "error");
      return;
    }
    if (code === 4400) {
      state.stopped = true;
      showBanner(S.unsupported, "error");
      return;
    }
    scheduleReconnect();
  }

  function scheduleReconnect() {
    if (state.stopped || state.reconnectTimer) {
      return;
    }
    var ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * Math.pow(2, state.attempt));
    // "Equal jitter": never hammer the server in step with every other console.
    var delay = ceiling / 2 + Math.random() * (ceiling / 2);
    state.attempt += 1;
    if (state.loadFailed) {
      state.loadFailed = false; // the error stays up until the next attempt
    } else {
      showBanner(state.everWelcomed ? S.reconnecting : S.connecting, "warning");
    }
    state.reconnectTimer = setTimeout(connect, delay);
  }

  function reconnectNow() {
    if (!state.ws && state.reconnectTimer) {
      clearTimeout(state.reconnectTimer);
      state.reconnectTimer = null;
      connect();
    }
  }

  // The heartbeat also says whether the agent used the console since the last
  // one: an agent who walked away counts as away (docs/protocol.md, ping).
  function heartbeat() {
    if (!state.ws || state.ws.readyState !== WebSocket.OPEN) {
      return;
    }
    var now = Date.now();
    var unanswered = state.pingSentAt && state.lastFrameAt < state.pingSentAt;
    if (
      (unanswered && now - state.pingSentAt > PONG_TIMEOUT_MS) ||
      (!state.ready && now - state.lastFrameAt > STALE_MS)
    ) {
      dropSocket();
      return;
    }
    if (state.ready && !unanswered) {
      send({ type: "ping", active: state.activeSincePing });
      state.activeSincePing = false;
      state.pingSentAt = now;
    }
  }

  // Chrome runs a hidden tab's timers once a minute at most after a while; a
  // worker's timers keep their pace, so the agent stays present in the background.
  function startTicker(callback, ms) {
    var fallback = function () {
      setInterval(callback, ms);
    };
    try {
      var source = "setInterval(function () { postMessage(0); }, " + ms + ");";
      var url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
      var worker = new Worker(url);
      worker.onmessage = callback;
      worker.onerror = function (event) {
        // A Content-Security-Policy without blob: workers: plain timers then.
        if (event && event.preventDefault) {
          event.preventDefault();
        }
        worker.terminate();
        fallback();
      };
    } catch (e) {
      fallback();
    }
  }

  startTicker(heartbeat, PING_MS);

  function markActive() {
    state.activeSincePing = true;
    unlockAudio();
  }
  document.addEventListener("keydown", markActive, true);
  document.addEventListener("pointerdown", markActive, true);
  window.addEventListener("focus", markActive);
  root.addEventListener("focusin", markActive);

  window.addEventListener("online", reconnectNow);

  // Presence ----------------------------------------------------------------------

  var presenceRadios = els.presence
    ? Array.prototype.slice.call(els.presence.querySelectorAll("input[type=radio]"))
    : [];

  function renderPresence() {
    if (!els.presence) {
      return;
    }
    var shown = state.presencePending || state.presence;
    presenceRadios.forEach(function (radio) {
      radio.checked = radio.value === shown;
      // Without a socket the choice could not be sent, and would not count anyway.
      radio.disabled = !state.ready;
    });
    els.presence.setAttribute("data-presence", state.presence);
    var text = state.presencePending
      ? S.presence_saving
      : state.presenceFailed
      ? S.presence_not_saved
      : S["presence_is_" + state.presence] || "";
    if (els.presenceState.textContent !== text) {
      els.presenceState.textContent = text;
    }
    els.presenceState.className =
      "livechat-presence__state livechat-presence__state--" +
      (state.presencePending ? "saving" : state.presenceFailed ? "failed" : state.presence);
  }

  function askPresence(status) {
    if (PRESENCES.indexOf(status) === -1) {
      return;
    }
    if (status === state.presence && !state.presencePending) {
      renderPresence();
      return;
    }
    if (!state.ready || !send({ type: "presence", status: status })) {
      renderPresence();
      return;
    }
    state.presencePending = status;
    state.presenceFailed = false;
    clearTimeout(state.presenceTimer);
    state.presenceTimer = setTimeout(presenceNotConfirmed, PRESENCE_TIMEOUT_MS);
    renderPresence();
  }

  function presenceNotConfirmed() {
    clearTimeout(state.presenceTimer);
    if (state.presencePending) {
      state.presencePending = null;
      state.presenceFailed = true;
    }
    renderPresence();
  }

  function onPresence(frame) {
    if (PRESENCES.indexOf(frame.status) === -1) {
      return;
    }
    state.presence = frame.status;
    // A quicker second click is still on its way: keep showing it as pending.
    if (!state.presencePending || state.presencePending === frame.status) {
      state.presencePending = null;
      clearTimeout(state.presenceTimer);
    }
    state.presenceFailed = false;
    renderPresence();
  }

  presenceRadios.forEach(function (radio) {
    radio.addEventListener("change", function () {
      if (radio.checked) {
        askPresence(radio.value);
      }
    });
  });

  // Frames ----------------------------------------------------------------------

  function handleFrame(frame) {
    switch (frame.type) {
      case "welcome":
        onWelcome(frame);
        break;
      case "conversation":
        onConversation(frame.conversation);
        break;
      case "conversations":
        // Other agents' chats' new messages, coalesced: activity fields only.
        (Array.isArray(frame.conversations) ? frame.conversations : []).forEach(onConversation);
        break;
      case "inbox_page":
        onInboxPage(frame);
        break;
      case "inbox_counts":
        applyCounts(frame.counts);
        scheduleInboxRender();
        break;
      case "opened":
        onOpened(frame);
        break;
      case "messages":
        onMessages(frame);
        break;
      case "message":
        onMessage(frame.message);
        break;
      case "ack":
        onAck(frame);
        break;
      case "typing":
        onTyping(frame);
        break;
      case "read":
        onRead(frame);
        break;
      case "presence":
        onPresence(frame);
        break;
      case "preferences":
        onPreferences(frame);
        break;
      case "agents":
        onAgents(frame);
        break;
      case "transfer_done":
        onTransferDone(frame);
        break;
      case "transferred":
        onTransferred(frame);
        break;
      case "note":
        onNote(frame.note);
        break;
      case "note_ack":
        onNoteAck(frame);
        break;
      case "error":
        onError(frame);
        break;
      default:
        // pong, and frame types added by later minor versions.
        break;
    }
  }

  function onWelcome(frame) {
    var reconnected = state.everWelcomed;
    clearTimeout(state.welcomeTimer);
    state.loadFailed = false;
    state.ready = true;
    state.attempt = 0;
    state.everWelcomed = true;
    if (frame.agent) {
      state.me = { id: frame.agent.id, name: frame.agent.name };
    }
    state.supervisor = !!frame.supervisor;
    // Only agents take chats and go online; a supervisor who is not one watches.
    state.answersChats = frame.role !== "supervisor";
    if (els.presence) {
      els.presence.hidden = !state.answersChats;
    }
    var preference = othersPreference();
    state.othersShown = preference === null ? state.supervisor : preference;
    sections.others.toggle.setAttribute("aria-expanded", state.othersShown ? "true" : "false");
    if (state.othersShown && !state.supervisor) {
      send({ type: "watch", others: true });
    }
    applyWorkspace(frame);
    if (PRESENCES.indexOf(frame.presence) !== -1) {
      state.presence = frame.presence;
    }
    // Whatever was in flight before a reconnect, the welcome says what is stored.
    state.presencePending = null;
    state.presenceFailed = false;
    clearTimeout(state.presenceTimer);
    renderPresence();
    if (reconnected) {
      // Say so (the banner is a live region), then get out of the way.
      showBanner(S.connected, "success");
      clearTimeout(bannerTimer);
      bannerTimer = setTimeout(function () {
        if (state.ready) {
          hideBanner();
        }
      }, 3000);
    } else {
      hideBanner();
    }

    var fresh = new Map();
    (frame.inbox || []).forEach(function (summary) {
      if (summary && typeof summary.id === "number") {
        var old = state.summaries.get(summary.id);
        if (old && !summary.preview) {
          summary.preview = old.preview;
        }
        fresh.set(summary.id, summary);
      }
    });
    // Tabs may show older conversations the inbox no longer lists.
    state.tabs.forEach(function (id) {
      if (!fresh.has(id) && state.summaries.has(id)) {
        fresh.set(id, state.summaries.get(id));
      }
    });
    var previous = state.summaries;
    state.summaries = fresh;
    state.sectionInfo = {};
    var sectionsOf = frame.sections && typeof frame.sections === "object" ? frame.sections : {};
    Object.keys(sections).forEach(function (key) {
      setSectionPage(key, sectionsOf[key] ? sectionsOf[key].next : null);
    });
    applyCounts(
      Object.keys(sectionsOf).reduce(function (counts, key) {
        counts[key] = sectionsOf[key] && sectionsOf[key].count;
        return counts;
      }, {})
    );
    if (!reconnected) {
      // What was there before the page opened is in the inbox, not news.
      fresh.forEach(function (summary) {
        state.notifiedSeq.set(summary.id, summary.last_seq || 0);
        if (isUnanswered(summary)) {
          state.knownWaiting.add(summary.id);
        }
      });
    }

    var wanted = /^#conversation-(\d+)$/.exec(window.location.hash);
    if (wanted) {
      history.replaceState(null, "", window.location.pathname + window.location.search);
      openConversation(Number(wanted[1]));
    }
    // Resume every open tab from what it already shows: nothing missed, nothing doubled.
    state.tabs.forEach(function (id) {
      var view = state.views.get(id);
      if (view && !view.joined) {
        sendOpen(view);
      }
    });
    state.outbox.forEach(sendOutboxItem);
    state.noteOutbox.forEach(sendNoteItem);
    if (reconnected) {
      // Whatever happened while the socket was down is news now (after the
      // tabs resumed, so a chat opened for the news is opened once).
      fresh.forEach(function (summary) {
        noticeChanges(previous.get(summary.id) || null, summary, true);
      });
    }
    if (state.search.q) {
      var q = state.search.q;
      state.search.q = "";
      startSearch(q);
    }
    state.views.forEach(updatePanel);
    renderInbox();
    renderBoard();
  }

  // The agent workspace parts of welcome (docs/protocol.md, version 1 additions).
  function applyWorkspace(frame) {
    state.routing = frame.routing === "auto" ? "auto" : "claim";
    if (typeof frame.long_wait_seconds === "number" && frame.long_wait_seconds > 0) {
      state.longWaitMs = frame.long_wait_seconds * 1000;
    }
    state.closeTags = Array.isArray(frame.close_tags) ? frame.close_tags : [];
    state.departments = Array.isArray(frame.departments) ? frame.departments : [];
    if (Array.isArray(frame.agents)) {
      state.board = frame.agents;
    }
    state.canned = (Array.isArray(frame.canned) ? frame.canned : []).filter(function (reply) {
      return reply && typeof reply.body === "string";
    });
    if (frame.preferences && typeof frame.preferences === "object") {
      state.preferences = {
        sound: frame.preferences.sound !== false,
        desktop: frame.preferences.desktop !== false,
      };
    }
    if (typeof frame.max_message_length === "number" && frame.max_message_length > 0) {
      config.maxLength = frame.max_message_length;
    }
    els.routing.hidden = state.routing !== "auto";
    els.agents.hidden = !state.supervisor;
    renderCloseTags();
    renderPreferences();
    state.tabs.forEach(function (id) {
      var view = state.views.get(id);
      if (view && view.dom) {
        renderComposerHint(view);
      }
    });
  }

  function onConversation(incoming) {
    // mergeSummary stores a new object: this one stays as it was.
    var old = (incoming && state.summaries.get(incoming.id)) || null;
    if (!old && incoming && !incoming.status) {
      return; // activity of a chat this console has not been told about yet
    }
    var summary = mergeSummary(incoming);
    if (!summary) {
      return;
    }
    // Status changes come with an empty preview; a new message with its text.
    noticeChanges(old, summary, !!incoming.preview);
    scheduleInboxRender();
    if (summary.id === state.claimPending && summary.agent) {
      state.claimPending = null; // answered: taken, by this agent or another
    }
    var view = state.views.get(summary.id);
    if (view) {
      updatePanel(view);
      // The live message frame may have been dropped; fetch if it does not follow.
      checkGap(view, 1500);
      maybeMarkRead(view); // it may have just become this agent's
    }
  }

  function onOpened(frame) {
    var summary = mergeSummary(frame.conversation);
    if (!summary) {
      return;
    }
    var index = state.pendingOpens.indexOf(summary.id);
    if (index !== -1) {
      state.pendingOpens.splice(index, 1);
    }
    var view = state.views.get(summary.id);
    if (!view) {
      return;
    }
    view.context = frame.context && typeof frame.context === "object" ? frame.context : {};
    view.visit = frame.visit && typeof frame.visit === "object" ? frame.visit : null;
    (Array.isArray(frame.notes) ? frame.notes : []).forEach(function (note) {
      addNote(view, note);
    });
    view.error = "";
    updatePanel(view);
    renderDetails(view);
    scheduleInboxRender();
  }

  function onMessages(frame) {
    var view = state.views.get(frame.conversation);
    if (!view) {
      return;
    }
    var list = Array.isArray(frame.messages) ? frame.messages : [];
    list.forEach(function (message) {
      addMessage(view, message);
    });
    view.fetchingSince = 0;
    if (frame.more && list.length) {
      view.fetchingSince = Date.now();
      send({ type: "fetch", conversation: view.id, after_seq: list[list.length - 1].seq });
    } else {
      view.loading = false;
      checkGap(view, 1000);
    }
    afterMessages(view);
  }

  function onMessage(message) {
    if (!message || typeof message.seq !== "number") {
      return;
    }
    var summary = state.summaries.get(message.conversation);
    if (summary) {
      var before = { last_seq: summary.last_seq || 0 };
      summary.last_seq = Math.max(summary.last_seq || 0, message.seq);
      if (message.sender !== "system") {
        summary.preview = String(message.body || "").slice(0, 140);
      }
      summary.last_message_at = message.created;
      // As the server records it: a sender has read what they sent.
      if (message.sender === "agent") {
        summary.agent_read_seq = Math.max(summary.agent_read_seq || 0, message.seq);
      } else if (message.sender === "visitor") {
        summary.visitor_read_seq = Math.max(summary.visitor_read_seq || 0, message.seq);
      }
      scheduleInboxRender();
      if (message.sender === "visitor") {
        noticeMessage(summary, before, true);
      }
    }
    var view = state.views.get(message.conversation);
    if (!view) {
      return;
    }
    addMessage(view, message);
    if (!view.loading) {
      checkGap(view, 300);
    }
    afterMessages(view);
  }

  function onAck(frame) {
    var item = removeFromOutbox(frame.client_id);
    var view = state.views.get(frame.conversation);
    if (view && item && typeof frame.seq === "number") {
      // The broadcast copy may be lost; the ack is enough to show the message.
      addMessage(view, {
        id: frame.id,
        conversation: frame.conversation,
        seq: frame.seq,
        sender: "agent",
        author: { name: state.me.name },
        body: item.body,
        client_id: item.client_id,
        created: frame.created,
      });
      checkGap(view, 300);
      afterMessages(view);
    }
  }

  function onTyping(frame) {
    var view = state.views.get(frame.conversation);
    if (view && frame.sender === "visitor") {
      setVisitorTyping(view, !!frame.active, !!frame.draft);
    }
  }

  function onRead(frame) {
    var summary = state.summaries.get(frame.conversation);
    if (!summary || typeof frame.seq !== "number") {
      return;
    }
    var key = frame.reader === "visitor" ? "visitor_read_seq" : "agent_read_seq";
    summary[key] = Math.max(summary[key] || 0, frame.seq);
    scheduleInboxRender();
    var view = state.views.get(frame.conversation);
    if (view && frame.reader === "visitor") {
      view.messages.forEach(function (message) {
        updateMessageStatus(view, message);
      });
    }
  }

  function onError(frame) {
    var message = frame.message || frame.code || "";
    if (frame.code === "login_required") {
      sessionEnded(); // the close (4401) follows
      return;
    }
    if (frame.client_id && findNote(frame.client_id)) {
      noteRefused(findNote(frame.client_id), frame);
      return;
    }
    if (state.transfer && TRANSFER_ERRORS.indexOf(frame.code) !== -1 && !frame.client_id) {
      // Error frames name no request; while a transfer waits for its answer,
      // the refusals a transfer can get are its own (the dialog is modal).
      transferRefused(frame);
      return;
    }
    if (frame.client_id) {
      var item = findOutbox(frame.client_id);
      if (!item) {
        return;
      }
      var view = state.views.get(item.conversation);
      if (frame.retriable) {
        item.error = message;
        clearTimeout(item.retryTimer);
        item.retryTimer = setTimeout(function () {
          if (findOutbox(item.client_id)) {
            sendOutboxItem(item);
          }
        }, RETRY_RETRIABLE_MS);
      } else {
        removeFromOutbox(item.client_id);
        item.failed = message;
        if (view) {
          view.failed.push(item);
        }
      }
      if (view) {
        renderPendingAll(view);
      }
      return;
    }
    var presenceCodes = ["bad_frame", "unavailable", "server_error"];
    if (state.presencePending && !state.pendingOpens.length && presenceCodes.indexOf(frame.code) !== -1) {
      // Error frames name no request; this is the likeliest one to have failed.
      presenceNotConfirmed();
    }
    if (state.claimPending !== null && CLAIM_ERRORS.indexOf(frame.code) !== -1) {
      // Error frames name no request; a claim's refusals are these.
      var claimed = state.claimPending;
      state.claimPending = null;
      if (frame.code === "agent_full" && state.views.has(claimed)) {
        askClaimAnyway(state.views.get(claimed), message);
        return;
      }
    }
    if ((frame.code === "forbidden" || frame.code === "not_found") && state.pendingOpens.length) {
      var failedView = state.views.get(state.pendingOpens.shift());
      if (failedView) {
        failedView.loading = false;
        failedView.error = message;
        updatePanel(failedView);
      }
    }
    showAlert(fmt(S.error, { message: message }));
  }

  // Conversations: data ---------------------------------------------------------

  function getView(id) {
    var view = state.views.get(id);
    if (!view) {
      view = {
        id: id,
        messages: new Map(), // seq -> message
        contiguous: 0, // highest seq with every earlier one present
        maxSeq: 0,
        joined: false,
        loading: false,
        fetchingSince: 0,
        gapTimer: null,
        readSent: 0,
        context: null,
        visit: null,
        notes: new Map(), // note id -> note (internal, agents only)
        noteMode: false,
        canned: null, // the saved-replies picker while open: {items, index, query}
        cannedDismissed: null, // the "/word" the agent dismissed the picker for
        error: "",
        failed: [],
        uploads: [], // files being sent, or refused: {client_id, file, state, error...}
        typingActive: false,
        typingSentAt: 0,
        typingIdleTimer: null,
        visitorTypingTimer: null,
        stickToBottom: true,
        dom: null,
      };
      state.views.set(id, view);
    }
    return view;
  }

  function sendOpen(view) {
    if (!view || !state.ready) {
      return;
    }
    view.joined = true;
    view.loading = true;
    view.readSent = 0;
    state.pendingOpens.push(view.id);
    send({ type: "open", conversation: view.id, last_seq: view.contiguous });
    updatePanel(view);
  }

  function addMessage(view, message) {
    if (!message || typeof message.seq !== "number" || view.messages.has(message.seq)) {
      return false;
    }
    view.messages.set(message.seq, message);
    view.maxSeq = Math.max(view.maxSeq, message.seq);
    while (view.messages.has(view.contiguous + 1)) {
      view.contiguous += 1;
    }
    if (message.client_id) {
      removeFromOutbox(message.client_id);
      removeUpload(view, message.client_id);
    }
    if (message.sender === "visitor") {
      setVisitorTyping(view, false);
    }
    var summary = state.summaries.get(view.id);
    if (summary && message.seq > (summary.last_seq || 0)) {
      summary.last_seq = message.seq;
    }
    renderMessage(view, message);
    return true;
  }

  function afterMessages(view) {
    renderPendingAll(view);
    maybeMarkRead(view);
    scrollIfSticky(view);
    scheduleInboxRender();
    updatePanel(view);
  }

  function targetSeq(view) {
    var summary = state.summaries.get(view.id);
    return Math.max(view.maxSeq, (summary && summary.last_seq) || 0);
  }

  function checkGap(view, delay) {
    if (!state.ready || !view.joined || view.loading) {
      return;
    }
    if (view.contiguous >= targetSeq(view)) {
      clearTimeout(view.gapTimer);
      view.gapTimer = null;
      return;
    }
    if (view.gapTimer) {
      return;
    }
    view.gapTimer = setTimeout(function () {
      view.gapTimer = null;
      if (!state.ready || !view.joined || view.loading || view.contiguous >= targetSeq(view)) {
        return;
      }
      if (view.fetchingSince && Date.now() - view.fetchingSince < FETCH_TIMEOUT_MS) {
        checkGap(view, FETCH_TIMEOUT_MS);
        return;
      }
      view.fetchingSince = Date.now();
      send({ type: "fetch", conversation: view.id, after_seq: view.contiguous });
    }, delay);
  }

  function sendClaim(view, override) {
    var frame = { type: "claim", conversation: view.id };
    if (override) {
      frame.override = true;
    }
    view.dom.claimPrompt.hidden = true;
    if (send(frame)) {
      state.claiming.add(view.id);
      state.claimPending = view.id;
    }
  }

  // "You already have 4 of 4 chats. Take it anyway?"
  function askClaimAnyway(view, message) {
    view.dom.claimQuestion.textContent = message + " " + S.claim_anyway_question;
    view.dom.claimPrompt.hidden = false;
    if (state.active === view.id) {
      view.dom.claimAnyway.focus();
    }
  }

  function maybeMarkRead(view) {
    if (
      !state.ready ||
      !view.joined ||
      state.active !== view.id ||
      document.visibilityState !== "visible"
    ) {
      return;
    }
    var seq = view.contiguous;
    var summary = state.summaries.get(view.id);
    // Only the agent handling a chat reads it for the store (the server
    // ignores anyone else): watching leaves the unread count and the
    // shopper's "Read" to them. Claiming it makes what is shown read.
    if (!isMine(summary)) {
      return;
    }
    if (seq > view.readSent && seq > (summary.agent_read_seq || 0)) {
      view.readSent = seq;
      send({ type: "read", conversation: view.id, seq: seq });
    }
  }

  function isOpenStatus(id) {
    var summary = state.summaries.get(id);
    return !summary || OPEN_STATUSES.indexOf(summary.status) !== -1;
  }

  function isUnanswered(summary) {
    return UNANSWERED.indexOf(summary.status) !== -1 && !summary.agent;
  }

  function isMine(summary) {
    return !!(summary && summary.agent && summary.agent.id === state.me.id);
  }

  // Someone else is handling it: the server refuses this agent's replies.
  function handledByOther(summary) {
    return !!(
      summary &&
      summary.agent &&
      summary.agent.id !== state.me.id &&
      OPEN_STATUSES.indexOf(summary.status) !== -1
    );
  }

  function unreadOf(summary) {
    return Math.max(0, (summary.last_seq || 0) - (summary.agent_read_seq || 0));
  }

  // Sending ------------------------------------------------------------------------

  function sendOutboxItem(item) {
    item.sending = state.ready && send({
      type: "message",
      conversation: item.conversation,
      client_id: item.client_id,
      body: item.body,
    });
    var view = state.views.get(item.conversation);
    if (view) {
      renderPendingAll(view);
    }
  }

  function submitReply(view) {
    var dom = view.dom;
    var body = dom.textarea.value.trim();
    if (!body) {
      return;
    }
    if (body.length > config.maxLength) {
      dom.composerError.textContent = fmt(S.too_long, { limit: config.maxLength });
      return;
    }
    if (!view.noteMode && handledByOther(state.summaries.get(view.id))) {
      return; // read-only: the composer says who has the chat
    }
    dom.composerError.textContent = "";
    closeCanned(view);
    if (view.noteMode) {
      submitNote(view, body);
      return;
    }
    var current = state.summaries.get(view.id);
    if (!current || !current.agent) {
      state.claiming.add(view.id); // the first reply takes the chat: no "assigned" alert
    }
    var item = {
      client_id: newClientId(),
      conversation: view.id,
      body: body,
      created: new Date().toISOString(),
    };
    state.outbox.push(item);
    saveOutbox();
    dom.textarea.value = "";
    delete state.drafts[view.id];
    saveDrafts();
    stopTyping(view);
    view.stickToBottom = true;
    sendOutboxItem(item);
    scrollIfSticky(view);
  }

  function onComposerInput(view) {
    var value = view.dom.textarea.value;
    if (value) {
      state.drafts[view.id] = value;
    } else {
      delete state.drafts[view.id];
    }
    saveDrafts();
    updateCanned(view);
    if (view.noteMode || !value.trim()) {
      stopTyping(view);
      return;
    }
    var now = Date.now();
    if (state.ready && isOpenStatus(view.id) && (!view.typingActive || now - view.typingSentAt > TYPING_THROTTLE_MS)) {
      view.typingActive = true;
      view.typingSentAt = now;
      send({ type: "typing", conversation: view.id, active: true });
    }
    clearTimeout(view.typingIdleTimer);
    view.typingIdleTimer = setTimeout(function () {
      stopTyping(view);
    }, TYPING_IDLE_MS);
  }

  function stopTyping(view) {
    clearTimeout(view.typingIdleTimer);
    if (view.typingActive) {
      view.typingActive = false;
      send({ type: "typing", conversation: view.id, active: false });
    }
  }

  // Internal notes ---------------------------------------------------------------
  // Same rules as replies: an outbox of unacknowledged notes, kept across reloads
  // and sent again with their client id (the server stores each one once).

  function saveNoteOutbox() {
    save(
      "notes",
      state.noteOutbox.map(function (item) {
        return { client_id: item.client_id, conversation: item.conversation, body: item.body, created: item.created };
      })
    );
  }

  function findNote(clientId) {
    for (var i = 0; i < state.noteOutbox.length; i++) {
      if (state.noteOutbox[i].client_id === clientId) {
        return state.noteOutbox[i];
      }
    }
    return null;
  }

  function removeNote(clientId) {
    var item = findNote(clientId);
    if (item) {
      state.noteOutbox.splice(state.noteOutbox.indexOf(item), 1);
      clearTimeout(item.retryTimer);
      saveNoteOutbox();
    }
    return item;
  }

  function sendNoteItem(item) {
    item.sending =
      state.ready &&
      send({ type: "note", conversation: item.conversation, client_id: item.client_id, body: item.body });
    var view = state.views.get(item.conversation);
    if (view) {
      renderPendingAll(view);
    }
  }

  function submitNote(view, body) {
    var item = {
      client_id: newClientId(),
      conversation: view.id,
      body: body,
      created: new Date().toISOString(),
    };
    state.noteOutbox.push(item);
    saveNoteOutbox();
    view.dom.textarea.value = "";
    delete state.drafts[view.id];
    saveDrafts();
    view.stickToBottom = true;
    sendNoteItem(item);
    scrollIfSticky(view);
  }

  function addNote(view, note) {
    if (!note || typeof note.id !== "number") {
      return;
    }
    var known = view.notes.get(note.id);
    if (known && known.created === note.created) {
      return; // a replay after a reconnect: already shown
    }
    view.notes.set(note.id, note);
    if (note.client_id) {
      removeNote(note.client_id);
    }
    renderNote(view, note);
  }

  function onNote(note) {
    if (!note || typeof note.id !== "number") {
      return;
    }
    var view = state.views.get(note.conversation);
    if (!view) {
      return;
    }
    addNote(view, note);
    renderPendingAll(view);
    scrollIfSticky(view);
  }

  function onNoteAck(frame) {
    var item = removeNote(frame.client_id);
    var view = state.views.get(frame.conversation);
    if (!view) {
      return;
    }
    if (item && typeof frame.id === "number" && !view.notes.has(frame.id)) {
      // The note frame may be lost like any broadcast; the ack is enough.
      addNote(view, {
        id: frame.id,
        conversation: frame.conversation,
        author: { id: state.me.id, name: state.me.name },
        body: item.body,
        client_id: item.client_id,
        created: item.created,
      });
    }
    renderPendingAll(view);
    scrollIfSticky(view);
  }

  function noteRefused(item, frame) {
    var message = frame.message || frame.code || "";
    var view = state.views.get(item.conversation);
    if (frame.retriable) {
      item.error = message;
      clearTimeout(item.retryTimer);
      item.retryTimer = setTimeout(function () {
        if (findNote(item.client_id)) {
          sendNoteItem(item);
        }
      }, RETRY_RETRIABLE_MS);
    } else {
      removeNote(item.client_id);
      item.failed = message;
      item.note = true;
      if (view) {
        view.failed.push(item);
      }
    }
    if (view) {
      renderPendingAll(view);
    }
  }

  // Conversations: DOM --------------------------------------------------------------

  function buildPanel(view) {
    var id = view.id;
    var tabId = "livechat-tab-" + id;
    var panelId = "livechat-panel-" + id;
    var replyId = "livechat-reply-" + id;
    var hintId = "livechat-reply-hint-" + id;
    var dom = {};

    dom.tabName = el("span", { className: "livechat-tab__name" });
    dom.tabBadge = el("span", { className: "livechat-badge", hidden: true });
    dom.tabFlag = el("span", { className: "livechat-tag livechat-tag--transferred", text: S.transferred_tag, hidden: true });
    dom.tab = el(
      "button",
      {
        type: "button",
        role: "tab",
        id: tabId,
        className: "livechat-tab",
        "aria-controls": panelId,
        "aria-selected": "false",
        tabindex: "-1",
        "data-conversation": id,
        onclick: function () {
          selectTab(id);
        },
        onkeydown: onTabKeydown,
      },
      dom.tabName,
      dom.tabFlag,
      dom.tabBadge
    );

    dom.title = el("h2", { className: "livechat-panel__title" });
    dom.status = el("span", { className: "livechat-panel__status" });
    dom.sourceTag = el("span", { className: "livechat-tag livechat-tag--offline", text: S.offline_message, hidden: true });
    dom.claim = el("button", {
      type: "button",
      className: "button livechat-button",
      text: S.claim,
      hidden: true,
      onclick: function () {
        sendClaim(view, false);
      },
    });
    // Past the agent's limit the server refuses a claim; they may insist.
    dom.claimQuestion = el("p", { className: "livechat-claim-anyway__question", role: "alert" });
    dom.claimAnyway = el("button", {
      type: "button",
      className: "button default livechat-button",
      text: S.claim_anyway,
      onclick: function () {
        sendClaim(view, true);
      },
    });
    dom.claimPrompt = el(
      "div",
      { className: "livechat-claim-anyway", hidden: true },
      dom.claimQuestion,
      el(
        "div",
        { className: "livechat-claim-anyway__buttons" },
        dom.claimAnyway,
        el("button", {
          type: "button",
          className: "button livechat-button livechat-button--quiet",
          text: S.cancel,
          onclick: function () {
            dom.claimPrompt.hidden = true;
            dom.claim.focus();
          },
        })
      )
    );
    dom.transfer = el("button", {
      type: "button",
      className: "button livechat-button",
      text: S.transfer,
      hidden: true,
      "aria-haspopup": "dialog",
      onclick: function () {
        openTransferDialog(view, dom.transfer);
      },
    });
    dom.close = el("button", {
      type: "button",
      className: "button livechat-button livechat-button--danger",
      text: S.close,
      hidden: true,
      "aria-haspopup": "dialog",
      onclick: function () {
        openCloseDialog(view, dom.close);
      },
    });
    dom.adminLink = config.adminUrl
      ? el("a", {
          className: "livechat-panel__admin-link",
          href: config.adminUrl.replace("{id}", String(id)),
          text: S.open_in_admin,
        })
      : null;
    dom.closeTab = el("button", {
      type: "button",
      className: "button livechat-button livechat-button--quiet",
      text: fmt(S.close_tab, { name: "" }).trim(),
      onclick: function () {
        closeTab(id);
      },
    });
    var header = el(
      "div",
      { className: "livechat-panel__header" },
      el("div", { className: "livechat-panel__heading" }, dom.title, dom.sourceTag, dom.status),
      el("div", { className: "livechat-panel__actions" }, dom.claim, dom.transfer, dom.close, dom.adminLink, dom.closeTab)
    );

    dom.loading = el("p", { className: "livechat-log__loading", text: S.loading, hidden: true });
    dom.error = el("p", { className: "livechat-log__error errornote", hidden: true });
    dom.list = el("ol", { className: "livechat-messages" });
    dom.pending = el("ol", { className: "livechat-messages livechat-messages--pending" });
    dom.uploads = el("ol", { className: "livechat-messages livechat-messages--pending" });
    dom.log = el(
      "div",
      {
        className: "livechat-log",
        role: "log",
        tabindex: "0",
        onscroll: function () {
          var log = dom.log;
          view.stickToBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 60;
        },
      },
      dom.loading,
      dom.error,
      dom.list,
      dom.pending,
      dom.uploads
    );
    dom.typing = el("p", { className: "livechat-typing", "aria-live": "polite" });
    dom.closedNote = el("p", { className: "livechat-closed-note", text: S.closed_note, hidden: true });
    // Offline messages: the shopper is probably gone, their email is the way back.
    dom.offlineEmail = el("span", { className: "livechat-offline__email" });
    dom.offlineNotice = el(
      "div",
      { className: "livechat-offline", hidden: true },
      el("span", { className: "livechat-tag livechat-tag--offline", text: S.offline_message }),
      " ",
      dom.offlineEmail,
      el("p", { className: "livechat-offline__hint", text: S.offline_hint })
    );
    dom.ratingTitleId = panelId + "-rating";
    dom.ratingValue = el("span", { className: "livechat-rating__line" });
    dom.ratingComment = el("blockquote", { className: "livechat-rating__comment" });
    dom.rating = el(
      "section",
      { className: "livechat-rating", "aria-labelledby": dom.ratingTitleId, hidden: true },
      el("h3", { id: dom.ratingTitleId, className: "livechat-rating__title", text: S.rating_title }),
      dom.ratingValue,
      dom.ratingComment
    );

    var cannedId = "livechat-canned-" + id;
    var readOnlyId = "livechat-readonly-" + id;
    dom.textarea = el("textarea", {
      id: replyId,
      rows: "3",
      className: "livechat-composer__input",
      "aria-describedby": hintId,
      // The saved-replies picker: a textbox with a listbox popup (the ARIA
      // combobox pattern for a multi-line field: focus stays in the textarea).
      "aria-autocomplete": "list",
      "aria-controls": cannedId,
      oninput: function () {
        onComposerInput(view);
      },
      onkeydown: function (event) {
        if (onCannedKeydown(view, event)) {
          return;
        }
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
          event.preventDefault();
          submitReply(view);
        }
      },
      onclick: function () {
        updateCanned(view);
      },
      onblur: function () {
        stopTyping(view);
        closeCanned(view);
      },
    });
    dom.textarea.value = state.drafts[id] || "";
    dom.cannedList = el("ul", {
      id: cannedId,
      role: "listbox",
      className: "livechat-canned",
      "aria-label": S.canned_label,
      hidden: true,
    });
    dom.cannedStatus = el("span", { className: "visually-hidden", role: "status" });
    dom.composerLabel = el("label", { for: replyId, className: "livechat-composer__label", text: S.reply });
    dom.noteToggle = el("button", {
      type: "button",
      className: "livechat-composer__mode",
      "aria-pressed": "false",
      text: S.note_mode,
      onclick: function () {
        setNoteMode(view, !view.noteMode);
        dom.textarea.focus();
      },
    });
    dom.readOnly = el("p", { id: readOnlyId, className: "livechat-composer__readonly", hidden: true });
    dom.hint = el("p", { id: hintId, className: "livechat-composer__hint" });
    dom.send = el("button", { type: "submit", className: "button default livechat-button", text: S.send });
    var attachHintId = "livechat-attach-hint-" + id;
    dom.fileInput = el("input", {
      type: "file",
      hidden: true,
      multiple: true,
      tabindex: "-1",
      accept: UPLOAD_TYPES.join(",") + ",.png,.jpg,.jpeg,.gif,.webp,.pdf",
      onchange: function () {
        startUploads(view, dom.fileInput.files);
        dom.fileInput.value = "";
      },
    });
    dom.attach = config.uploadUrl
      ? el("button", {
          type: "button",
          className: "button livechat-button livechat-button--quiet livechat-composer__attach",
          text: S.attach,
          "aria-describedby": attachHintId,
          onclick: function () {
            dom.fileInput.click();
          },
        })
      : null;
    var attachHint = config.uploadUrl
      ? el("span", {
          id: attachHintId,
          className: "visually-hidden",
          text: fmt(S.attach_hint, { size: humanSize(config.maxUpload) }),
        })
      : null;
    dom.composerError = el("p", { className: "livechat-composer__error", role: "alert" });
    dom.composer = el(
      "form",
      {
        className: "livechat-composer",
        onsubmit: function (event) {
          event.preventDefault();
          submitReply(view);
        },
        ondragover: function (event) {
          if (mayUpload(view) && hasFiles(event)) {
            event.preventDefault();
            dom.composer.classList.add("livechat-composer--drop");
          }
        },
        ondragleave: function () {
          dom.composer.classList.remove("livechat-composer--drop");
        },
        ondrop: function (event) {
          dom.composer.classList.remove("livechat-composer--drop");
          if (mayUpload(view) && hasFiles(event)) {
            event.preventDefault();
            startUploads(view, event.dataTransfer.files);
          }
        },
      },
      el("div", { className: "livechat-composer__top" }, dom.composerLabel, dom.noteToggle),
      dom.readOnly,
      el("div", { className: "livechat-composer__field" }, dom.textarea, dom.cannedList),
      dom.cannedStatus,
      el(
        "div",
        { className: "livechat-composer__footer" },
        dom.hint,
        el("div", { className: "livechat-composer__buttons" }, dom.attach, attachHint, dom.fileInput, dom.send)
      ),
      dom.composerError
    );
    // A screenshot pasted into the reply box is sent as a file.
    dom.textarea.addEventListener("paste", function (event) {
      var files = event.clipboardData && event.clipboardData.files;
      if (mayUpload(view) && files && files.length) {
        event.preventDefault();
        startUploads(view, files);
      }
    });

    dom.details = el("dl", { className: "livechat-details" });
    dom.context = el("div", { className: "livechat-context" });
    dom.visit = el("div", { className: "livechat-visit" });
    dom.past = el("div", { className: "livechat-past" });
    var aside = el(
      "aside",
      { className: "livechat-panel__aside", "aria-labelledby": panelId + "-visitor" },
      el("h3", { id: panelId + "-visitor", text: S.details }),
      dom.details,
      el("h3", { text: S.context }),
      dom.context,
      el("h3", { text: S.visit }),
      dom.visit,
      el("h3", { text: S.past_conversations }),
      dom.past
    );

    dom.panel = el(
      "section",
      {
        role: "tabpanel",
        id: panelId,
        className: "livechat-panel",
        "aria-labelledby": tabId,
        hidden: true,
      },
      header,
      dom.claimPrompt,
      el(
        "div",
        { className: "livechat-panel__body" },
        el(
          "div",
          { className: "livechat-panel__chat" },
          dom.offlineNotice,
          dom.log,
          dom.typing,
          dom.closedNote,
          dom.rating,
          dom.composer
        ),
        aside
      )
    );
    dom.messageNodes = new Map(); // seq -> li
    dom.noteNodes = new Map(); // note id -> li
    view.dom = dom;

    els.tablist.appendChild(dom.tab);
    els.panels.appendChild(dom.panel);
    Array.from(view.messages.keys())
      .sort(function (a, b) {
        return a - b;
      })
      .forEach(function (seq) {
        renderMessage(view, view.messages.get(seq));
      });
    view.notes.forEach(function (note) {
      renderNote(view, note);
    });
    renderDetails(view);
    renderPendingAll(view);
    updatePanel(view);
  }

  function hasFiles(event) {
    var types = event.dataTransfer && event.dataTransfer.types;
    return !!types && Array.prototype.indexOf.call(types, "Files") !== -1;
  }

  function senderLabel(view, message) {
    if (message.sender === "visitor") {
      return visitorName(view.id);
    }
    if (message.sender === "agent") {
      return (message.author && message.author.name) || S.agent;
    }
    return S.system;
  }

  // A stored file: images as a linked thumbnail, anything else as a named link.
  function attachmentNode(view, attachment) {
    var href = safeHref(attachment.url);
    if (!href) {
      return null;
    }
    var name = String(attachment.name || "");
    var size = humanSize(attachment.size);
    if (/^image\//.test(String(attachment.content_type || ""))) {
      var box = fitBox(attachment.width, attachment.height);
      var image = el("img", {
        className: "livechat-attachment__image",
        src: safeHref(attachment.thumbnail) || href,
        alt: name,
        width: box && box[0],
        height: box && box[1],
        decoding: "async",
        onload: function () {
          // Without known dimensions the picture grows the log once loaded.
          scrollIfSticky(view);
        },
      });
      return el(
        "a",
        {
          className: "livechat-attachment livechat-attachment--image",
          href: href,
          target: "_blank",
          rel: "noopener",
          title: size ? name + " (" + size + ")" : name,
        },
        image
      );
    }
    return el(
      "a",
      { className: "livechat-attachment livechat-attachment--file", href: href, target: "_blank", rel: "noopener" },
      el("span", { className: "livechat-attachment__name", text: name }),
      size ? el("span", { className: "livechat-attachment__size", text: " (" + size + ")" }) : null
    );
  }

  function messageNode(view, message, extraClass, pendingFile) {
    var status = el("span", { className: "livechat-msg__status" });
    var attachment = message.attachment && typeof message.attachment === "object" ? message.attachment : null;
    var fileNode = pendingFile || (attachment ? attachmentNode(view, attachment) : null);
    var body = String(message.body || "");
    // A file's message body is its name: say it once.
    var showBody = !fileNode || (attachment && body !== String(attachment.name || ""));
    var node = el(
      "li",
      { className: "livechat-msg livechat-msg--" + (message.sender || "system") + (extraClass || "") },
      el(
        "div",
        { className: "livechat-msg__meta" },
        el("span", { className: "livechat-msg__sender", text: senderLabel(view, message) }),
        " ",
        el("time", { datetime: message.created || "", text: formatTime(message.created) }),
        " ",
        status
      ),
      fileNode,
      showBody ? el("div", { className: "livechat-msg__body", text: body }) : null
    );
    node.statusNode = status;
    return node;
  }

  function renderMessage(view, message) {
    var dom = view.dom;
    if (!dom || dom.messageNodes.has(message.seq)) {
      return;
    }
    var node = messageNode(view, message);
    node.dataset.kind = "message";
    node.dataset.seq = String(message.seq);
    node.dataset.time = String(timeOf(message.created));
    dom.messageNodes.set(message.seq, node);
    insertOrdered(dom.list, node);
    updateMessageStatus(view, message);
  }

  function timeOf(value) {
    var date = parseDate(value);
    return date ? date.getTime() : 0;
  }

  // Messages keep their seq order; notes sit between them by time. Usually
  // appended; replays, gap fills and notes may land in the middle.
  function insertOrdered(list, node) {
    var kind = node.dataset.kind;
    var seq = Number(node.dataset.seq);
    var time = Number(node.dataset.time);
    var next = null;
    for (var i = list.children.length - 1; i >= 0; i--) {
      var child = list.children[i];
      var after =
        kind === "message" && child.dataset.kind === "message"
          ? Number(child.dataset.seq) > seq
          : Number(child.dataset.time) > time;
      if (!after) {
        break;
      }
      next = child;
    }
    list.insertBefore(node, next);
  }

  function noteNode(view, note, extraClass) {
    var status = el("span", { className: "livechat-msg__status" });
    var node = el(
      "li",
      { className: "livechat-msg livechat-msg--note" + (extraClass || "") },
      el(
        "div",
        { className: "livechat-msg__meta" },
        el("span", { className: "livechat-msg__label", text: S.note_label }),
        " · ",
        el("span", { className: "livechat-msg__sender", text: (note.author && note.author.name) || S.agent }),
        " ",
        el("time", { datetime: note.created || "", text: formatTime(note.created) }),
        " ",
        status
      ),
      el("div", { className: "livechat-msg__body", text: String(note.body || "") })
    );
    node.statusNode = status;
    return node;
  }

  function renderNote(view, note) {
    var dom = view.dom;
    if (!dom) {
      return;
    }
    var old = dom.noteNodes.get(note.id);
    if (old) {
      old.remove();
    }
    var node = noteNode(view, note);
    node.dataset.kind = "note";
    node.dataset.time = String(timeOf(note.created));
    dom.noteNodes.set(note.id, node);
    insertOrdered(dom.list, node);
  }

  function updateMessageStatus(view, message) {
    var node = view.dom && view.dom.messageNodes.get(message.seq);
    if (!node || message.sender !== "agent") {
      return;
    }
    var summary = state.summaries.get(view.id);
    var seen = summary && (summary.visitor_read_seq || 0) >= message.seq;
    node.statusNode.textContent = seen ? S.seen : S.sent;
  }

  function renderPendingAll(view) {
    var dom = view.dom;
    if (!dom) {
      return;
    }
    dom.pending.textContent = "";
    state.outbox.forEach(function (item) {
      if (item.conversation !== view.id) {
        return;
      }
      var node = messageNode(
        view,
        { sender: "agent", author: { name: state.me.name }, body: item.body, created: item.created },
        " livechat-msg--pending"
      );
      var text = item.error
        ? fmt(S.will_retry, { error: item.error })
        : item.sending
        ? S.sending
        : S.queued;
      node.statusNode.textContent = text;
      dom.pending.appendChild(node);
    });
    state.noteOutbox.forEach(function (item) {
      if (item.conversation !== view.id) {
        return;
      }
      var node = noteNode(view, { author: { name: state.me.name }, body: item.body, created: item.created }, " livechat-msg--pending");
      node.statusNode.textContent = item.error
        ? fmt(S.will_retry, { error: item.error })
        : item.sending
        ? S.note_saving
        : S.queued;
      dom.pending.appendChild(node);
    });
    view.failed.forEach(function (item) {
      var shown = { sender: "agent", author: { name: state.me.name }, body: item.body, created: item.created };
      var node = item.note
        ? noteNode(view, shown, " livechat-msg--failed")
        : messageNode(view, shown, " livechat-msg--failed");
      node.statusNode.textContent = fmt(S.failed, { error: item.failed });
      node.appendChild(
        el("button", {
          type: "button",
          className: "livechat-msg__dismiss",
          text: S.dismiss,
          onclick: function () {
            view.failed.splice(view.failed.indexOf(item), 1);
            renderPendingAll(view);
          },
        })
      );
      dom.pending.appendChild(node);
    });
    renderUploads(view);
  }

  // Sending files ----------------------------------------------------------------------

  // Upload nodes are rebuilt only when their state changes, so an error is
  // announced once, not again whenever another message arrives.
  function renderUploads(view) {
    var dom = view.dom;
    if (!dom) {
      return;
    }
    var wanted = view.uploads.map(function (item) {
      var key = item.state + "|" + item.error;
      if (!item.node || item.nodeKey !== key) {
        item.node = uploadNode(view, item);
        item.nodeKey = key;
      }
      return item.node;
    });
    Array.prototype.slice.call(dom.uploads.children).forEach(function (child) {
      if (wanted.indexOf(child) === -1) {
        child.remove();
      }
    });
    wanted.forEach(function (node, index) {
      if (dom.uploads.children[index] !== node) {
        dom.uploads.insertBefore(node, dom.uploads.children[index] || null);
      }
    });
  }

  function uploadNode(view, item) {
    var failed = item.state === "failed";
    var size = humanSize(item.size);
    var file = el(
      "div",
      { className: "livechat-attachment livechat-attachment--pending" },
      item.previewUrl
        ? el("img", {
            className: "livechat-attachment__image",
            src: item.previewUrl,
            alt: item.name,
            onload: function () {
              scrollIfSticky(view);
            },
          })
        : null,
      el("span", { className: "livechat-attachment__name", text: item.name }),
      size ? el("span", { className: "livechat-attachment__size", text: " (" + size + ")" }) : null
    );
    var node = messageNode(
      view,
      { sender: "agent", author: { name: state.me.name }, body: "", created: item.created },
      failed ? " livechat-msg--failed" : " livechat-msg--pending",
      file
    );
    if (!failed) {
      node.statusNode.textContent = item.state === "uploaded" ? S.uploaded : S.uploading;
      return node;
    }
    // Shown where the file is, and announced: the agent may be typing elsewhere.
    node.appendChild(
      el("p", { className: "livechat-msg__error", role: "alert", text: fmt(S.upload_failed, { error: item.error }) })
    );
    var actions = el("div", { className: "livechat-msg__actions" });
    if (item.retriable && item.file) {
      actions.append(
        el("button", {
          type: "button",
          className: "livechat-msg__dismiss",
          text: S.retry,
          onclick: function () {
            sendUpload(view, item);
          },
        }),
        " "
      );
    }
    actions.append(
      el("button", {
        type: "button",
        className: "livechat-msg__dismiss",
        text: S.dismiss,
        onclick: function () {
          removeUpload(view, item.client_id);
        },
      })
    );
    node.appendChild(actions);
    return node;
  }

  function removeUpload(view, clientId) {
    for (var i = 0; i < view.uploads.length; i++) {
      var item = view.uploads[i];
      if (item.client_id === clientId) {
        view.uploads.splice(i, 1);
        if (item.previewUrl) {
          URL.revokeObjectURL(item.previewUrl);
        }
        renderPendingAll(view);
        return item;
      }
    }
    return null;
  }

  function fileProblem(file) {
    var typeKnown = UPLOAD_TYPES.indexOf(file.type) !== -1;
    if (!typeKnown && (file.type || !UPLOAD_EXTENSIONS.test(file.name))) {
      return S.upload_bad_type;
    }
    if (file.size > config.maxUpload) {
      return fmt(S.upload_too_big, { size: humanSize(config.maxUpload) });
    }
    return "";
  }

  function startUploads(view, files) {
    Array.prototype.forEach.call(files || [], function (file) {
      var problem = fileProblem(file);
      var item = {
        client_id: newClientId(),
        conversation: view.id,
        file: file,
        name: file.name || "file",
        size: file.size,
        created: new Date().toISOString(),
        previewUrl: !problem && /^image\//.test(file.type) ? URL.createObjectURL(file) : "",
        state: problem ? "failed" : "uploading",
        error: problem,
        retriable: false,
      };
      view.uploads.push(item);
      if (!problem) {
        sendUpload(view, item);
      }
    });
    view.stickToBottom = true;
    renderPendingAll(view);
    scrollIfSticky(view);
  }

  function sendUpload(view, item) {
    item.state = "uploading";
    item.error = "";
    renderPendingAll(view);
    var body = new FormData();
    body.append("file", item.file, item.name);
    // The same client id on a retry: the server never stores the file twice.
    body.append("client_id", item.client_id);
    body.append("conversation", String(item.conversation));
    fetch(config.uploadUrl, {
      method: "POST",
      body: body,
      headers: { "X-CSRFToken": config.csrfToken },
      credentials: "same-origin",
    }).then(
      function (response) {
        return response
          .json()
          .catch(function () {
            // A proxy's or Django's own HTML error page (CSRF failure, 413).
            return null;
          })
          .then(function (data) {
            if (response.ok && data && data.type === "ack") {
              uploadDone(view, item, data);
            } else {
              uploadFailed(
                view,
                item,
                (data && typeof data.message === "string" && data.message) ||
                  fmt(S.upload_http_error, { status: response.status }),
                response.status >= 500 || !!(data && data.retriable)
              );
            }
          });
      },
      function () {
        uploadFailed(view, item, S.upload_network, true);
      }
    );
  }

  function uploadDone(view, item, ack) {
    if (view.uploads.indexOf(item) === -1) {
      return; // its message frame came first
    }
    item.state = "uploaded";
    var summary = state.summaries.get(view.id);
    if (summary && typeof ack.seq === "number") {
      summary.last_seq = Math.max(summary.last_seq || 0, ack.seq);
    }
    if (typeof ack.seq === "number" && view.messages.has(ack.seq)) {
      removeUpload(view, item.client_id);
      return;
    }
    renderPendingAll(view);
    // The message frame carries the stored file's URLs; fetch it if it got lost.
    checkGap(view, 1500);
  }

  function uploadFailed(view, item, error, retriable) {
    if (view.uploads.indexOf(item) === -1) {
      return;
    }
    item.state = "failed";
    item.error = error;
    item.retriable = retriable;
    renderPendingAll(view);
    scrollIfSticky(view);
  }

  function setVisitorTyping(view, active, draft) {
    clearTimeout(view.visitorTypingTimer);
    if (view.dom) {
      // Typing now, or paused with words not sent yet (the draft in progress).
      view.dom.typing.textContent = active
        ? S.visitor_typing
        : draft
          ? S.visitor_draft
          : "";
    }
    if (active) {
      // A lost "active: false" must not leave the indicator on for ever.
      view.visitorTypingTimer = setTimeout(function () {
        setVisitorTyping(view, false);
      }, VISITOR_TYPING_TIMEOUT_MS);
    }
  }

  function scrollIfSticky(view) {
    var dom = view.dom;
    if (dom && view.stickToBottom && !dom.panel.hidden) {
      dom.log.scrollTop = dom.log.scrollHeight;
    }
  }

  function updatePanel(view) {
    var dom = view.dom;
    if (!dom) {
      return;
    }
    var summary = state.summaries.get(view.id) || { status: "", visitor: {} };
    var name = visitorName(view.id);
    dom.tabName.textContent = name;
    dom.title.textContent = name;
    dom.log.setAttribute("aria-label", fmt(S.transcript, { name: name }));
    dom.closeTab.setAttribute("aria-label", fmt(S.close_tab, { name: name }));
    var agentText = summary.agent
      ? summary.agent.id === state.me.id
        ? S.mine
        : fmt(S.assigned_to, { name: summary.agent.name })
      : S.unassigned;
    dom.status.textContent = summary.status ? statusText(summary.status) + " · " + agentText : "";
    dom.status.className = "livechat-panel__status livechat-status--" + (summary.status || "unknown");

    var open = OPEN_STATUSES.indexOf(summary.status) !== -1;
    var other = handledByOther(summary);
    // Who may act: the agent handling it (or anyone while nobody does);
    // supervisors may also transfer or close another agent's chat.
    var mayManage = open && (!other || state.supervisor);
    dom.claim.hidden = !(state.answersChats && open && !summary.agent && UNANSWERED.indexOf(summary.status) !== -1);
    if (dom.claim.hidden) {
      dom.claimPrompt.hidden = true;
    }
    dom.transfer.hidden = !mayManage;
    dom.close.hidden = !mayManage;
    dom.claim.disabled = dom.close.disabled = dom.transfer.disabled = !state.ready;
    var closed = !!summary.status && !open;
    dom.closedNote.hidden = !closed;
    dom.composer.hidden = closed;
    renderComposerMode(view, other ? summary.agent.name : "");
    renderSummaryExtras(view, summary);

    dom.loading.hidden = !(view.loading && view.messages.size === 0);
    dom.error.hidden = !view.error;
    dom.error.textContent = view.error;

    var unread = Math.max(0, (summary.last_seq || 0) - (summary.agent_read_seq || 0));
    var showBadge = unread > 0 && state.active !== view.id;
    dom.tabBadge.hidden = !showBadge;
    dom.tabBadge.textContent = "";
    if (showBadge) {
      dom.tabBadge.append(
        el("span", { "aria-hidden": "true", text: String(unread) }),
        el("span", { className: "visually-hidden", text: unreadText(unread) })
      );
    }
    view.messages.forEach(function (message) {
      if (message.sender === "agent") {
        updateMessageStatus(view, message);
      }
    });
  }

  // Where the chat came from and how the shopper rated it.
  function renderSummaryExtras(view, summary) {
    var dom = view.dom;
    var offline = summary.source === "offline";
    dom.sourceTag.hidden = !offline;
    var visitor = summary.visitor || {};
    var email = typeof visitor.email === "string" ? visitor.email : "";
    var showNotice = offline && !!email;
    dom.offlineNotice.hidden = !showNotice;
    if (showNotice && dom.offlineEmail.getAttribute("data-email") !== email) {
      dom.offlineEmail.setAttribute("data-email", email);
      var href = mailtoHref(email);
      dom.offlineEmail.textContent = "";
      dom.offlineEmail.append(href ? el("a", { href: href, text: email }) : email);
    }
    var ratingNodeNow = ratingNode(summary.rating);
    dom.rating.hidden = !ratingNodeNow;
    var key = (summary.rating || "") + "|" + (summary.rating_comment || "");
    if (ratingNodeNow && dom.rating.getAttribute("data-key") !== key) {
      dom.rating.setAttribute("data-key", key);
      dom.ratingValue.textContent = "";
      dom.ratingValue.append(ratingNodeNow);
      var comment = typeof summary.rating_comment === "string" ? summary.rating_comment.trim() : "";
      dom.ratingComment.textContent = comment ? fmt(S.rating_comment, { comment: comment }) : "";
      dom.ratingComment.hidden = !comment;
    }
  }

  function renderDetails(view) {
    var dom = view.dom;
    if (!dom) {
      return;
    }
    var summary = state.summaries.get(view.id);
    var visitor = (summary && summary.visitor) || {};
    dom.details.textContent = "";
    var page = visitor.current_page;
    var pageHref = safeHref(page);
    var mailto = mailtoHref(visitor.email);
    var rows = [
      [S.name, visitor.name],
      [S.email, mailto ? el("a", { href: mailto, text: visitor.email }) : visitor.email],
      visitor.phone ? [S.phone, visitor.phone] : null,
      [
        S.page,
        pageHref
          ? el("a", { href: pageHref, target: "_blank", rel: "noopener noreferrer", text: shortPage(page), title: page })
          : page,
      ],
      [S.locale, visitor.locale],
      [S.topic, summary && summary.topic],
      [S.started, summary && formatTime(summary.created)],
    ];
    rows.forEach(function (row) {
      if (!row) {
        return;
      }
      dom.details.append(el("dt", { text: row[0] }), el("dd", null, row[1] ? row[1] : S.none));
    });

    dom.context.textContent = "";
    dom.visit.textContent = "";
    dom.past.textContent = "";
    if (view.context === null) {
      dom.visit.append(el("p", { className: "livechat-aside__quiet", text: S.loading }));
      return;
    }
    var keys = Object.keys(view.context);
    dom.context.append(keys.length ? renderValue(view.context, 0) : el("p", { text: S.no_context }));
    renderVisit(view);
  }

  // livechat's own facts about the visit (docs/protocol.md, opened.visit).
  function renderVisit(view) {
    var dom = view.dom;
    var visit = view.visit || {};
    var device = typeof visit.mobile === "boolean" ? (visit.mobile ? S.mobile : S.desktop) : "";
    var facts = el("dl", { className: "livechat-details" });
    [
      [S.browser, visit.browser],
      [S.system_os, visit.system],
      [S.device, device],
    ].forEach(function (row) {
      facts.append(el("dt", { text: row[0] }), el("dd", { text: row[1] || S.none }));
    });
    dom.visit.append(facts);

    var pages = Array.isArray(visit.pages) ? visit.pages : [];
    var pagesTitleId = "livechat-pages-" + view.id;
    dom.visit.append(el("h4", { id: pagesTitleId, className: "livechat-aside__subtitle", text: S.pages_seen }));
    if (!pages.length) {
      dom.visit.append(el("p", { className: "livechat-aside__quiet", text: S.none }));
    } else {
      var list = el("ol", { className: "livechat-pages", "aria-labelledby": pagesTitleId });
      pages.forEach(function (page) {
        if (!page || typeof page.path !== "string") {
          return;
        }
        var href = safeHref(page.path);
        list.append(
          el(
            "li",
            null,
            el("time", { datetime: page.at || "", text: formatTime(page.at) }),
            " ",
            href
              ? el("a", { href: href, target: "_blank", rel: "noopener noreferrer", text: shortPage(page.path) })
              : page.path
          )
        );
      });
      dom.visit.append(list);
    }

    var past = Array.isArray(visit.past_conversations) ? visit.past_conversations : [];
    if (!past.length) {
      dom.past.append(el("p", { className: "livechat-aside__quiet", text: S.no_past }));
      return;
    }
    var pastList = el("ul", { className: "livechat-past__list" });
    past.forEach(function (item) {
      if (!item || typeof item.id !== "number") {
        return;
      }
      var parts = [formatTime(item.created), statusText(item.status)];
      var tag = tagLabel(item.tag);
      if (tag) {
        parts.push(tag);
      }
      if (item.topic) {
        parts.push(item.topic);
      }
      var line = el("span", { className: "livechat-past__line", text: parts.filter(Boolean).join(" · ") });
      var rated = ratingNode(item.rating);
      pastList.append(
        el(
          "li",
          { className: "livechat-past__item" },
          line,
          rated ? el("span", { className: "livechat-past__rating" }, " · ", rated) : null,
          " ",
          el("button", {
            type: "button",
            className: "livechat-link-button",
            text: S.open_past,
            "aria-label": S.open_past + " — " + parts.join(" · "),
            onclick: function () {
              openConversation(item.id);
            },
          })
        )
      );
    });
    dom.past.append(pastList);
  }

  function tagLabel(key) {
    if (!key) {
      return "";
    }
    for (var i = 0; i < state.closeTags.length; i++) {
      if (state.closeTags[i] && state.closeTags[i].key === key) {
        return state.closeTags[i].label;
      }
    }
    return key;
  }

  function isScalar(value) {
    return value === null || typeof value !== "object";
  }

  // Any JSON the host's adapter returns, readable: objects as definition lists.
  function renderValue(value, depth) {
    if (value === null || value === undefined || value === "") {
      return document.createTextNode(S.none);
    }
    if (typeof value === "boolean") {
      return document.createTextNode(value ? S.yes : S.no);
    }
    if (typeof value !== "object") {
      if (typeof value === "string" && ISO_DATETIME.test(value) && parseDate(value)) {
        return el("time", { datetime: value, title: value, text: formatTime(value) });
      }
      var href = typeof value === "string" ? safeHref(value) : null;
      if (href && /^(https?:)?\//.test(value)) {
        return el("a", { href: href, text: value });
      }
      return document.createTextNode(String(value));
    }
    if (depth > 6) {
      return document.createTextNode(JSON.stringify(value));
    }
    if (Array.isArray(value)) {
      if (!value.length) {
        return document.createTextNode(S.none);
      }
      var list = el("ul", { className: "livechat-context__list" });
      value.forEach(function (item) {
        list.append(el("li", null, renderValue(item, depth + 1)));
      });
      if (!value.every(isScalar)) {
        list.className += " livechat-context__list--records";
      }
      return list;
    }
    var keys = Object.keys(value);
    if (!keys.length) {
      return document.createTextNode(S.none);
    }
    var dl = el("dl", { className: "livechat-context__dl" });
    keys.forEach(function (key) {
      // Nested records get the full width under their label: the aside is narrow.
      var wide = !isScalar(value[key]) && Object.keys(value[key]).length > 0;
      var className = wide ? "livechat-context__wide" : null;
      dl.append(
        el("dt", { className: className, text: humanizeKey(key) }),
        el("dd", { className: className }, renderValue(value[key], depth + 1))
      );
    });
    return dl;
  }

  // Composer: reply or internal note; read-only in another agent's chat ----------

  function setNoteMode(view, on) {
    view.noteMode = !!on;
    if (view.noteMode) {
      // A note is not a reply: the shopper must not see "typing…" for it.
      stopTyping(view);
    }
    updatePanel(view);
  }

  function mayUpload(view) {
    return !!config.uploadUrl && !view.noteMode && !handledByOther(state.summaries.get(view.id));
  }

  function renderComposerMode(view, otherName) {
    var dom = view.dom;
    var note = view.noteMode;
    // A supervisor who answers no chats writes notes only.
    var why = otherName ? fmt(S.read_only, { name: otherName }) : state.answersChats ? "" : S.read_only_supervisor;
    var readOnly = !!why && !note;
    dom.composer.classList.toggle("livechat-composer--note", note);
    dom.composer.classList.toggle("livechat-composer--readonly", readOnly);
    dom.noteToggle.setAttribute("aria-pressed", note ? "true" : "false");
    dom.composerLabel.textContent = note ? S.note_label : S.reply;
    dom.send.textContent = note ? S.note_send : S.send;
    var readOnlyText = why ? why + " " + S.read_only_note : "";
    if (dom.readOnly.textContent !== readOnlyText) {
      dom.readOnly.textContent = readOnlyText;
    }
    dom.readOnly.hidden = !why;
    dom.textarea.disabled = readOnly;
    dom.send.disabled = readOnly;
    if (dom.attach) {
      dom.attach.disabled = !mayUpload(view);
    }
    dom.textarea.setAttribute(
      "aria-describedby",
      dom.hint.id + (why ? " " + dom.readOnly.id : "")
    );
    var flagged = state.transferred.has(view.id);
    dom.tab.classList.toggle("livechat-tab--attention", flagged);
    dom.tabFlag.hidden = !flagged;
    renderComposerHint(view);
  }

  function renderComposerHint(view) {
    var text = (view.noteMode ? S.note_hint : S.reply_hint) + (state.canned.length ? " " + S.canned_hint : "");
    if (view.dom.hint.textContent !== text) {
      view.dom.hint.textContent = text;
    }
  }

  // Saved (canned) replies -----------------------------------------------------------
  // "/" at the start of the composer opens a listbox of replies; the focus stays
  // in the textarea (aria-activedescendant), so typing keeps filtering.

  // The "/word" being typed at the start of the composer, or null.
  function cannedWord(view) {
    var textarea = view.dom.textarea;
    var value = textarea.value;
    if (value.charAt(0) !== "/" || textarea.selectionStart !== textarea.selectionEnd) {
      return null;
    }
    var word = /^\/[^\s/]*/.exec(value)[0];
    return textarea.selectionEnd <= word.length ? word : null;
  }

  function languageOf(value) {
    return String(value || "").slice(0, 2).toLowerCase();
  }

  // One reply per shortcut, in the shopper's language if there is one, else the
  // one for any language; filtered by shortcut or title.
  function cannedChoices(view, query) {
    var summary = state.summaries.get(view.id) || {};
    var visitorLanguage = languageOf(summary.visitor && summary.visitor.locale);
    var best = new Map();
    state.canned.forEach(function (reply) {
      var key = String(reply.shortcut || reply.title || reply.id).toLowerCase();
      var language = languageOf(reply.language);
      var rank = language && language === visitorLanguage ? 0 : language ? 2 : 1;
      var known = best.get(key);
      if (!known || rank < known.rank) {
        best.set(key, { reply: reply, rank: rank });
      }
    });
    var q = query.toLowerCase();
    var items = [];
    best.forEach(function (choice) {
      var shortcut = String(choice.reply.shortcut || "").toLowerCase();
      var title = String(choice.reply.title || "").toLowerCase();
      var score = !q || shortcut.indexOf(q) === 0 ? 0 : shortcut.indexOf(q) !== -1 || title.indexOf(q) !== -1 ? 1 : -1;
      if (score !== -1) {
        choice.score = score;
        items.push(choice);
      }
    });
    items.sort(function (a, b) {
      return (
        a.score - b.score ||
        a.rank - b.rank ||
        String(a.reply.shortcut || a.reply.title).localeCompare(String(b.reply.shortcut || b.reply.title))
      );
    });
    return items.slice(0, CANNED_MAX_OPTIONS);
  }

  function fillPlaceholders(body, view) {
    var summary = state.summaries.get(view.id) || {};
    var values = {
      // The name they gave (not the "Visitor 1a2b3c4d" label used when none).
      visitor_name: (summary.visitor && (summary.visitor.given_name || "")) || "",
      agent_name: state.me.name || config.agentName,
      store_name: config.storeName,
    };
    return String(body).replace(/\{(visitor_name|agent_name|store_name)\}/g, function (match, key) {
      return values[key];
    });
  }

  function updateCanned(view) {
    if (!view.dom) {
      return;
    }
    var word = state.canned.length && !view.dom.textarea.disabled ? cannedWord(view) : null;
    if (word === null) {
      view.cannedDismissed = null;
    }
    if (word === null || word === view.cannedDismissed) {
      closeCanned(view);
      return;
    }
    var items = cannedChoices(view, word.slice(1));
    var previous = view.canned;
    var index = 0;
    if (previous && previous.items[previous.index]) {
      var keep = previous.items[previous.index].reply.id;
      items.forEach(function (item, i) {
        if (item.reply.id === keep) {
          index = i;
        }
      });
    }
    view.canned = { items: items, index: index, word: word };
    renderCanned(view);
  }

  function renderCanned(view) {
    var dom = view.dom;
    var canned = view.canned;
    dom.cannedList.textContent = "";
    if (!canned || !canned.items.length) {
      dom.cannedList.hidden = true;
      dom.textarea.removeAttribute("aria-activedescendant");
      setCannedStatus(view, canned ? S.canned_none : "");
      return;
    }
    canned.items.forEach(function (item, i) {
      var reply = item.reply;
      var optionId = "livechat-canned-" + view.id + "-" + i;
      var selected = i === canned.index;
      var option = el(
        "li",
        {
          id: optionId,
          role: "option",
          className: "livechat-canned__option",
          "aria-selected": selected ? "true" : "false",
          // Keep the focus (and the caret) in the textarea.
          onmousedown: function (event) {
            event.preventDefault();
          },
          onclick: function () {
            pickCanned(view, i);
          },
        },
        el(
          "span",
          { className: "livechat-canned__head" },
          el("span", { className: "livechat-canned__title", text: reply.title || reply.shortcut }),
          reply.shortcut ? el("span", { className: "livechat-canned__shortcut", text: "/" + reply.shortcut }) : null,
          item.rank === 2 ? el("span", { className: "livechat-tag", text: reply.language }) : null
        ),
        el("span", { className: "livechat-canned__body", text: fillPlaceholders(reply.body, view).slice(0, 140) })
      );
      dom.cannedList.append(option);
      if (selected) {
        dom.textarea.setAttribute("aria-activedescendant", optionId);
      }
    });
    dom.cannedList.hidden = false;
    var selectedNode = dom.cannedList.children[canned.index];
    if (selectedNode && selectedNode.scrollIntoView) {
      selectedNode.scrollIntoView({ block: "nearest" });
    }
    setCannedStatus(view, fmt(canned.items.length === 1 ? S.canned_count_one : S.canned_count_other, { count: canned.items.length }));
  }

  function setCannedStatus(view, text) {
    if (view.dom.cannedStatus.textContent !== text) {
      view.dom.cannedStatus.textContent = text;
    }
  }

  function closeCanned(view) {
    if (!view.dom) {
      return;
    }
    view.canned = null;
    view.dom.cannedList.hidden = true;
    view.dom.cannedList.textContent = "";
    view.dom.textarea.removeAttribute("aria-activedescendant");
    setCannedStatus(view, "");
  }

  // Arrow keys move, Enter or Tab insert, Escape dismisses. True when handled.
  function onCannedKeydown(view, event) {
    var canned = view.canned;
    if (!canned || !canned.items.length || event.isComposing) {
      return false;
    }
    var count = canned.items.length;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      canned.index = (canned.index + (event.key === "ArrowDown" ? 1 : count - 1)) % count;
      renderCanned(view);
    } else if ((event.key === "Enter" && !event.shiftKey) || (event.key === "Tab" && !event.shiftKey)) {
      pickCanned(view, canned.index);
    } else if (event.key === "Escape") {
      view.cannedDismissed = canned.word;
      closeCanned(view);
      // Nothing else (an open dialog, the admin) should act on this Escape.
      event.stopPropagation();
    } else {
      return false;
    }
    event.preventDefault();
    return true;
  }

  function pickCanned(view, index) {
    var canned = view.canned;
    var item = canned && canned.items[index];
    if (!item) {
      return;
    }
    var textarea = view.dom.textarea;
    var text = fillPlaceholders(item.reply.body, view);
    textarea.value = text + textarea.value.slice(canned.word.length);
    textarea.setSelectionRange(text.length, text.length);
    closeCanned(view);
    // A reply that itself starts with "/" must not reopen the picker.
    var again = /^\/[^\s/]*/.exec(text);
    view.cannedDismissed = again ? again[0] : null;
    onComposerInput(view);
    setCannedStatus(view, S.canned_inserted);
    textarea.focus();
  }

  // Transfer and close dialogs ----------------------------------------------------------

  var TRANSFER_ERRORS = [
    "agent_unavailable",
    "agent_full",
    "forbidden",
    "conversation_closed",
    "not_found",
    "bad_frame",
    "too_large",
    "unavailable",
    "server_error",
  ];
  var dialogState = { transferView: null, closeView: null, opener: null };

  function dialogsSupported() {
    return !!(els.transferDialog && typeof els.transferDialog.showModal === "function");
  }

  // Open chats per agent, from the inbox (live for every agent; the board an
  // agent got at connect time is not, unless they supervise).
  function loadOf(agentId) {
    var count = 0;
    state.summaries.forEach(function (summary) {
      if (summary.agent && summary.agent.id === agentId && OPEN_STATUSES.indexOf(summary.status) !== -1) {
        count += 1;
      }
    });
    return count;
  }

  function choice(value, label, extra, disabled) {
    return el(
      "label",
      { className: "livechat-choice" + (disabled ? " livechat-choice--disabled" : "") },
      el("input", { type: "radio", name: "livechat-transfer-target", value: value, "data-label": label, disabled: disabled }),
      " ",
      el("span", { className: "livechat-choice__name", text: label }),
      extra
    );
  }

  function renderTransferChoices() {
    var checked = els.transferForm.querySelector("input[name=livechat-transfer-target]:checked");
    var keep = checked ? checked.value : null;
    var summary = state.summaries.get(dialogState.transferView) || {};
    els.transferAgents.textContent = "";
    var agents = state.board.filter(function (agent) {
      return agent && agent.present && agent.id !== state.me.id && !(summary.agent && summary.agent.id === agent.id);
    });
    agents.forEach(function (agent) {
      var open = loadOf(agent.id);
      var max = Number(agent.max_chats) || 0;
      var full = max > 0 && open >= max;
      els.transferAgents.append(
        choice(
          "agent:" + agent.id,
          agent.name,
          el(
            "span",
            { className: "livechat-choice__load" },
            " ",
            fmt(S.transfer_load, { open: open, max: max || "?" }),
            full ? el("span", { className: "livechat-tag livechat-tag--long", text: S.transfer_full }) : null
          ),
          full
        )
      );
    });
    if (!agents.length) {
      els.transferAgents.append(el("p", { className: "livechat-dialog__empty", text: S.transfer_no_agents }));
    }
    els.transferDepartments.textContent = "";
    state.departments.forEach(function (department) {
      if (department && typeof department.id === "number") {
        els.transferDepartments.append(choice("department:" + department.id, department.name, null, false));
      }
    });
    els.transferDepartmentsGroup.hidden = !state.departments.length;
    if (keep) {
      var again = els.transferForm.querySelector('input[name=livechat-transfer-target][value="' + keep + '"]');
      if (again && !again.disabled) {
        again.checked = true;
      }
    }
  }

  function openTransferDialog(view, opener) {
    if (!dialogsSupported() || els.transferDialog.open) {
      return;
    }
    dialogState.transferView = view.id;
    dialogState.opener = opener;
    els.transferTitle.textContent = fmt(S.transfer_title, { name: visitorName(view.id) });
    els.transferError.textContent = "";
    els.transferNote.value = "";
    els.transferSubmit.disabled = false;
    els.transferSubmit.textContent = S.transfer_submit;
    els.transferForm.reset();
    renderTransferChoices();
    els.transferDialog.showModal();
  }

  function submitTransfer(event) {
    event.preventDefault();
    if (state.transfer) {
      return;
    }
    var id = dialogState.transferView;
    var checked = els.transferForm.querySelector("input[name=livechat-transfer-target]:checked");
    if (!checked) {
      els.transferError.textContent = S.transfer_choose;
      return;
    }
    var note = els.transferNote.value.trim();
    if (note.length > config.maxLength) {
      els.transferError.textContent = fmt(S.too_long, { limit: config.maxLength });
      return;
    }
    var target = checked.value.split(":");
    var frame = { type: "transfer", conversation: id, note: note };
    frame[target[0]] = Number(target[1]);
    if (!state.ready || !send(frame)) {
      els.transferError.textContent = S.transfer_lost;
      return;
    }
    state.transfer = {
      conversation: id,
      label: checked.getAttribute("data-label") || "",
      agent: target[0] === "agent" ? Number(target[1]) : null,
      timer: setTimeout(function () {
        transferFailed(S.transfer_timeout);
      }, TRANSFER_TIMEOUT_MS),
    };
    els.transferError.textContent = "";
    els.transferSubmit.disabled = true;
    els.transferSubmit.textContent = S.transfer_sending;
  }

  function onTransferDone(frame) {
    var pending = state.transfer;
    if (!pending || pending.conversation !== frame.conversation) {
      return;
    }
    clearTimeout(pending.timer);
    state.transfer = null;
    if (els.transferDialog.open) {
      els.transferDialog.close();
    }
    showNotice({
      kind: "success",
      text: fmt(S.transfer_done, { name: visitorName(frame.conversation), to: pending.label }),
      timeout: 8000,
    });
  }

  function transferRefused(frame) {
    var pending = state.transfer;
    var to = pending ? pending.label : "";
    var texts = {
      agent_unavailable: fmt(S.transfer_agent_unavailable, { to: to }),
      agent_full: fmt(S.transfer_agent_full, { to: to }),
      forbidden: S.transfer_forbidden,
      conversation_closed: S.transfer_closed,
    };
    if (frame.code === "agent_unavailable" && pending && pending.agent !== null) {
      // What the server knows now beats the board from connect time.
      state.board.forEach(function (agent) {
        if (agent.id === pending.agent) {
          agent.present = false;
        }
      });
    }
    transferFailed(texts[frame.code] || fmt(S.error, { message: frame.message || frame.code }));
  }

  function transferFailed(text) {
    if (!state.transfer) {
      return;
    }
    clearTimeout(state.transfer.timer);
    state.transfer = null;
    els.transferSubmit.disabled = false;
    els.transferSubmit.textContent = S.transfer_submit;
    if (els.transferDialog.open) {
      renderTransferChoices();
      els.transferError.textContent = text;
    } else {
      showAlert(text);
    }
  }

  function renderCloseTags() {
    if (!els.closeTag) {
      return;
    }
    while (els.closeTag.options.length > 1) {
      els.closeTag.remove(1);
    }
    state.closeTags.forEach(function (tag) {
      if (tag && typeof tag.key === "string") {
        els.closeTag.append(el("option", { value: tag.key, text: tag.label || tag.key }));
      }
    });
  }

  function openCloseDialog(view, opener) {
    if (!dialogsSupported()) {
      send({ type: "close", conversation: view.id });
      return;
    }
    if (els.closeDialog.open) {
      return;
    }
    dialogState.closeView = view.id;
    dialogState.opener = opener;
    els.closeTitle.textContent = fmt(S.close_title, { name: visitorName(view.id) });
    els.closeTag.value = "";
    els.closeDialog.showModal();
  }

  function submitClose(event) {
    event.preventDefault();
    var frame = { type: "close", conversation: dialogState.closeView };
    if (els.closeTag.value) {
      frame.tag = els.closeTag.value;
    }
    if (!state.ready || !send(frame)) {
      showAlert(fmt(S.error, { message: S.queued }));
    }
    els.closeDialog.close();
  }

  function onDialogClosed() {
    var opener = dialogState.opener;
    dialogState.opener = null;
    // Back where the agent was (the native dialog may not do it everywhere).
    if (opener && document.contains(opener) && !opener.hidden) {
      opener.focus();
    } else if (state.active !== null) {
      var view = state.views.get(state.active);
      if (view && view.dom && !view.dom.textarea.disabled) {
        view.dom.textarea.focus();
      }
    }
  }

  if (dialogsSupported()) {
    els.transferForm.addEventListener("submit", submitTransfer);
    els.closeForm.addEventListener("submit", submitClose);
    [els.transferDialog, els.closeDialog].forEach(function (dialog) {
      dialog.addEventListener("close", onDialogClosed);
      Array.prototype.forEach.call(dialog.querySelectorAll("[data-role=dialog-cancel]"), function (button) {
        button.addEventListener("click", function () {
          dialog.close();
        });
      });
    });
  }

  // Notices: transfers to this agent and other news that must not be missed -------

  function showNotice(options) {
    var notice = el("div", { className: "livechat-notice livechat-notice--" + (options.kind || "info") });
    var remove = function () {
      notice.remove();
    };
    var actions = el("div", { className: "livechat-notice__actions" });
    if (options.action) {
      actions.append(
        el("button", {
          type: "button",
          className: "button livechat-button",
          text: options.action.label,
          onclick: function () {
            remove();
            options.action.run();
          },
        })
      );
    }
    actions.append(
      el("button", {
        type: "button",
        className: "button livechat-button livechat-button--quiet",
        text: S.dismiss,
        onclick: remove,
      })
    );
    notice.append(
      el("p", { className: "livechat-notice__text", text: options.text }),
      options.detail ? el("p", { className: "livechat-notice__detail", text: options.detail }) : null,
      actions
    );
    els.notices.append(notice);
    while (els.notices.children.length > 4) {
      els.notices.firstChild.remove();
    }
    if (options.timeout) {
      setTimeout(remove, options.timeout);
    }
    return notice;
  }

  function onTransferred(frame) {
    var summary = mergeSummary(frame.conversation);
    var from = frame.from || {};
    if (!summary || from.id === state.me.id) {
      scheduleInboxRender();
      return;
    }
    var id = summary.id;
    var name = visitorName(id);
    var note = typeof frame.note === "string" ? frame.note.trim() : "";
    var toMe = isMine(summary);
    var text = fmt(toMe ? S.transferred_to_you : S.transferred_to_department, { from: from.name || S.agent, name: name });
    if (toMe) {
      state.transferred.add(id);
      state.knownWaiting.delete(id);
      state.notifiedSeq.set(id, summary.last_seq || 0);
      // Opened beside what the agent is doing, never in its place.
      openConversation(id, true);
      alertAgent({ id: id, title: text, body: note || summary.preview || "" });
    }
    showNotice({
      kind: toMe ? "transfer" : "info",
      text: text,
      detail: note ? fmt(S.transferred_note, { note: note }) : "",
      action: {
        label: S.show_chat,
        run: function () {
          openConversation(id);
        },
      },
      timeout: toMe ? 0 : 15000,
    });
    scheduleInboxRender();
  }

  // Supervisors' board -------------------------------------------------------------------

  function onAgents(frame) {
    if (!Array.isArray(frame.agents)) {
      return;
    }
    state.board = frame.agents;
    renderBoard();
    if (els.transferDialog && els.transferDialog.open && !state.transfer) {
      renderTransferChoices();
    }
  }

  function renderBoard() {
    els.agents.hidden = !state.supervisor;
    if (!state.supervisor) {
      return;
    }
    els.agentsBody.textContent = "";
    state.board.forEach(function (agent) {
      if (!agent || typeof agent.id !== "number") {
        return;
      }
      var open = Number(agent.open_chats) || 0;
      var max = Number(agent.max_chats) || 0;
      var presence = S["presence_" + agent.presence] || agent.presence || "";
      var bar = el("span", { className: "livechat-load", "aria-hidden": "true" }, el("span", { className: "livechat-load__fill" }));
      bar.firstChild.style.width = (max ? Math.min(100, Math.round((open / max) * 100)) : 0) + "%";
      els.agentsBody.append(
        el(
          "tr",
          { className: "livechat-agents__row" + (agent.present ? " livechat-agents__row--present" : "") },
          el("th", { scope: "row", text: agent.name + (agent.id === state.me.id ? " (" + S.you + ")" : "") }),
          el(
            "td",
            null,
            el("span", { className: "livechat-agents__dot livechat-agents__dot--" + (agent.present ? "present" : agent.presence) }),
            presence,
            el("br"),
            el("span", { className: "livechat-agents__present", text: agent.present ? S.agent_connected : S.not_connected })
          ),
          el(
            "td",
            { className: "livechat-agents__load" + (max && open >= max ? " livechat-agents__load--full" : "") },
            fmt(S.transfer_load, { open: open, max: max || "?" }),
            // Someone took chats past their limit (or the limit was lowered).
            max && open > max ? " " : null,
            max && open > max ? el("span", { className: "livechat-tag livechat-tag--long", text: S.agents_over_limit }) : null,
            bar
          )
        )
      );
    });
  }

  // Alerts: sound, desktop notifications, the title ------------------------------------

  function onPreferences(frame) {
    state.preferences = { sound: frame.sound !== false, desktop: frame.desktop !== false };
    renderPreferences();
  }

  function notificationPermission() {
    return "Notification" in window ? window.Notification.permission : "unsupported";
  }

  function renderPreferences() {
    if (!els.prefSound) {
      return;
    }
    els.prefSound.checked = state.preferences.sound;
    els.prefDesktop.checked = state.preferences.desktop;
    els.prefSound.disabled = els.prefDesktop.disabled = !state.ready;
    var permission = notificationPermission();
    els.enableNotifications.hidden = !(state.preferences.desktop && permission === "default");
    var text = "";
    if (state.preferences.desktop) {
      text =
        permission === "unsupported"
          ? S.notifications_unsupported
          : permission === "denied"
          ? S.notifications_denied
          : permission === "default"
          ? S.notifications_ask
          : S.notifications_on;
    }
    if (els.alertsState.textContent !== text) {
      els.alertsState.textContent = text;
    }
  }

  function askNotificationPermission() {
    if (notificationPermission() !== "default") {
      renderPreferences();
      return;
    }
    try {
      var asked = window.Notification.requestPermission(renderPreferences);
      if (asked && typeof asked.then === "function") {
        asked.then(renderPreferences, renderPreferences);
      }
    } catch (e) {
      renderPreferences();
    }
  }

  function savePreferences() {
    state.preferences = { sound: els.prefSound.checked, desktop: els.prefDesktop.checked };
    send({ type: "preferences", sound: state.preferences.sound, desktop: state.preferences.desktop });
    renderPreferences();
  }

  if (els.prefSound) {
    els.prefSound.addEventListener("change", function () {
      savePreferences();
      if (state.preferences.sound) {
        unlockAudio();
        playSound(true); // so the agent hears what it will sound like
      }
    });
    els.prefDesktop.addEventListener("change", function () {
      savePreferences();
      if (state.preferences.desktop) {
        askNotificationPermission(); // a click: browsers only ask on a user gesture
      }
    });
    els.enableNotifications.addEventListener("click", askNotificationPermission);
  }

  var audio = { context: null };

  // Browsers start audio only after a user gesture: any key or click unlocks it,
  // and an unlocked context keeps playing while the tab is in the background.
  function unlockAudio() {
    if (!state.preferences.sound) {
      return;
    }
    var AudioContextClass = window.AudioContext || window.webkitAudioContext;
    if (!AudioContextClass) {
      return;
    }
    try {
      if (!audio.context) {
        audio.context = new AudioContextClass();
      }
      if (audio.context.state === "suspended") {
        audio.context.resume();
      }
    } catch (e) {
      audio.context = null;
    }
  }

  // A short two-note chime, synthesised: no audio file to serve or cache.
  function playSound(force) {
    var now = Date.now();
    if (!force && now - state.lastSoundAt < SOUND_GAP_MS) {
      return;
    }
    state.lastSoundAt = now;
    unlockAudio();
    var context = audio.context;
    if (!context) {
      return;
    }
    try {
      var start = context.currentTime + 0.01;
      [
        [880, 0],
        [1318.5, 0.14],
      ].forEach(function (tone) {
        var oscillator = context.createOscillator();
        var gain = context.createGain();
        var at = start + tone[1];
        oscillator.type = "sine";
        oscillator.frequency.setValueAtTime(tone[0], at);
        gain.gain.setValueAtTime(0.0001, at);
        gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.35);
        oscillator.connect(gain);
        gain.connect(context.destination);
        oscillator.start(at);
        oscillator.stop(at + 0.4);
      });
    } catch (e) {
      // No sound is better than a broken console.
    }
  }

  function pageHidden() {
    return document.hidden || document.visibilityState === "hidden";
  }

  // The agent is looking at this conversation right now.
  function inFocus(id) {
    return state.active === id && !pageHidden() && document.hasFocus();
  }

  // Desktop notifications only when the console is hidden or in the background:
  // while the agent looks at it, the inbox, the tab badges and the sound say it.
  function showDesktopNotification(options) {
    if (notificationPermission() !== "granted" || (!pageHidden() && document.hasFocus())) {
      return;
    }
    try {
      var notification = new window.Notification(options.title, {
        body: String(options.body || "").slice(0, 200),
        tag: "livechat-" + options.id,
        lang: lang,
      });
      notification.onclick = function () {
        window.focus();
        openConversation(options.id);
        if (typeof notification.close === "function") {
          notification.close();
        }
      };
    } catch (e) {
      // Some browsers (Chrome on Android) allow them only from a service worker.
    }
  }

  function alertAgent(options) {
    if (state.preferences.sound) {
      playSound(false);
    }
    if (state.preferences.desktop) {
      showDesktopNotification(options);
    }
  }

  var announceTimer = null;
  function announce(text) {
    // Emptied first so the same words twice are announced twice.
    els.announcer.textContent = "";
    clearTimeout(announceTimer);
    announceTimer = setTimeout(function () {
      els.announcer.textContent = text;
    }, 100);
  }

  // Chats this agent should hear about: their own, and those nobody has yet.
  function concernsMe(summary) {
    return OPEN_STATUSES.indexOf(summary.status) !== -1 && (isMine(summary) || !summary.agent);
  }

  // What a changed summary means for the agent: a shopper newly in the queue, a
  // chat the router gave them, a message in one of their chats.
  function noticeChanges(old, summary, hasNews) {
    var id = summary.id;
    var name = visitorName(id);
    if (isUnanswered(summary)) {
      if (!state.knownWaiting.has(id)) {
        state.knownWaiting.add(id);
        state.notifiedSeq.set(id, summary.last_seq || 0);
        announce(fmt(S.new_waiting, { name: name }));
        alertAgent({ id: id, title: fmt(S.new_waiting, { name: name }), body: summary.preview || "" });
      } else if (old) {
        noticeMessage(summary, old, hasNews);
      }
      return;
    }
    state.knownWaiting.delete(id);
    if (
      isMine(summary) &&
      // Out of the queue: a transfer from a colleague has its own frame.
      (old === null || (!isMine(old) && UNANSWERED.indexOf(old.status) !== -1)) &&
      OPEN_STATUSES.indexOf(summary.status) !== -1 &&
      !state.claiming.has(id) &&
      !state.transferred.has(id)
    ) {
      // Given by the router (auto routing): open it beside the current chat.
      state.notifiedSeq.set(id, summary.last_seq || 0);
      announce(fmt(S.new_assigned, { name: name }));
      openConversation(id, true);
      alertAgent({ id: id, title: fmt(S.new_assigned, { name: name }), body: summary.preview || "" });
      return;
    }
    if (old) {
      noticeMessage(summary, old, hasNews);
    }
  }

  // A new message (the summary's last_seq grew past what was alerted) in a chat
  // that concerns this agent and is not the one in front of them.
  function noticeMessage(summary, old, hasNews) {
    var seq = summary.last_seq || 0;
    var grew = old === null || seq > (old.last_seq || 0);
    if (!hasNews || !grew || !concernsMe(summary) || seq <= (state.notifiedSeq.get(summary.id) || 0)) {
      return;
    }
    // The agent's own replies advance agent_read_seq: nothing unread, no alert.
    if (unreadOf(summary) <= 0) {
      return;
    }
    state.notifiedSeq.set(summary.id, seq);
    if (inFocus(summary.id)) {
      return;
    }
    var name = visitorName(summary.id);
    if (state.active !== summary.id || pageHidden()) {
      announce(fmt(S.new_message, { name: name }));
    }
    alertAgent({ id: summary.id, title: fmt(S.new_message, { name: name }), body: summary.preview || "" });
  }

  // Tabs -----------------------------------------------------------------------------

  // background: open the tab without switching to it (a transfer arriving while
  // the agent types elsewhere must not take their place).
  function openConversation(id, background) {
    if (typeof id !== "number" || !isFinite(id)) {
      return;
    }
    var view = getView(id);
    if (state.tabs.indexOf(id) === -1) {
      state.tabs.push(id);
      buildPanel(view);
    } else if (!view.dom) {
      buildPanel(view);
    }
    if (!background || state.active === null) {
      selectTab(id);
    } else {
      els.empty.hidden = true;
      updatePanel(view);
    }
    if (state.ready && !view.joined) {
      sendOpen(view);
    }
    saveTabs();
  }

  function selectTab(id, focusTab) {
    var previous = state.active !== null ? state.views.get(state.active) : null;
    if (previous && previous.id !== id) {
      stopTyping(previous);
    }
    state.active = id;
    state.tabs.forEach(function (tabId) {
      var view = state.views.get(tabId);
      if (!view || !view.dom) {
        return;
      }
      var selected = tabId === id;
      view.dom.tab.setAttribute("aria-selected", selected ? "true" : "false");
      view.dom.tab.tabIndex = selected ? 0 : -1;
      view.dom.panel.hidden = !selected;
      updatePanel(view);
    });
    els.empty.hidden = state.tabs.length > 0;
    var current = state.views.get(id);
    if (state.transferred.delete(id) && current && current.dom) {
      updatePanel(current);
    }
    if (current && current.dom) {
      scrollIfSticky(current);
      maybeMarkRead(current);
      if (focusTab) {
        current.dom.tab.focus();
      }
    }
    saveTabs();
    scheduleInboxRender();
  }

  function closeTab(id) {
    var index = state.tabs.indexOf(id);
    if (index === -1) {
      return;
    }
    var view = state.views.get(id);
    stopTyping(view);
    if (view.joined) {
      send({ type: "leave", conversation: id });
    }
    view.joined = false;
    view.loading = false;
    view.dom.tab.remove();
    view.dom.panel.remove();
    view.dom = null;
    state.tabs.splice(index, 1);
    if (state.active === id) {
      state.active = null;
      var next = state.tabs[Math.min(index, state.tabs.length - 1)];
      if (next !== undefined) {
        selectTab(next, true);
      }
    }
    els.empty.hidden = state.tabs.length > 0;
    if (!state.tabs.length) {
      var entry = state.inboxEntries.get(id);
      if (entry) {
        entry.button.focus();
      }
    }
    saveTabs();
    scheduleInboxRender();
  }

  function onTabKeydown(event) {
    var index = state.tabs.indexOf(state.active);
    var next = null;
    if (event.key === "ArrowRight" || event.key === "ArrowDown") {
      next = state.tabs[(index + 1) % state.tabs.length];
    } else if (event.key === "ArrowLeft" || event.key === "ArrowUp") {
      next = state.tabs[(index - 1 + state.tabs.length) % state.tabs.length];
    } else if (event.key === "Home") {
      next = state.tabs[0];
    } else if (event.key === "End") {
      next = state.tabs[state.tabs.length - 1];
    } else if (event.key === "Delete") {
      event.preventDefault();
      closeTab(state.active);
      return;
    }
    if (next !== null && next !== undefined) {
      event.preventDefault();
      selectTab(next, true);
    }
  }

  // Inbox ----------------------------------------------------------------------------

  var sections = {};
  [
    ["waiting", S.waiting, S.no_waiting],
    ["missed", S.missed, S.no_missed],
    ["mine", S.mine_section, S.no_mine],
    ["others", S.others, S.no_others],
    ["closed", S.closed, S.no_closed],
  ].forEach(function (spec) {
    var key = spec[0];
    var headingId = "livechat-inbox-" + key;
    var count = el("span", { className: "livechat-inbox__count" });
    var list = el("ul", { className: "livechat-inbox__list" });
    var empty = el("p", { className: "livechat-inbox__empty", text: spec[2] });
    // The next page of a long section: loads by itself once scrolled into
    // view, and is a button for keyboards and screen readers.
    var more = el("button", {
      type: "button",
      className: "livechat-inbox__more",
      hidden: true,
      onclick: function () {
        loadMore(key);
      },
    });
    var heading = el("h2", { id: headingId, className: "livechat-inbox__heading" }, spec[1], " ", count);
    var toggle = null;
    if (key === "others") {
      // Other agents' chats are live only while shown (the server sends
      // their activity to watching consoles only): a disclosure.
      list.id = "livechat-inbox-others-list";
      toggle = el(
        "button",
        {
          type: "button",
          className: "livechat-inbox__toggle",
          "aria-expanded": "false",
          "aria-controls": list.id,
          onclick: function () {
            setOthersShown(!state.othersShown, true);
          },
        },
        spec[1],
        " ",
        count
      );
      heading = el("h2", { id: headingId, className: "livechat-inbox__heading" }, toggle);
    }
    var section = el(
      "section",
      { className: "livechat-inbox__section livechat-inbox__section--" + key, "aria-labelledby": headingId },
      heading,
      list,
      empty,
      more
    );
    els.inbox.appendChild(section);
    sections[key] = { section: section, list: list, count: count, empty: empty, toggle: toggle, more: more };
  });

  var moreObserver =
    "IntersectionObserver" in window
      ? new IntersectionObserver(
          function (entries) {
            entries.forEach(function (entry) {
              if (entry.isIntersecting && entry.target === els.resultsMore) {
                moreResults();
              } else if (entry.isIntersecting) {
                loadMore(entry.target.getAttribute("data-section"));
              }
            });
          },
          { rootMargin: "200px" }
        )
      : null;
  Object.keys(sections).forEach(function (key) {
    sections[key].more.setAttribute("data-section", key);
    if (moreObserver) {
      moreObserver.observe(sections[key].more);
    }
  });

  // Search -------------------------------------------------------------------------

  // The box lists, instead of the sections, the chats that match: newest
  // first, a page at a time like the sections. A reply to an older search
  // (the agent typed on) is dropped.
  var searchTimer = null;
  if (els.search) {
    els.search.addEventListener("submit", function (event) {
      event.preventDefault();
      clearTimeout(searchTimer);
      startSearch(els.searchInput.value);
    });
    els.searchInput.addEventListener("input", function () {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(function () {
        startSearch(els.searchInput.value);
      }, 300);
    });
    els.searchInput.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && els.searchInput.value) {
        event.preventDefault();
        els.searchInput.value = "";
        startSearch("");
      }
    });
    els.resultsMore.addEventListener("click", function () {
      moreResults();
    });
  }

  function startSearch(text) {
    var q = text.trim();
    if (q.length < 2 && !/^\d+$/.test(q)) {
      q = ""; // a search is 2 characters or more, or a chat's number
    }
    var search = state.search;
    if (q === search.q && (q === "" || search.loading || search.results.length)) {
      return;
    }
    search.q = q;
    search.results = [];
    search.next = null;
    search.loading = !!q;
    if (q && state.ready) {
      send({ type: "inbox", section: "search", q: q });
    }
    renderSearch();
  }

  function moreResults() {
    var search = state.search;
    if (!search.q || !search.next || search.loading || !state.ready) {
      return;
    }
    search.loading = true;
    send({ type: "inbox", section: "search", q: search.q, after: search.next, limit: MORE_PAGE_SIZE });
    renderSearch();
  }

  function onSearchPage(frame) {
    var search = state.search;
    if (frame.q !== search.q) {
      return;
    }
    var known = new Set(
      search.results.map(function (summary) {
        return summary.id;
      })
    );
    frame.conversations.forEach(function (summary) {
      if (summary && typeof summary.id === "number" && !known.has(summary.id)) {
        search.results.push(summary);
      }
    });
    search.next = typeof frame.next === "string" && frame.next ? frame.next : null;
    search.loading = false;
    renderSearch();
  }

  function renderSearch() {
    if (!els.results) {
      return;
    }
    var search = state.search;
    var searching = search.q !== "";
    els.results.hidden = !searching;
    Object.keys(sections).forEach(function (key) {
      sections[key].section.hidden = searching;
    });
    var seen = new Set();
    search.results.forEach(function (result, index) {
      // The inbox's copy is the live one where it has one.
      var summary = state.summaries.get(result.id) || result;
      seen.add(summary.id);
      var entry = search.entries.get(summary.id);
      if (!entry) {
        entry = buildEntry(summary.id);
        search.entries.set(summary.id, entry);
      }
      updateEntry(entry, summary, groupOf(summary) || "closed");
      if (els.resultsList.children[index] !== entry.item) {
        els.resultsList.insertBefore(entry.item, els.resultsList.children[index] || null);
      }
    });
    search.entries.forEach(function (entry, id) {
      if (!seen.has(id)) {
        entry.item.remove();
        search.entries.delete(id);
      }
    });
    var count = search.results.length;
    els.resultsCount.textContent = search.loading && !count ? "" : "(" + count + (search.next ? "+" : "") + ")";
    els.resultsEmpty.hidden = !searching || search.loading || count > 0;
    els.resultsMore.hidden = !search.next;
    els.resultsMore.disabled = search.loading;
    els.resultsMore.textContent = search.loading ? S.loading_more : S.show_more;
    if (moreObserver && search.next && !search.loading) {
      moreObserver.unobserve(els.resultsMore);
      moreObserver.observe(els.resultsMore);
    }
  }

  // Pages of the inbox ------------------------------------------------------------

  // A cursor is "<created>|<id>": the sort key of the last conversation of the
  // pages loaded. Conversations after it are counted, not listed, until the
  // agent scrolls to them: a live change there must not show them out of turn.
  function setSectionPage(key, cursor) {
    var info = state.sectionInfo[key] || (state.sectionInfo[key] = { count: 0 });
    info.loading = false;
    info.next = typeof cursor === "string" && cursor ? cursor : null;
    info.boundary = null;
    if (info.next) {
      var cut = info.next.lastIndexOf("|");
      var when = parseDate(info.next.slice(0, cut));
      info.boundary = { time: when ? when.getTime() : 0, id: Number(info.next.slice(cut + 1)) };
    }
  }

  function applyCounts(counts) {
    if (!counts || typeof counts !== "object") {
      return;
    }
    Object.keys(sections).forEach(function (key) {
      if (typeof counts[key] === "number") {
        (state.sectionInfo[key] || (state.sectionInfo[key] = { count: 0 })).count = counts[key];
      }
    });
  }

  function inWindow(key, summary) {
    var info = state.sectionInfo[key];
    if (!info || !info.boundary) {
      return true;
    }
    var time = summaryTime(summary, "created");
    return time < info.boundary.time || (time === info.boundary.time && summary.id <= info.boundary.id);
  }

  function loadMore(key) {
    var info = state.sectionInfo[key];
    if (!info || !info.next || info.loading || !state.ready) {
      return;
    }
    if (key === "others" && !state.othersShown) {
      return;
    }
    info.loading = true;
    renderMore(key);
    send({ type: "inbox", section: key, after: info.next, limit: MORE_PAGE_SIZE });
  }

  function onInboxPage(frame) {
    if (frame.section === "search") {
      onSearchPage(frame);
      return;
    }
    var key = frame.section;
    if (!sections[key] || !Array.isArray(frame.conversations)) {
      return;
    }
    frame.conversations.forEach(function (incoming) {
      var old = (incoming && state.summaries.get(incoming.id)) || null;
      var summary = mergeSummary(incoming);
      if (summary && !old && isUnanswered(summary)) {
        state.knownWaiting.add(summary.id); // listed, not news
        state.notifiedSeq.set(summary.id, summary.last_seq || 0);
      }
    });
    setSectionPage(key, frame.next);
    applyCounts(frame.counts);
    renderInbox();
  }

  function renderMore(key) {
    var info = state.sectionInfo[key] || {};
    var more = sections[key].more;
    var collapsed = key === "others" && !state.othersShown;
    var waiting = !!info.next && !collapsed && !info.loading;
    more.hidden = !info.next || collapsed;
    more.disabled = !!info.loading;
    more.textContent = info.loading ? S.loading_more : S.show_more;
    if (moreObserver && waiting && !more.observed) {
      // Observing anew reports whether it is in view now: a page that did not
      // push it out of view (a short one, a tall window) loads the next.
      moreObserver.unobserve(more);
      moreObserver.observe(more);
    }
    more.observed = waiting;
  }

  // Shown or not: remembered per agent in this browser; supervisors see
  // them by default, agents focus on their own chats until they ask.
  function othersPreference() {
    try {
      var raw = window.localStorage.getItem(storageKey("others"));
      return raw === null ? null : raw === "1";
    } catch (e) {
      return null;
    }
  }

  function setOthersShown(shown, remember) {
    var changed = state.othersShown !== shown;
    state.othersShown = shown;
    if (remember) {
      try {
        window.localStorage.setItem(storageKey("others"), shown ? "1" : "0");
      } catch (e) {
        // Private mode: shown for this page only.
      }
    }
    sections.others.toggle.setAttribute("aria-expanded", shown ? "true" : "false");
    if (changed && state.ready && !state.supervisor) {
      send({ type: "watch", others: shown });
    }
    renderInbox();
  }

  function scheduleInboxRender() {
    if (!state.inboxTimer) {
      state.inboxTimer = setTimeout(function () {
        state.inboxTimer = null;
        renderInbox();
      }, 30);
    }
  }

  // A summary's time in milliseconds; its creation time, which never changes,
  // parsed once per summary object: sorting thousands of chats parses it once.
  var parsedTimes = new WeakMap();
  function summaryTime(summary, key) {
    var times = parsedTimes.get(summary);
    if (!times) {
      times = {};
      parsedTimes.set(summary, times);
    }
    if (!(key in times) || key !== "created") {
      var date = parseDate(summary[key]);
      times[key] = date ? date.getTime() : 0;
    }
    return times[key];
  }

  function byTime(key, descending) {
    return function (a, b) {
      var diff = summaryTime(a, key) - summaryTime(b, key) || a.id - b.id;
      return descending ? -diff : diff;
    };
  }

  // Which inbox section a chat belongs in. A chat is listed once: a missed
  // chat stays under Missed even if someone took it, until it is answered.
  function groupOf(summary) {
    if (summary.status === "waiting") {
      return isMine(summary) ? "mine" : "waiting";
    }
    if (summary.status === "missed") {
      return "missed";
    }
    if (summary.status === "active") {
      return isMine(summary) ? "mine" : "others";
    }
    return summary.status ? "closed" : null;
  }

  function groups() {
    var grouped = { waiting: [], missed: [], mine: [], others: [], closed: [] };
    state.summaries.forEach(function (summary) {
      var key = groupOf(summary);
      if (key && inWindow(key, summary)) {
        grouped[key].push(summary);
      }
    });
    var oldest = byTime("created");
    grouped.waiting.sort(oldest);
    grouped.missed.sort(oldest);
    // Your chats with something new first, then by the last message.
    grouped.mine.sort(function (a, b) {
      return (unreadOf(b) > 0) - (unreadOf(a) > 0) || oldest(a, b);
    });
    grouped.others.sort(oldest);
    grouped.closed.sort(function (a, b) {
      return byTime("closed_at", true)(a, b) || byTime("created", true)(a, b);
    });
    grouped.closed = grouped.closed.slice(0, config.recentClosed);
    return grouped;
  }

  function buildEntry(id) {
    var entry = {
      name: el("span", { className: "livechat-entry__name" }),
      meta: el("span", { className: "livechat-entry__meta" }),
      preview: el("span", { className: "livechat-entry__preview" }),
      page: el("span", { className: "livechat-entry__page" }),
      badge: el("span", { className: "livechat-badge" }),
      tag: el("span", { className: "livechat-tag livechat-tag--offline", text: S.offline_message, hidden: true }),
      longTag: el("span", { className: "livechat-tag livechat-tag--long", text: S.waiting_long, hidden: true }),
      transferTag: el("span", { className: "livechat-tag livechat-tag--transferred", text: S.transferred_tag, hidden: true }),
      rating: el("span", { className: "livechat-entry__rating", hidden: true }),
    };
    entry.button = el(
      "button",
      {
        type: "button",
        className: "livechat-entry",
        "data-conversation": id,
        onclick: function () {
          openConversation(id);
        },
      },
      el("span", { className: "livechat-entry__top" }, entry.name, entry.tag, entry.longTag, entry.transferTag, entry.badge),
      entry.meta,
      entry.preview,
      entry.page,
      entry.rating
    );
    entry.item = el("li", null, entry.button);
    return entry;
  }

  function updateEntry(entry, summary, group) {
    // What the entry shows, in one string: an entry showing it already is
    // left alone (thousands of them re-render on every change; the waiting
    // times tick on their own).
    var visitorOf = summary.visitor || {};
    var stamp = [
      group,
      state.active === summary.id,
      state.transferred.has(summary.id),
      summary.status,
      summary.agent ? summary.agent.id + ":" + summary.agent.name : "",
      summary.last_seq,
      summary.agent_read_seq,
      summary.preview,
      summary.source,
      summary.rating,
      summary.rating_comment,
      summary.close_tag,
      summary.closed_at,
      summary.created,
      visitorOf.name,
      visitorOf.current_page,
    ].join("\u0000");
    if (entry.summary === summary && entry.stamp === stamp && entry.tags === state.closeTags) {
      return;
    }
    entry.stamp = stamp;
    entry.tags = state.closeTags;
    var visitor = summary.visitor || {};
    entry.name.textContent = visitor.name || "#" + summary.id;
    entry.summary = summary;
    entry.group = group;
    var mine = isMine(summary);
    if (group === "waiting" || group === "missed") {
      updateWaited(entry);
    } else if (group === "mine" || group === "others") {
      entry.meta.textContent = mine ? S.mine : summary.agent ? fmt(S.assigned_to, { name: summary.agent.name }) : S.unassigned;
    } else {
      var tag = tagLabel(summary.close_tag);
      entry.meta.textContent =
        statusText(summary.status) + (summary.closed_at ? " · " + formatTime(summary.closed_at) : "") + (tag ? " · " + tag : "");
    }
    entry.preview.textContent = summary.preview || "";
    entry.preview.hidden = !summary.preview;
    var page = visitor.current_page;
    entry.page.textContent = page ? fmt(S.on_page, { page: shortPage(page) }) : "";
    entry.page.hidden = !page;
    entry.tag.hidden = summary.source !== "offline";
    var ratingKey = (summary.rating || "") + "|" + (summary.rating_comment || "");
    if (entry.ratingKey !== ratingKey) {
      entry.ratingKey = ratingKey;
      entry.rating.textContent = "";
      var rated = ratingNode(summary.rating);
      var comment = typeof summary.rating_comment === "string" ? summary.rating_comment.trim() : "";
      if (rated) {
        entry.rating.append(el("span", { className: "visually-hidden", text: S.rating + ": " }), rated);
        if (comment) {
          entry.rating.append(" · ", el("span", { className: "livechat-entry__comment", text: fmt(S.rating_comment, { comment: comment }) }));
        }
      }
      entry.rating.title = rated && comment ? comment : "";
      entry.rating.hidden = !rated;
    }
    entry.transferTag.hidden = !state.transferred.has(summary.id);
    var unread = unreadOf(summary);
    entry.badge.textContent = "";
    entry.badge.hidden = unread === 0;
    if (unread) {
      entry.badge.append(
        el("span", { "aria-hidden": "true", text: String(unread) }),
        el("span", { className: "visually-hidden", text: unreadText(unread) })
      );
    }
    entry.button.className =
      "livechat-entry livechat-entry--" +
      group +
      (mine ? " livechat-entry--mine" : "") +
      (unread ? " livechat-entry--unread" : "") +
      (entry.long ? " livechat-entry--long" : "") +
      (state.transferred.has(summary.id) ? " livechat-entry--transferred" : "");
    if (state.active === summary.id) {
      entry.button.setAttribute("aria-current", "true");
    } else {
      entry.button.removeAttribute("aria-current");
    }
  }

  function waitedMs(summary) {
    var created = parseDate(summary.created);
    return created ? Date.now() - created.getTime() : 0;
  }

  // The live "waiting 2:13", and past long_wait_seconds a highlight that says
  // so in words too ("waiting long"), not by colour alone.
  function updateWaited(entry) {
    var summary = entry.summary;
    var ms = waitedMs(summary);
    var time = formatDuration(ms);
    entry.meta.textContent = summary.status === "missed" ? fmt(S.missed_since, { time: time }) : fmt(S.waited, { time: time });
    var long = ms >= state.longWaitMs && !summary.agent;
    if (long !== !!entry.long) {
      entry.long = long;
      entry.longTag.hidden = !long;
      entry.button.classList.toggle("livechat-entry--long", long);
    }
  }

  function renderInbox() {
    clearTimeout(state.inboxTimer);
    state.inboxTimer = null;
    var focused = document.activeElement;
    var focusedId = focused && els.inbox.contains(focused) ? focused.getAttribute("data-conversation") : null;
    var grouped = groups();
    var seen = new Set();
    Object.keys(sections).forEach(function (key) {
      var section = sections[key];
      var summaries = grouped[key];
      summaries.forEach(function (summary, index) {
        seen.add(summary.id);
        var entry = state.inboxEntries.get(summary.id);
        if (!entry) {
          entry = buildEntry(summary.id);
          state.inboxEntries.set(summary.id, entry);
        }
        updateEntry(entry, summary, key);
        // Move only what is out of place, so a focused button rarely leaves the DOM.
        if (section.list.children[index] !== entry.item) {
          section.list.insertBefore(entry.item, section.list.children[index] || null);
        }
      });
      var collapsed = key === "others" && !state.othersShown;
      section.list.hidden = collapsed;
      section.empty.hidden = collapsed || summaries.length > 0 || sectionCount(key, grouped) > 0;
      renderMore(key);
    });
    state.inboxEntries.forEach(function (entry, id) {
      if (!seen.has(id)) {
        entry.item.remove();
        state.inboxEntries.delete(id);
      }
    });
    if (focusedId && document.activeElement !== focused) {
      var again = state.inboxEntries.get(Number(focusedId));
      if (again) {
        again.button.focus();
      }
    }
    Object.keys(sections).forEach(function (key) {
      var unread = 0;
      grouped[key].forEach(function (summary) {
        unread += key === "closed" ? 0 : unreadOf(summary);
      });
      var text = "(" + sectionCount(key, grouped) + ")";
      if (unread && (key === "mine" || (key === "others" && state.othersShown))) {
        text += " · " + fmt(S.unread_total, { count: unread });
      }
      sections[key].count.textContent = text;
    });
    updateTitle(grouped);
    if (state.search.q) {
      renderSearch();
    }
    state.tabs.forEach(function (id) {
      updatePanel(state.views.get(id));
    });
  }

  // How many a section lists: those loaded when it is all loaded, else the
  // server's count (kept fresh by inbox_counts) of them all.
  function sectionCount(key, grouped) {
    var info = state.sectionInfo[key];
    var shown = grouped[key].length;
    return info && info.next ? Math.max(info.count || 0, shown) : shown;
  }

  // "(3) Live console": shoppers waiting for anyone, plus unread messages in
  // this agent's own chats, so a background tab still says something is up.
  function updateTitle(grouped) {
    var count = sectionCount("waiting", grouped) + sectionCount("missed", grouped);
    grouped.mine.forEach(function (summary) {
      count += unreadOf(summary);
    });
    var title = (count ? "(" + count + ") " : "") + state.baseTitle;
    if (document.title !== title) {
      document.title = title;
    }
  }

  // The waiting times tick without rebuilding anything else.
  setInterval(function () {
    state.inboxEntries.forEach(function (entry) {
      if (entry.group === "waiting" || entry.group === "missed") {
        updateWaited(entry);
      }
    });
  }, 1000);

  document.addEventListener("visibilitychange", function () {
    var view = state.active !== null ? state.views.get(state.active) : null;
    if (view) {
      maybeMarkRead(view);
    }
  });
  window.addEventListener("focus", function () {
    var view = state.active !== null ? state.views.get(state.active) : null;
    if (view) {
      maybeMarkRead(view);
    }
  });

  // Start ------------------------------------------------------------------------------

  (function restore() {
    // Replies not yet acknowledged when the page was left are sent again after welcome.
    state.outbox = (load("outbox", []) || []).filter(function (item) {
      return item && typeof item.conversation === "number" && typeof item.client_id === "string";
    });
    state.noteOutbox = (load("notes", []) || []).filter(function (item) {
      return item && typeof item.conversation === "number" && typeof item.client_id === "string";
    });
    var saved = load("tabs", {}) || {};
    var ids = (Array.isArray(saved.tabs) ? saved.tabs : []).filter(function (id) {
      return typeof id === "number";
    });
    state.outbox.concat(state.noteOutbox).forEach(function (item) {
      if (ids.indexOf(item.conversation) === -1) {
        ids.push(item.conversation);
      }
    });
    ids.forEach(function (id) {
      state.tabs.push(id);
      buildPanel(getView(id));
    });
    if (ids.length) {
      selectTab(ids.indexOf(saved.active) !== -1 ? saved.active : ids[0]);
    }
    els.empty.hidden = state.tabs.length > 0;
  })();

  renderInbox();
  renderPresence();
  renderPreferences();
  showBanner(S.connecting, "warning");
  connect();
})();
