/* Placement geometry (widget/geometry.js): lifting off buttons, fitting the panel, telling button-like links. */

import assert from "node:assert/strict";
import { test } from "node:test";
import { buttonLike, liftFor, overlap, placePanel } from "../../livechat/static/livechat/widget/geometry.js";

const rect = (left, top, width, height) => ({ left, top, right: left + width, bottom: top + height });

test("overlap counts a gap around the box", () => {
  assert.equal(overlap(rect(0, 0, 10, 10), rect(0, 15, 10, 10)), false);
  assert.equal(overlap(rect(0, 0, 10, 10), rect(0, 15, 10, 10), 6), true);
  assert.equal(overlap(rect(0, 0, 10, 10), rect(20, 0, 10, 10), 50), false, "side by side never");
});

test("the launcher is lifted just above a button under it", () => {
  const launcher = rect(1100, 728, 160, 52);
  assert.deepEqual(liftFor([launcher], []), { lift: 0, clear: true });
  assert.deepEqual(liftFor([launcher], [rect(0, 740, 1280, 44)]), { lift: 780 - 740 + 8, clear: true });
  // Two stacked buttons: above both.
  const { lift, clear } = liftFor([launcher], [rect(900, 740, 380, 44), rect(900, 690, 380, 40)]);
  assert.equal(clear, true);
  assert.equal(lift, 780 - 690 + 8);
  // A button beside it is no reason to move.
  assert.deepEqual(liftFor([launcher], [rect(0, 740, 600, 44)]), { lift: 0, clear: true });
});

test("the launcher and the invitation above it move together", () => {
  const launcher = rect(1100, 728, 160, 52), bubble = rect(980, 590, 280, 126);
  const placeOrder = rect(700, 600, 480, 44);
  const { lift, clear } = liftFor([launcher, bubble], [placeOrder]);
  assert.equal(clear, true);
  assert.ok(bubble.bottom - lift <= placeOrder.top - 8 || launcher.top - lift >= placeOrder.bottom + 8);
});

test("no lift is enough when the button is too tall to pass", () => {
  const launcher = rect(1100, 728, 160, 52);
  const { clear, lift } = liftFor([launcher], [rect(900, 0, 380, 800)]);
  assert.equal(clear, false);
  assert.ok(launcher.top - lift >= 8, "never off the top");
});

test("the panel keeps its side and height when nothing is under it", () => {
  const options = { width: 370, height: 580, minHeight: 300, viewport: { width: 1280, height: 800 }, margin: 20, side: "right" };
  assert.deepEqual(placePanel({ ...options, boxes: [] }), { side: "right", height: 580 });
  // "Place order" low on the right: the panel, which grows from the bottom,
  // goes to the left, short enough to stay under the order total.
  const placeOrder = rect(700, 700, 500, 44), total = rect(120, 400, 400, 30);
  assert.deepEqual(placePanel({ ...options, boxes: [placeOrder, total] }), { side: "left", height: 340 });
  // A button high on the right: a shorter panel below it.
  assert.deepEqual(placePanel({ ...options, boxes: [rect(900, 300, 300, 44)] }), { side: "right", height: 420 });
  // Nowhere to go.
  assert.equal(placePanel({ ...options, boxes: [rect(0, 700, 1280, 80)] }), null);
});

test("button-like: a filled or bordered box with padding", () => {
  const plain = { backgroundColor: "rgba(0, 0, 0, 0)", backgroundImage: "none", borderTopWidth: "0px", borderTopStyle: "none", borderTopColor: "rgb(0, 0, 0)", paddingLeft: "0px", paddingTop: "0px" };
  assert.equal(buttonLike(plain), false);
  assert.equal(buttonLike({ ...plain, backgroundColor: "rgb(31, 95, 191)", paddingLeft: "16px", paddingTop: "8px" }), true);
  assert.equal(buttonLike({ ...plain, borderTopWidth: "1px", borderTopStyle: "solid", paddingLeft: "12px", paddingTop: "6px" }), true);
  assert.equal(buttonLike({ ...plain, backgroundColor: "rgb(255, 255, 0)" }), false, "a highlighted link has no padding");
  assert.equal(buttonLike({ ...plain, backgroundImage: "linear-gradient(red, blue)", paddingLeft: "10px", paddingTop: "4px" }), true);
});
