// console/store.js: merging summaries, inbox groups, ownership, saved replies.
import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import {
  attentionOf,
  cannedChoices,
  concernsMe,
  groupOf,
  groups,
  handledByOther,
  inWindow,
  isOpenStatus,
  isUnanswered,
  loadOf,
  mergeSummary,
  shownUnread,
  state,
  tabLabel,
  targetSeq,
  unreadOf,
  visitorName,
} from "../../livechat/static/livechat/console/store.js";

const ME = { id: 7, name: "Ann" };
const BOB = { id: 8, name: "Bob" };

function summary(id, fields) {
  return Object.assign({ id: id, status: "active", created: "2026-12-02T10:00:0" + (id % 10) + "Z" }, fields);
}

beforeEach(() => {
  state.me = ME;
  state.summaries = new Map();
  state.sectionInfo = {};
  state.canned = [];
  state.recentClosed = 20;
  state.tabs = [];
});

test("mergeSummary: counters only grow, an empty preview keeps the last one", () => {
  mergeSummary(summary(1, { last_seq: 5, agent_read_seq: 3, preview: "Hello" }));
  const merged = mergeSummary({ id: 1, status: "closed", last_seq: 4, agent_read_seq: 4, preview: "" });
  assert.equal(merged.last_seq, 5);
  assert.equal(merged.agent_read_seq, 4);
  assert.equal(merged.preview, "Hello");
  assert.deepEqual(merged.visitor, {});
  assert.equal(state.summaries.get(1), merged);
});

test("mergeSummary: an older snapshot does not overwrite a newer one", () => {
  mergeSummary(summary(1, { last_seq: 6, status: "closed", preview: "Bye" }));
  const merged = mergeSummary(summary(1, { last_seq: 5, status: "active", preview: "Hi" }));
  assert.equal(merged.status, "closed");
  assert.equal(merged.preview, "Bye");
});

test("mergeSummary refuses what is not a summary", () => {
  assert.equal(mergeSummary(null), null);
  assert.equal(mergeSummary({ id: "1" }), null);
  assert.equal(state.summaries.size, 0);
});

test("groupOf: one section per chat; a missed chat stays under Missed", () => {
  assert.equal(groupOf(summary(1, { status: "waiting" })), "waiting");
  assert.equal(groupOf(summary(1, { status: "waiting", agent: ME })), "mine");
  assert.equal(groupOf(summary(1, { status: "missed", agent: ME })), "missed");
  assert.equal(groupOf(summary(1, { status: "active", agent: ME })), "mine");
  assert.equal(groupOf(summary(1, { status: "active", agent: BOB })), "others");
  assert.equal(groupOf(summary(1, { status: "closed" })), "closed");
  assert.equal(groupOf({ id: 1 }), null);
});

test("groups: oldest waiting first, my unread chats first, newest closed first, capped", () => {
  state.recentClosed = 2;
  mergeSummary(summary(3, { status: "waiting" }));
  mergeSummary(summary(2, { status: "waiting" }));
  mergeSummary(summary(4, { agent: ME, last_seq: 2, agent_read_seq: 2 }));
  mergeSummary(summary(5, { agent: ME, last_seq: 3, agent_read_seq: 1 }));
  mergeSummary(summary(6, { status: "closed", closed_at: "2026-12-02T11:00:00Z" }));
  mergeSummary(summary(7, { status: "closed", closed_at: "2026-12-02T12:00:00Z" }));
  mergeSummary(summary(8, { status: "closed", closed_at: "2026-12-02T10:30:00Z" }));
  const grouped = groups();
  const ids = (list) => list.map((s) => s.id);
  assert.deepEqual(ids(grouped.waiting), [2, 3]);
  assert.deepEqual(ids(grouped.mine), [5, 4]);
  assert.deepEqual(ids(grouped.closed), [7, 6]);
  assert.deepEqual(ids(grouped.others), []);
});

test("inWindow: past the loaded pages' boundary a chat is counted, not listed", () => {
  const inside = summary(2, { status: "waiting" });
  const beyond = summary(5, { status: "waiting" });
  assert.equal(inWindow("waiting", beyond), true);
  state.sectionInfo.waiting = { boundary: { time: Date.parse(inside.created), id: 2 } };
  assert.equal(inWindow("waiting", inside), true);
  assert.equal(inWindow("waiting", beyond), false);
  mergeSummary(inside);
  mergeSummary(beyond);
  assert.deepEqual(groups().waiting.map((s) => s.id), [2]);
});

