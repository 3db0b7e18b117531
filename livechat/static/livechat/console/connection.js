// The agent socket: the shared protocol client (shared/client.js) with the console's hello, banner and heartbeat.
// The rest of the console uses send(), post(), refused(), connect() and reconnectNow(); what
// arrives goes to frames.handleFrame(), and frames.onSocketLost() forgets what was in flight.
import { Client } from "../shared/client.js";
import { sessionEnded, showBanner } from "./banner.js";
import { PING_MS, PROTOCOL_VERSION, WELCOME_TIMEOUT_MS } from "./constants.js";
import { config, root } from "./dom.js";
import { handleFrame, onSocketLost } from "./frames.js";
import { outbox } from "./outbox.js";
import { state } from "./store.js";
import { S } from "./strings.js";

// Close codes after which reconnecting cannot help, and what the banner says.
// 4401 (no session) offers the login link instead; 4503 (database down while
// checking the user) is retried like any lost connection.
var FATAL = { 4400: "unsupported", 4401: null, 4403: "forbidden" };

var client = null;

export function send(frame) {
  return !!client && client.send(frame);
}

// A reply or note ({type?, client_id, conversation, body, created}): kept in
// the outbox until acknowledged, sent now if the socket is up.
export function post(item) {
  if (client) {
    client.post(item);
  } else {
    outbox.add(item);
  }
}

// An error frame about a reply or note of the outbox: true if it was one.
export function refused(frame, message) {
  return !!client && client.refused(frame, message);
}

// Chrome runs a hidden tab's timers once a minute at most after a while; a
// worker's timers keep their pace, so the agent stays present in the background.
var tickerUrl = null;

export function startTicker(callback, ms) {
  var ticker = { worker: null, interval: null };
  var fallback = function () {
    ticker.worker = null;
    ticker.interval = setInterval(callback, ms);
  };
  try {
    tickerUrl =
      tickerUrl ||
      URL.createObjectURL(
        new Blob(["onmessage = function (e) { setInterval(function () { postMessage(0); }, e.data); };"], {
          type: "text/javascript",
        })
      );
    var worker = new Worker(tickerUrl);
    ticker.worker = worker;
    worker.onmessage = function () {
      callback();
    };
    worker.onerror = function (event) {
      // A Content-Security-Policy without blob: workers: plain timers then.
      if (event && event.preventDefault) {
        event.preventDefault();
      }
      worker.terminate();
      if (ticker.worker === worker) {
        fallback();
      }
    };
    worker.postMessage(ms);
  } catch (e) {
    fallback();
  }
  return ticker;
}

export function stopTicker(ticker) {
  if (ticker) {
    if (ticker.worker) {
      ticker.worker.terminate();
    }
    ticker.worker = null;
    clearInterval(ticker.interval);
  }
}

// The client's timers; its heartbeat runs on the worker's.
var timers = {
  setTimeout: function (fn, ms) {
    return setTimeout(fn, ms);
  },
  clearTimeout: function (id) {
    clearTimeout(id);
  },
  setInterval: startTicker,
  clearInterval: stopTicker,
};

// The heartbeat also says whether the agent used the console since the last
// one: an agent who walked away counts as away (docs/protocol.md, ping).
function ping() {
  var frame = { type: "ping", active: state.activeSincePing };
  state.activeSincePing = false;
  return frame;
}

function onFrame(frame) {
  if (typeof frame.type !== "string") {
    return;
  }
  handleFrame(frame);
  if (frame.type === "error" && frame.code === "login_required") {
    // The close (4401) follows; should the socket die first, do not retry
    // into the same refusal: the banner offers the login link.
    client.stop();
  }
}

function onState(change) {
  if (change.state !== "waiting" && change.state !== "stopped") {
    return; // "ready" is the welcome's: frames.onWelcome
  }
  state.ready = false;
  onSocketLost();
  if (change.state === "stopped") {
    if (change.code === 4401) {
      sessionEnded();
    } else if (FATAL[change.code]) {
      showBanner(S[FATAL[change.code]], "error");
    }
  } else if (change.timeout) {
    // No welcome in time (it could not be built or sent): say so until the next try.
    showBanner(S.load_failed, "error");
  } else {
    showBanner(state.everWelcomed ? S.reconnecting : S.connecting, "warning");
  }
}

export function connect() {
  if (!client) {
    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    client = new Client({
      url: scheme + "//" + window.location.host + config.path,
      WebSocket: WebSocket,
      // Agents resume per conversation: each open tab sends `open` with its
      // last seq after the welcome (frames.onWelcome), not in the hello.
      hello: function () {
        return { type: "hello", v: PROTOCOL_VERSION };
      },
      fatal: Object.keys(FATAL).map(Number),
      outbox: outbox, // resent after each welcome, once the tabs have sent `open`
      onFrame: onFrame,
      onState: onState,
      ping: ping,
      timers: timers,
      welcomeTimeout: WELCOME_TIMEOUT_MS,
      pingEvery: PING_MS,
    });
  }
  client.start();
}

// Back online or back in view: a retry waiting out its backoff goes now.
export function reconnectNow() {
  if (client && !client.socket) {
    client.reconnectNow();
  }
}

// The agent used the console: the next heartbeat says so.
export function markActive() {
  state.activeSincePing = true;
}

// Runs once at boot: what counts as the agent using the console, and what
// makes a waiting reconnect go at once.
export function initConnection() {
  document.addEventListener("keydown", markActive, true);
  document.addEventListener("pointerdown", markActive, true);
  window.addEventListener("focus", markActive);
  root.addEventListener("focusin", markActive);
  window.addEventListener("online", reconnectNow);
  // The browser knows the network is gone: the socket is dead, say so now
  // rather than at the next missed ping.
  window.addEventListener("offline", function () {
    if (client && client.socket) {
      client.drop();
    }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      reconnectNow();
    }
  });
}
