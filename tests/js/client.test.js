/* The shared protocol client (shared/client.js): connection states, backoff, resume, welcome timeout, ping, outbox. */

import assert from "node:assert/strict";
import { test } from "node:test";
import { Client, backoff, MAX_DELAY } from "../../livechat/static/livechat/shared/client.js";
import { Outbox } from "../../livechat/static/livechat/shared/outbox.js";
import { jsonStore } from "../../livechat/static/livechat/shared/storage.js";
import { FakeTimers, fakeWebSocket, memoryStorage } from "./fakes.js";

const setup = (options = {}) => {
  const timers = new FakeTimers(), { FakeSocket, sockets } = fakeWebSocket();
  const frames = [], states = [];
  let lastSeq = 0;
  const client = new Client({
    url: "ws://shop/ws/livechat/visitor/",
    WebSocket: FakeSocket,
    timers,
    random: () => 0.5,
    hello: () => ({ type: "hello", v: 1, last_seq: lastSeq }),
    onFrame: (f) => frames.push(f),
    onState: (s) => states.push(s),
    ...options,
  });
  return { client, timers, sockets, frames, states, setSeq: (n) => (lastSeq = n) };
};

const welcomed = (t) => {
  t.client.start();
  const socket = t.sockets.at(-1);
  socket.open();
  socket.receive({ type: "welcome", protocol: 1 });
  return socket;
};

test("backoff doubles from 1 s to 30 s, with jitter in the upper half", () => {
  assert.equal(backoff(0, () => 0), 500);
  assert.equal(backoff(0, () => 1), 1000);
  assert.equal(backoff(3, () => 0.5), 6000);
  assert.equal(backoff(10, () => 1), MAX_DELAY);
  assert.equal(backoff(10, () => 0), MAX_DELAY / 2);
});

test("connects once, says hello on open, is ready on welcome", () => {
  const t = setup();
  t.client.start();
  t.client.start();
  assert.equal(t.sockets.length, 1);
  assert.equal(t.client.state, "connecting");
  assert.equal(t.client.send({ type: "ping" }), false);
  t.sockets[0].open();
  assert.deepEqual(t.sockets[0].sent, [{ type: "hello", v: 1, last_seq: 0 }]);
  assert.equal(t.client.state, "welcoming");
  t.sockets[0].receive({ type: "welcome" });
  assert.equal(t.client.ready, true);
  assert.deepEqual(t.frames.map((f) => f.type), ["welcome"]);
  assert.deepEqual(t.states.map((s) => s.state), ["connecting", "welcoming", "ready"]);
});

test("a lost connection retries with growing delays and resumes from the last seq", () => {
  const t = setup();
  welcomed(t);
  t.setSeq(5);
  t.sockets[0].lose();
  assert.equal(t.client.state, "waiting");
  assert.deepEqual(t.timers.pending(), [750]); // 1 s with random 0.5
  t.timers.tick(750);
  assert.equal(t.sockets.length, 2);
  assert.equal(t.states.at(-1).attempt, 1);
  t.sockets[1].lose();
  assert.deepEqual(t.timers.pending(), [1500]);
  t.timers.tick(1500);
  t.sockets[2].open();
  assert.deepEqual(t.sockets[2].sent[0], { type: "hello", v: 1, last_seq: 5 });
  t.sockets[2].receive({ type: "welcome" });
  assert.equal(t.client.attempt, 0, "a welcome resets the backoff");
});

test("frames of a replaced socket are ignored", () => {
  const t = setup();
  const old = welcomed(t);
  t.client.drop();
  t.timers.tick(1000);
  old.receive({ type: "message", message: {} });
  old.lose();
  assert.deepEqual(t.frames.map((f) => f.type), ["welcome"]);
  assert.equal(t.sockets.length, 2);
});

test("a fatal close code stops for good", () => {
  const t = setup();
  t.client.start();
  t.sockets[0].lose(4401);
  assert.equal(t.client.state, "stopped");
  assert.equal(t.states.at(-1).code, 4401);
  t.timers.tick(60000);
  t.client.start();
  t.client.reconnectNow();
  assert.equal(t.sockets.length, 1);
});

