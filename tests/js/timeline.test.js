/* One conversation's sequence (shared/timeline.js): order, duplicates, gap fill, replay pages, deleted messages. */

import assert from "node:assert/strict";
import { test } from "node:test";
import { Timeline } from "../../livechat/static/livechat/shared/timeline.js";

const m = (seq, conversation = 7) => ({ conversation, seq, body: "m" + seq });

const setup = ({ seq = 0, canSend = true } = {}) => {
  const shown = [], fetched = [];
  const timeline = new Timeline({
    conversation: 7,
    seq,
    show: (message) => shown.push(message.seq),
    fetch: (frame) => (canSend ? (fetched.push(frame), true) : false),
  });
  return { timeline, shown, fetched };
};

test("messages are shown once each, in order", () => {
  const t = setup();
  assert.equal(t.timeline.take(m(1)), true);
  t.timeline.drain();
  assert.equal(t.timeline.take(m(1)), false, "already shown");
  assert.equal(t.timeline.take(m(2, 8)), false, "another conversation");
  assert.equal(t.timeline.take({ conversation: 7 }), false, "no seq");
  t.timeline.take(m(2));
  t.timeline.take(m(2));
  t.timeline.drain();
  assert.deepEqual(t.shown, [1, 2]);
  assert.equal(t.timeline.seq, 2);
});

test("a gap is fetched once, and filled by the answer", () => {
  const t = setup({ seq: 3 });
  t.timeline.take(m(6));
  t.timeline.drain();
  t.timeline.take(m(7));
  t.timeline.drain();
  assert.deepEqual(t.shown, []);
  assert.deepEqual(t.fetched, [{ type: "fetch", conversation: 7, after_seq: 3, before_seq: 6 }]);
  t.timeline.page({ conversation: 7, messages: [m(4), m(5)], more: false });
  assert.deepEqual(t.shown, [4, 5, 6, 7]);
  assert.equal(t.timeline.fetching, false);
});

test("no fetch goes out while the socket cannot send; the next drain asks", () => {
  const t = setup({ canSend: false });
  t.timeline.take(m(2));
  t.timeline.drain();
  assert.equal(t.timeline.fetching, false);
  t.timeline.fetch = (frame) => (t.fetched.push(frame), true);
  t.timeline.drain();
  assert.equal(t.fetched.length, 1);
});

test("a complete answer skips messages that no longer exist (erased)", () => {
  const t = setup({ seq: 1 });
  t.timeline.take(m(5));
  t.timeline.drain();
  // The server answers the fetch for 1 < seq < 5 with nothing: 2-4 are gone.
  t.timeline.page({ conversation: 7, messages: [], more: false });
  assert.deepEqual(t.shown, [5]);
  assert.equal(t.timeline.seq, 5);
});

test("a replay in several pages asks for the rest after each", () => {
  const t = setup();
  t.timeline.expectReplay();
  t.timeline.page({ conversation: 7, messages: [m(1), m(2)], more: true });
  assert.deepEqual(t.shown, [1, 2]);
  assert.deepEqual(t.fetched, [{ type: "fetch", conversation: 7, after_seq: 2 }]);
  t.timeline.page({ conversation: 7, messages: [m(3)], more: false });
  assert.deepEqual(t.shown, [1, 2, 3]);
});

test("while a replay is expected, live messages wait rather than fetch", () => {
  const t = setup();
  t.timeline.expectReplay();
  t.timeline.take(m(4));
  t.timeline.drain();
  assert.deepEqual(t.fetched, []);
  t.timeline.page({ conversation: 7, messages: [m(1), m(2), m(3)], more: false });
  assert.deepEqual(t.shown, [1, 2, 3, 4]);
});

test("behind() fetches what the summary says exists; reconnected() forgets what was asked", () => {
  const t = setup({ seq: 2 });
  t.timeline.behind(2);
  assert.deepEqual(t.fetched, []);
  t.timeline.behind(4);
  assert.deepEqual(t.fetched, [{ type: "fetch", conversation: 7, after_seq: 2 }]);
  t.timeline.behind(5);
  assert.equal(t.fetched.length, 1, "one fetch at a time");
  t.timeline.take(m(9));
  t.timeline.reconnected();
  assert.equal(t.timeline.fetching, false);
  assert.equal(t.timeline.hold.size, 0);
  t.timeline.fill();
  assert.equal(t.fetched.length, 2);
});

// The console follows many conversations over one socket: a Timeline each.
test("timelines of several conversations over one socket keep apart", () => {
  const fetched = [], shown = { 7: [], 8: [] };
  const timelines = new Map(
    [7, 8].map((id) => [
      id,
      new Timeline({
        conversation: id,
        show: (message) => shown[id].push(message.seq),
        fetch: (frame) => (fetched.push(frame), true),
      }),
    ]),
  );
  // Both opened at once; their replays come back interleaved.
  timelines.forEach((timeline) => timeline.expectReplay());
  const deliver = (message) => {
    const timeline = timelines.get(message.conversation);
    timeline.take(message);
    timeline.drain();
  };
  deliver(m(3, 8)); // live, before its replay: held
  timelines.get(7).page({ conversation: 7, messages: [m(1), m(2)], more: false });
  timelines.get(8).page({ conversation: 8, messages: [m(1, 8), m(2, 8)], more: false });
  assert.deepEqual(shown, { 7: [1, 2], 8: [1, 2, 3] });
  assert.deepEqual(fetched, [], "a replay under way is not fetched again");
  // A gap in one fetches that one only.
  deliver(m(4, 7));
  deliver(m(4, 8));
  assert.deepEqual(fetched, [{ type: "fetch", conversation: 7, after_seq: 2, before_seq: 4 }]);
  assert.deepEqual(shown, { 7: [1, 2], 8: [1, 2, 3, 4] });
  timelines.get(7).page({ conversation: 7, messages: [m(3)], more: false });
  assert.deepEqual(shown[7], [1, 2, 3, 4]);
  // A lost socket forgets what each was waiting for; each resumes from its own seq.
  timelines.forEach((timeline) => timeline.reconnected());
  assert.deepEqual([...timelines.values()].map((t) => [t.seq, t.fetching]), [[4, false], [4, false]]);
});
