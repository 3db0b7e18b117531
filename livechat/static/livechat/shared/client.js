/* The protocol client of docs/protocol.md, shared by the widget and the console: one socket's state machine. */
//
// Pure: the WebSocket constructor, the timers and the randomness are passed
// in, so Node tests drive it with fakes. It knows nothing of conversations or
// the DOM; Timeline (timeline.js) keeps each conversation's sequence, Outbox
// (outbox.js) what was sent but not acknowledged: the client sends its items
// (a `message` unless the item names another type) and reports each one
// "sending" or "queued" to the outbox's onState.
//
//   const client = new Client({
//     url: "wss://shop/ws/livechat/visitor/",
//     hello: () => ({ type: "hello", v: 1, ... }),   // sent on every open (resume)
//     onFrame: (frame) => {},     // every whole frame (parts already joined)
//     onState: ({ state, attempt, code }) => {},
//     outbox,                     // optional Outbox: resent on every welcome
//     onResend: () => {},         // optional: after the outbox was resent
//     WebSocket, timers: { setTimeout, clearTimeout, setInterval, clearInterval },
//     random: Math.random, fatal: [4400, 4401, 4403],
//     welcomeTimeout: 15000, pingEvery: 25000,
//     ping: () => ({ type: "ping" }),   // optional: the heartbeat frame
//   });
//   client.start()         wants a connection: connects unless open or stopped
//   client.send(frame)     true if sent (only once welcomed)
//   client.post(item)      keeps an item in the outbox, sends it if it can
//   client.refused(frame, error)  an error frame naming an outbox item: a
//                          retriable one resends in 3-7 s, any other fails
//                          the item; true if it named one
//   client.reconnectNow()  resets the backoff and connects (back online, tab shown)
//   client.drop()          the socket is dead (offline, no pong): close and retry
//   client.resendSoon()    resend the outbox in 3-7 s (a retriable error)
//   client.stop()          closes for good
//   client.state           "idle" | "connecting" | "welcoming" | "ready" |
//                          "waiting" (a retry is scheduled) | "stopped"
//
// States reach onState with `attempt` (0 on the first connection), for
// "waiting" the `delay` and `timeout: true` if no welcome came in time, and
// for "stopped" the close `code`.

import { PartJoiner } from "./parts.js";

export const MAX_DELAY = 30000;

// Exponential backoff with jitter: 1 s doubling to 30 s, each wait drawn from
// its upper half, so many clients dropped together do not return together.
export const backoff = (attempt, random = Math.random) => {
  const delay = Math.min(MAX_DELAY, 1000 * 2 ** attempt);
  return delay / 2 + (random() * delay) / 2;
};

export class Client {
  #options;
  #timers;
  #parts = new PartJoiner();
  #retryTimer = null;
  #welcomeTimer = null;
  #pingTimer = null;
  #resendTimer = null;
  #awaitingPong = false;

  constructor(options) {
    this.#options = { fatal: [4400, 4401, 4403], welcomeTimeout: 15000, pingEvery: 25000, random: Math.random, ...options };
    this.#timers = options.timers || globalThis;
    this.outbox = options.outbox || null;
    this.socket = null;
    this.state = "idle";
    this.attempt = 0;
    this.wanted = false;
  }

  get ready() {
    return this.state === "ready";
  }

  #setState(state, extra) {
    this.state = state;
    if (this.#options.onState) this.#options.onState({ state, attempt: this.attempt, ...extra });
  }

  start() {
    this.wanted = true;
    if (this.socket || this.state === "stopped") return;
    this.#timers.clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#setState("connecting");
    let socket;
    try {
      socket = new this.#options.WebSocket(this.#options.url);
    } catch (error) {
      this.#retry();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      socket.send(JSON.stringify(this.#options.hello()));
      this.#setState("welcoming");
      // No welcome in time: try again, as after a lost connection.
      this.#timers.clearTimeout(this.#welcomeTimer);
      this.#welcomeTimer = this.#timers.setTimeout(
        () => this.socket === socket && !this.ready && this.drop({ timeout: true }),
        this.#options.welcomeTimeout,
      );
    };
    socket.onmessage = (event) => {
      if (this.socket !== socket) return;
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      this.#awaitingPong = false;
      if (frame && typeof frame === "object" && (frame = this.#parts.join(frame))) this.#receive(frame);
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.#down();
      if (this.#options.fatal.includes(event.code)) this.#setState("stopped", { code: event.code });
      else this.#retry();
    };
  }

  #receive(frame) {
    if (frame.type === "welcome") {
      this.attempt = 0;
      this.#timers.clearTimeout(this.#welcomeTimer);
      this.#setState("ready");
      this.#timers.clearInterval(this.#pingTimer);
      this.#pingTimer = this.#timers.setInterval(() => this.#ping(), this.#options.pingEvery);
    }
    this.#options.onFrame(frame);
    if (frame.type === "welcome" && this.ready) this.resend();
  }

  // A socket that stopped answering may take minutes to report its close.
  #ping() {
    if (this.#awaitingPong) return this.drop();
    this.#awaitingPong = true;
    this.send(this.#options.ping ? this.#options.ping() : { type: "ping" });
  }

  send(frame) {
    if (!this.ready) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  #sendItem(item) {
    const sent = this.send({ type: "message", ...item });
    this.outbox?.onState(item, sent ? "sending" : "queued");
    return sent;
  }

  post(item) {
    this.outbox?.add(item);
    const sent = this.#sendItem(item);
    if (!sent && !this.socket) this.reconnectNow();
    return sent;
  }

  resend() {
    this.#timers.clearTimeout(this.#resendTimer);
    this.#resendTimer = null;
    this.outbox?.items().forEach((item) => this.#sendItem(item));
    if (this.#options.onResend) this.#options.onResend();
  }

  refused(frame, error) {
    const item = this.outbox?.find(frame.client_id);
    if (item && frame.retriable) {
      this.outbox.onState(item, "queued", error);
      this.resendSoon();
    } else if (item) this.outbox.remove(item.client_id, "failed", error);
    return !!item;
  }

  resendSoon() {
    if (!this.#resendTimer) this.#resendTimer = this.#timers.setTimeout(() => this.resend(), 3000 + this.#options.random() * 4000);
  }

  #down() {
    this.socket = null;
    this.#parts.reset();
    this.#awaitingPong = false;
    this.#timers.clearInterval(this.#pingTimer);
    this.#timers.clearTimeout(this.#welcomeTimer);
    this.state = "idle";
    // Nothing in flight will be answered: all of it waits for the next welcome.
    this.outbox?.items().forEach((item) => this.outbox.onState(item, "queued"));
  }

  #retry(extra) {
    if (this.state === "stopped" || this.#retryTimer) return;
    const delay = backoff(this.attempt++, this.#options.random);
    this.#setState("waiting", { delay, ...extra });
    this.#retryTimer = this.#timers.setTimeout(() => {
      this.#retryTimer = null;
      this.start();
    }, delay);
  }

  // `extra` reaches onState with "waiting" (the welcome timeout's `timeout`).
  drop(extra) {
    const socket = this.socket;
    if (!socket) return;
    this.#down();
    try {
      socket.close();
    } catch (error) {
      // Already closing: nothing to do.
    }
    this.#retry(extra);
  }

  reconnectNow() {
    if (this.state === "stopped") return;
    this.attempt = 0;
    this.#timers.clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.start();
  }

  stop() {
    const socket = this.socket;
    this.#down();
    this.#timers.clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#setState("stopped");
    if (socket) socket.close();
  }
}