test("no welcome within the timeout: drop and retry", () => {
  const t = setup({ welcomeTimeout: 15000 });
  t.client.start();
  t.sockets[0].open();
  t.timers.tick(14999);
  assert.equal(t.sockets[0].closed, false);
  t.timers.tick(1);
  assert.equal(t.sockets[0].closed, true);
  assert.equal(t.client.state, "waiting");
  assert.equal(t.states.at(-1).timeout, true);
  t.timers.tick(1000);
  assert.equal(t.sockets.length, 2);
  // A plain loss says nothing of a timeout.
  t.sockets[1].open();
  t.sockets[1].lose();
  assert.equal(t.states.at(-1).state, "waiting");
  assert.equal(t.states.at(-1).timeout, undefined);
});

test("a ping unanswered by the next one drops the socket", () => {
  const t = setup({ pingEvery: 25000 });
  const socket = welcomed(t);
  t.timers.tick(25000);
  assert.deepEqual(socket.sent.at(-1), { type: "ping" });
  socket.receive({ type: "pong" });
  t.timers.tick(25000);
  assert.equal(socket.closed, false);
  t.timers.tick(25000);
  assert.equal(socket.closed, true);
});

test("the heartbeat frame can be the caller's (the console says whether its agent was active)", () => {
  let active = true;
  const t = setup({ pingEvery: 25000, ping: () => ({ type: "ping", active }) });
  const socket = welcomed(t);
  t.timers.tick(25000);
  assert.deepEqual(socket.sent.at(-1), { type: "ping", active: true });
  socket.receive({ type: "pong" });
  active = false;
  t.timers.tick(25000);
  assert.deepEqual(socket.sent.at(-1), { type: "ping", active: false });
});

test("reconnectNow skips the backoff wait", () => {
  const t = setup();
  welcomed(t);
  t.sockets[0].lose();
  t.sockets.length = 0;
  t.client.reconnectNow();
  assert.equal(t.sockets.length, 1);
  assert.equal(t.client.attempt, 0);
  assert.deepEqual(t.timers.pending().length, 0);
});

test("a WebSocket constructor that throws is retried", () => {
  let calls = 0;
  class Refusing {
    constructor() {
      calls++;
      throw new Error("SecurityError");
    }
  }
  const t = setup({ WebSocket: Refusing });
  t.client.start();
  assert.equal(t.client.state, "waiting");
  t.timers.tick(1000);
  assert.equal(calls, 2);
});

test("the outbox is kept across clients (reloads) and resent after every welcome", () => {
  const backend = memoryStorage();
  const outbox = () => new Outbox(jsonStore(backend), "livechat:outbox:v1");
  const first = setup({ outbox: outbox() });
  first.client.post({ client_id: "a", body: "hello" });
  assert.equal(first.sockets.length, 1, "posting while offline connects");

  // A reload: a new client over the same storage.
  const resent = [];
  const t = setup({ outbox: outbox(), onResend: () => resent.push("done") });
  const socket = welcomed(t);
  assert.deepEqual(socket.sent.slice(1), [{ type: "message", client_id: "a", body: "hello" }]);
  assert.deepEqual(resent, ["done"]);
  t.client.outbox.remove("a");
  t.client.post({ client_id: "b", body: "again" });
  assert.deepEqual(socket.sent.at(-1), { type: "message", client_id: "b", body: "again" });
  assert.deepEqual(outbox().items(), [{ client_id: "b", body: "again" }]);
});

test("resendSoon resends once, 3 to 7 s later", () => {
  const t = setup({ outbox: new Outbox(jsonStore(memoryStorage()), "k") });
  const socket = welcomed(t);
  t.client.post({ client_id: "a", body: "x" });
  t.client.resendSoon();
  t.client.resendSoon();
  const messages = () => socket.sent.filter((f) => f.type === "message").length;
  t.timers.tick(4999); // 3 s + 0.5 * 4 s
  assert.equal(messages(), 1);
  t.timers.tick(1);
  assert.equal(messages(), 2);
  t.timers.tick(60000);
  assert.equal(messages(), 2);
});

