/* Joining `part` frames (shared/parts.js). */

import assert from "node:assert/strict";
import { test } from "node:test";
import { PartJoiner } from "../../livechat/static/livechat/shared/parts.js";

const split = (frame, id, size) => {
  const text = JSON.stringify(frame), data = [];
  for (let i = 0; i < text.length; i += size) data.push(text.slice(i, i + size));
  return data.map((d, index) => ({ type: "part", id, index, count: data.length, data: d }));
};

test("other frames pass through", () => {
  const frame = { type: "pong" };
  assert.equal(new PartJoiner().join(frame), frame);
});

test("the parts of a frame make the frame", () => {
  const joiner = new PartJoiner(), frame = { type: "opened", context: { notes: "x".repeat(50) } };
  const parts = split(frame, 3, 16);
  assert.ok(parts.length > 2);
  const results = parts.map((p) => joiner.join(p));
  assert.deepEqual(results.slice(0, -1), parts.slice(0, -1).map(() => null));
  assert.deepEqual(results.at(-1), frame);
});

test("a missing part drops the frame; the next frame is joined again", () => {
  const joiner = new PartJoiner();
  const first = split({ type: "a", x: "y".repeat(40) }, 1, 10);
  joiner.join(first[0]);
  assert.equal(joiner.join(first[2]), null);
  assert.equal(joiner.join(first[3]), null);
  const second = split({ type: "b" }, 2, 5);
  assert.deepEqual(second.map((p) => joiner.join(p)).at(-1), { type: "b" });
});

test("parts of another id, a part without data, or text that is no JSON object are dropped", () => {
  const joiner = new PartJoiner();
  joiner.join({ type: "part", id: 1, index: 0, count: 2, data: '{"ty' });
  assert.equal(joiner.join({ type: "part", id: 2, index: 1, count: 2, data: 'pe":1}' }), null);
  assert.equal(joiner.join({ type: "part", id: 5, index: 0, count: 1, data: 7 }), null);
  assert.equal(joiner.join({ type: "part", id: 6, index: 0, count: 1, data: "[1" }), null);
  assert.equal(joiner.join({ type: "part", id: 7, index: 0, count: 1, data: "12" }), null);
  joiner.join({ type: "part", id: 8, index: 0, count: 2, data: "{}" });
  joiner.reset();
  assert.equal(joiner.join({ type: "part", id: 8, index: 1, count: 2, data: "" }), null);
});
