/* The outbox (shared/outbox.js) and the storage under it (shared/storage.js). */

import assert from "node:assert/strict";
import { test } from "node:test";
import { Outbox, newClientId } from "../../livechat/static/livechat/shared/outbox.js";
import { jsonStore } from "../../livechat/static/livechat/shared/storage.js";
import { memoryStorage } from "./fakes.js";

test("items are kept in order, once per client id, and removed on ack", () => {
  const backend = memoryStorage(), outbox = new Outbox(jsonStore(backend), "o");
  outbox.add({ client_id: "a", body: "1" });
  outbox.add({ client_id: "b", body: "2" });
  outbox.add({ client_id: "a", body: "1" });
  assert.deepEqual(outbox.items().map((i) => i.client_id), ["b", "a"]);
  assert.equal(outbox.find("b").body, "2");
  assert.equal(outbox.remove("b"), true);
  assert.equal(outbox.remove("b"), false);
  assert.equal(outbox.remove("a"), true);
  assert.equal(backend.map.has("o"), false, "an empty outbox leaves no key");
});

test("storage that throws or holds junk reads as empty", () => {
  const throwing = { getItem() { throw new Error("denied"); }, setItem() { throw new Error("quota"); }, removeItem() {} };
  const outbox = new Outbox(jsonStore(throwing), "o");
  outbox.add({ client_id: "a" });
  assert.deepEqual(outbox.items(), []);
  const junk = memoryStorage();
  junk.setItem("o", "{not json");
  assert.deepEqual(new Outbox(jsonStore(junk), "o").items(), []);
  junk.setItem("o", '{"a": 1}');
  assert.deepEqual(new Outbox(jsonStore(junk), "o").items(), []);
  assert.equal(jsonStore(null).get("x", 5), 5);
});

test("client ids are 32 hex digits, different each time", () => {
  const a = newClientId(), b = newClientId();
  assert.match(a, /^[0-9a-f]{32}$/);
  assert.notEqual(a, b);
});

test("items of any frame type are kept in order; removal reports acked or failed once", () => {
  const states = [];
  const outbox = new Outbox(jsonStore(memoryStorage()), "o", (item, state, error) => states.push([item.client_id, state, error]));
  outbox.add({ client_id: "m", conversation: 1, body: "reply" });
  outbox.add({ type: "note", client_id: "n", conversation: 1, body: "note" });
  assert.deepEqual(outbox.items().map((i) => i.type), [undefined, "note"]);
  assert.equal(outbox.remove("n", "failed", "too long"), true);
  assert.equal(outbox.remove("m"), true);
  assert.equal(outbox.remove("m"), false, "an ack and the broadcast copy: reported once");
  assert.deepEqual(states, [["n", "failed", "too long"], ["m", "acked", undefined]]);
});