test("ownership: mine, someone else's, unanswered, worth an alert", () => {
  const mine = summary(1, { agent: ME });
  const bobs = summary(2, { agent: BOB });
  const queued = summary(3, { status: "waiting" });
  assert.equal(handledByOther(mine), false);
  assert.equal(handledByOther(bobs), true);
  assert.equal(handledByOther(summary(2, { agent: BOB, status: "closed" })), false);
  assert.equal(isUnanswered(queued), true);
  assert.equal(isUnanswered(summary(4, { status: "missed", agent: ME })), false);
  assert.equal(concernsMe(mine), true);
  assert.equal(concernsMe(queued), true);
  assert.equal(concernsMe(bobs), false);
});

test("isOpenStatus, unreadOf, loadOf, targetSeq, visitorName read the summaries", () => {
  mergeSummary(summary(1, { agent: BOB, last_seq: 9, agent_read_seq: 4, visitor: { name: "Ida" } }));
  mergeSummary(summary(2, { agent: BOB, status: "closed" }));
  mergeSummary(summary(3, { agent: BOB, status: "missed" }));
  assert.equal(isOpenStatus(1), true);
  assert.equal(isOpenStatus(2), false);
  assert.equal(isOpenStatus(99), true); // not known yet: treated as open
  assert.equal(unreadOf(state.summaries.get(1)), 5);
  assert.equal(unreadOf({ last_seq: 2, agent_read_seq: 5 }), 0);
  assert.equal(loadOf(BOB.id), 2);
  assert.equal(targetSeq({ id: 1, maxSeq: 3 }), 9);
  assert.equal(targetSeq({ id: 1, maxSeq: 12 }), 12);
  assert.equal(visitorName(1), "Ida");
  assert.equal(visitorName(42), "#42");
});

test("cannedChoices: one reply per shortcut, in the shopper's language, filtered", () => {
  state.canned = [
    { id: 1, shortcut: "shipping", title: "Shipping times", language: "", body: "2 days" },
    { id: 2, shortcut: "shipping", title: "Plazos", language: "es", body: "2 días" },
    { id: 3, shortcut: "returns", title: "Returns", language: "", body: "30 days" },
    { id: 4, shortcut: "hello", title: "Shipping greeting", language: "fr", body: "Bonjour" },
  ];
  mergeSummary(summary(1, { visitor: { locale: "es-ES" } }));
  mergeSummary(summary(2, { visitor: { locale: "en" } }));
  const pick = (id, q) => cannedChoices({ id: id }, q).map((c) => c.reply.id);
  assert.deepEqual(pick(1, "ship"), [2, 4]); // shortcut match before a title match
  assert.deepEqual(pick(2, "ship"), [1, 4]);
  assert.deepEqual(pick(2, "ret"), [3]);
  assert.deepEqual(pick(2, "zzz"), []);
  assert.deepEqual(pick(2, "").length, 3);
});

test("a snoozed chat asks for no attention and sorts after chats with news", () => {
  state.summaries = new Map();
  const quiet = summary(1, { agent: ME, last_seq: 5, agent_read_seq: 2, snoozed: true });
  const news = summary(2, { agent: ME, last_seq: 3, agent_read_seq: 1 });
  mergeSummary(quiet);
  mergeSummary(news);
  assert.equal(unreadOf(quiet), 3);
  assert.equal(attentionOf(quiet), 0);
  assert.equal(attentionOf(news), 2);
  assert.deepEqual(
    groups().mine.map((item) => item.id),
    [2, 1]
  );
});

test("tabs of shoppers with the same name carry the chat's number", () => {
  state.summaries.set(1, summary(1, { visitor: { name: "Visitor" } }));
  state.summaries.set(2, summary(2, { visitor: { name: "visitor" } }));
  state.summaries.set(3, summary(3, { visitor: { name: "Ann" } }));
  state.tabs = [1, 3];
  assert.equal(tabLabel(1), "Visitor");
  state.tabs = [1, 2, 3];
  assert.equal(tabLabel(1), "Visitor #1");
  assert.equal(tabLabel(2), "visitor #2");
  assert.equal(tabLabel(3), "Ann");
  assert.equal(tabLabel(4), "#4"); // unknown: its number already
});

test("a closed chat shows no unread count", () => {
  const open = summary(1, { last_seq: 5, agent_read_seq: 2 });
  assert.equal(shownUnread(open), 3);
  assert.equal(shownUnread(Object.assign({}, open, { status: "closed" })), 0);
  assert.equal(unreadOf(Object.assign({}, open, { status: "closed" })), 3);
});
