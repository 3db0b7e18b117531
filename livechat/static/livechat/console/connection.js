// The agent socket: connect, parts, heartbeat, stale detection, backoff and reconnect.
// The rest of the console uses send(), connect() and reconnectNow(); what arrives goes to
// frames.handleFrame(), and frames.onSocketLost() forgets what was in flight.
import { sessionEnded, showBanner } from "./banner.js";
import { BACKOFF_MAX_MS, BACKOFF_MIN_MS, PING_MS, PONG_TIMEOUT_MS, PROTOCOL_VERSION, STALE_MS, WELCOME_TIMEOUT_MS } from "./constants.js";
import { config, root } from "./dom.js";
import { handleFrame, onSocketLost } from "./frames.js";
import { state } from "./store.js";
import { S } from "./strings.js";

export function send(frame) {
  var ws = state.ws;
  if (ws && ws.readyState === WebSocket.OPEN) {
    ws.send(JSON.stringify(frame));
    return true;
  }
  return false;
}

export function connect() {
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
export function joinParts(frame) {
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

export function dropSocket() {
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

export function socketLost(code) {
  state.ws = null;
  state.ready = false;
  state.parts = null;
  clearTimeout(state.welcomeTimer);
  onSocketLost();
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

export function scheduleReconnect() {
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

export function reconnectNow() {
  if (!state.ws && state.reconnectTimer) {
    clearTimeout(state.reconnectTimer);
    state.reconnectTimer = null;
    connect();
  }
}

// The heartbeat also says whether the agent used the console since the last
// one: an agent who walked away counts as away (docs/protocol.md, ping).
export function heartbeat() {
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
export function startTicker(callback, ms) {
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

// The agent used the console: the next heartbeat says so.
export function markActive() {
  state.activeSincePing = true;
}

// Runs once at boot: the heartbeat, and what counts as the agent using the console.
export function initConnection() {
  startTicker(heartbeat, PING_MS);
  document.addEventListener("keydown", markActive, true);
  document.addEventListener("pointerdown", markActive, true);
  window.addEventListener("focus", markActive);
  root.addEventListener("focusin", markActive);
  window.addEventListener("online", reconnectNow);
}
