/* The widget's state (widget/store.js): following conversations, unread, waiting, what is kept where. */

import assert from "node:assert/strict";
import { test } from "node:test";
import { Store } from "../../livechat/static/livechat/widget/store.js";
import { jsonStore } from "../../livechat/static/livechat/shared/storage.js";
import { memoryStorage } from "./fakes.js";

const setup = () => {
  const session = memoryStorage(), local = memoryStorage();
  const make = () => new Store({ session: jsonStore(session), local: jsonStore(local), visitor: "v1" });
  return { session, local, make, store: make() };
};

const msg = (seq, sender, created, conversation = 7) => ({ conversation, seq, sender, created, body: "x" });

test("the tab's state survives a reload, per visitor", () => {
  const t = setup();
  t.store.follows(7);
  t.store.state.seq = 3;
  t.store.persist();
  assert.equal(t.make().state.conv, 7);
  assert.equal(t.make().state.seq, 3);
  const other = new Store({ session: jsonStore(t.session), local: jsonStore(t.local), visitor: "v2" });
  assert.equal(other.state.conv, null);
});

test("it follows its conversation and newer ones, never an older one", () => {
  const { store } = setup();
  assert.equal(store.follows(7), true);
  store.state.seq = 4;
  assert.equal(store.follows(7), true);
  assert.equal(store.state.seq, 4);
  assert.equal(store.follows(5), false);
  assert.equal(store.follows("8"), false);
  assert.equal(store.follows(9), true);
  assert.deepEqual([store.state.conv, store.state.seq], [9, 0]);
});

test("a conversation summary sets status, agent and how far the agent read", () => {
  const { store } = setup();
  store.applyConversation({ id: 7, status: "active", agent: { name: "Anna" }, agent_read_seq: 3 });
  store.applyConversation({ id: 7, status: "active", agent: { name: "Anna" }, agent_read_seq: 2 });
  assert.deepEqual([store.state.status, store.state.agent.name, store.state.agentRead], ["active", "Anna", 3]);
  assert.equal(store.applyConversation({ id: 6, status: "closed" }), false);
  assert.equal(store.isClosed(), false);
  store.applyConversation({ id: 7, status: "missed" });
  assert.equal(store.isClosed(), true, "missed is closed for the shopper's form");
});

test("unread counts replies after what the shopper read, in this conversation", () => {
  const { store } = setup();
  store.follows(7);
  store.state.msgs = [msg(1, "visitor"), msg(2, "agent"), msg(3, "system"), msg(4, "agent", null, 6)];
  assert.equal(store.unread(), 2);
  store.state.readSent = 2;
  assert.equal(store.unread(), 1);
  assert.equal(store.lastVisitorMessage().seq, 1);
  assert.equal(store.answered(), true);
});

test("the wait runs from the first unanswered message", () => {
  const { store } = setup();
  store.follows(7);
  const t0 = Date.parse("2026-12-01T10:00:00Z");
  assert.equal(store.waitLeft(t0, 60000), null);
  store.state.msgs = [msg(1, "visitor", "2026-12-01T10:00:00Z"), msg(2, "visitor", "2026-12-01T10:00:30Z")];
  assert.equal(store.waitLeft(t0 + 10000, 60000), 50000);
  store.state.msgs.push(msg(3, "agent", "2026-12-01T10:01:00Z"));
  assert.equal(store.waitLeft(t0 + 70000, 60000), null);
  store.state.msgs.push(msg(4, "visitor", "2026-12-01T10:02:00Z"));
  assert.equal(store.waitLeft(t0 + 190000, 60000), -10000);
  store.state.status = "closed";
  assert.equal(store.waitLeft(t0 + 190000, 60000), null);
});

test("known visitor details fill empty form fields only", () => {
  const { store } = setup();
  store.form.name = "Typed";
  store.known({ name: "Ann", email: "ann@example.com" });
  assert.deepEqual([store.form.name, store.form.email, store.state.mail], ["Typed", "ann@example.com", "ann@example.com"]);
});

test("a new chat forgets the last one; the outbox, draft and offline message are kept apart", () => {
  const t = setup();
  t.store.follows(7);
  t.store.state.msgs = [msg(1, "agent")];
  t.store.state.agent = { name: "Anna" };
  t.store.outbox.add({ client_id: "a", body: "hi" });
  t.store.draft = "half a";
  t.store.offline = { client_id: "o" };
  t.store.reset();
  assert.deepEqual([t.store.state.conv, t.store.state.msgs, t.store.state.agent], [null, [], null]);
  const again = t.make();
  assert.equal(again.outbox.items().length, 1);
  assert.equal(again.draft, "half a");
  assert.equal(again.offline.client_id, "o");
  assert.ok(t.local.map.has("livechat:outbox:v1"), "the outbox outlives the tab");
  assert.ok(t.session.map.has("livechat:draft:v1"), "the draft is the tab's");
});

test("at most 200 messages are kept", () => {
  const { store, make } = setup();
  store.follows(7);
  store.state.msgs = Array.from({ length: 250 }, (_, i) => msg(i + 1, "agent"));
  store.persist();
  assert.equal(make().state.msgs.length, 200);
  assert.equal(make().state.msgs[0].seq, 51);
});