test("part frames are joined before they reach onFrame", () => {
  const t = setup();
  const socket = welcomed(t);
  const whole = JSON.stringify({ type: "messages", conversation: 1, messages: [{ seq: 1 }] });
  socket.receive({ type: "part", id: 1, index: 0, count: 2, data: whole.slice(0, 10) });
  assert.equal(t.frames.length, 1);
  socket.receive({ type: "part", id: 1, index: 1, count: 2, data: whole.slice(10) });
  assert.deepEqual(t.frames.at(-1), JSON.parse(whole));
  socket.receive("not json");
  socket.receive(JSON.stringify(3));
  assert.equal(t.frames.length, 2);
});

// An outbox whose item states are recorded, over storage a reload keeps.
const recorded = (backend = memoryStorage()) => {
  const states = [];
  const outbox = new Outbox(jsonStore(backend), "k", (item, state, error) =>
    states.push(error === undefined ? [item.client_id, state] : [item.client_id, state, error]));
  return { outbox, states };
};

test("items of any type are resent in order after each welcome, each reporting its state", () => {
  const backend = memoryStorage();
  const first = recorded(backend);
  const offline = setup({ outbox: first.outbox });
  offline.client.post({ conversation: 1, client_id: "r", body: "reply" });
  offline.client.post({ type: "note", conversation: 1, client_id: "n", body: "note" });
  assert.deepEqual(first.states, [["r", "queued"], ["n", "queued"]]);

  // A reload: the same items, sent once each on the welcome, in order.
  const { outbox, states } = recorded(backend);
  const t = setup({ outbox });
  const socket = welcomed(t);
  assert.deepEqual(socket.sent.slice(1), [
    { type: "message", conversation: 1, client_id: "r", body: "reply" },
    { type: "note", conversation: 1, client_id: "n", body: "note" },
  ]);
  assert.deepEqual(states, [["r", "sending"], ["n", "sending"]]);

  // Lost before the acks: queued again, and sent again after the next welcome.
  socket.lose();
  assert.deepEqual(states.slice(2), [["r", "queued"], ["n", "queued"]]);
  t.timers.tick(1000);
  const again = t.sockets.at(-1);
  again.open();
  again.receive({ type: "welcome" });
  assert.deepEqual(again.sent.slice(1).map((f) => [f.type, f.client_id]), [["message", "r"], ["note", "n"]]);
  outbox.remove("r");
  outbox.remove("n");
  assert.deepEqual(states.slice(-2), [["r", "acked"], ["n", "acked"]]);
  assert.deepEqual(outbox.items(), []);
});

test("a retriable refusal resends the outbox in 3-7 s; any other fails the item", () => {
  const { outbox, states } = recorded();
  const t = setup({ outbox });
  const socket = welcomed(t);
  t.client.post({ client_id: "a", body: "x" });
  t.client.post({ type: "note", client_id: "b", body: "y" });
  assert.equal(t.client.refused({ type: "error", client_id: "a", retriable: true }, "busy"), true);
  assert.deepEqual(states.slice(2), [["a", "queued", "busy"]]);
  t.timers.tick(4999);
  assert.equal(socket.sent.length, 3);
  t.timers.tick(1);
  assert.deepEqual(socket.sent.slice(3).map((f) => f.client_id), ["a", "b"]);
  assert.deepEqual(states.slice(3), [["a", "sending"], ["b", "sending"]]);

  assert.equal(t.client.refused({ type: "error", client_id: "b", code: "too_long" }, "Too long"), true);
  assert.deepEqual(states.at(-1), ["b", "failed", "Too long"]);
  assert.deepEqual(outbox.items().map((i) => i.client_id), ["a"]);
  assert.equal(t.client.refused({ type: "error", client_id: "b" }, "again"), false, "no longer in the outbox");
  assert.equal(setup().client.refused({ type: "error", client_id: "a" }), false, "no outbox at all");
});
