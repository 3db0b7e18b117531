/* Business hours in the shopper's zone (widget/hours.js). */

import assert from "node:assert/strict";
import { test } from "node:test";
import { hoursText, nextEdge, schedule } from "../../livechat/static/livechat/widget/hours.js";
import { formats } from "../../livechat/static/livechat/shared/format.js";

const T = { hours: "We answer %(hours)s.", next_open: "We open again %(when)s." };

// Mon 2026-11-23 to Sun 2026-11-29, 8:00-16:00 UTC on weekdays, 9-13 UTC Saturday, and next Monday.
const week = [23, 24, 25, 26, 27]
  .map((d) => ({ start: `2026-11-${d}T08:00:00+00:00`, end: `2026-11-${d}T16:00:00+00:00` }))
  .concat([
    { start: "2026-11-28T09:00:00+00:00", end: "2026-11-28T13:00:00+00:00" },
    { start: "2026-11-30T08:00:00+00:00", end: "2026-11-30T12:00:00+00:00" },
  ]);

test("days with the same hours are grouped, in the shopper's zone", () => {
  assert.equal(schedule(week, formats("en-GB", "UTC")), "Mon–Fri 8:00–16:00; Sat 9:00–13:00");
  assert.equal(schedule(week, formats("en-GB", "Europe/Madrid")), "Mon–Fri 9:00–17:00; Sat 10:00–14:00");
});

test("the line says when the store answers, and when it opens again while closed", () => {
  const f = formats("en-GB", "UTC");
  assert.equal(hoursText({ hours: null }, T, f), "");
  assert.equal(hoursText({ hours: { week }, open_now: true }, T, f), "We answer Mon–Fri 8:00–16:00; Sat 9:00–13:00 (UTC).");
  assert.match(hoursText({ hours: { week }, open_now: false, next_open: week[1].start }, T, f), /We open again Tue 8:00\.$/);
});

test("hours are named by their zone, and end at 24:00 rather than 0:00", () => {
  // 8:00-16:00 UTC, read in Shanghai (UTC+8): 16:00 to midnight.
  const shanghai = formats("en-GB", "Asia/Shanghai");
  assert.equal(
    hoursText({ hours: { week }, open_now: true }, T, shanghai),
    "We answer Mon–Fri 16:00–24:00; Sat 17:00–21:00 (GMT+8).",
  );
  // A 12-hour clock says midnight its own way.
  assert.match(schedule(week.slice(0, 1), formats("en-US", "Asia/Shanghai")), /^Mon 4:00\sPM–12:00\sAM$/);
  assert.match(hoursText({ hours: { week } }, T, formats("en-US", "America/New_York")), /\(EST\)\.$/);
});

test("the next opening or closing instant", () => {
  const a = { hours: { week } };
  assert.equal(nextEdge(a, Date.parse("2026-11-23T09:00:00Z")), Date.parse("2026-11-23T16:00:00Z"));
  assert.equal(nextEdge({ hours: null }, 0), Infinity);
});
