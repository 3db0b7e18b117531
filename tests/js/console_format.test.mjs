// console/format.js: placeholders, durations, sizes, safe links and labels.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  fitBox,
  fmt,
  formatDuration,
  humanSize,
  humanizeKey,
  mailtoHref,
  parseDate,
  safeHref,
  statusText,
  timeOf,
  unreadText,
} from "../../livechat/static/livechat/console/format.js";
import { S } from "../../livechat/static/livechat/console/strings.js";

// What the page's <template id="livechat-console-strings"> gives in a browser.
Object.assign(S, {
  size_b: "%(n)s bytes",
  size_kb: "%(n)s KB",
  size_mb: "%(n)s MB",
  unread_one: "%(count)s unread message",
  unread_other: "%(count)s unread messages",
  status_missed: "Missed",
});

test("fmt fills named placeholders and leaves unknown ones", () => {
  assert.equal(fmt("With %(name)s", { name: "Ann" }), "With Ann");
  assert.equal(fmt("%(open)s/%(max)s chats", { open: 2, max: 4 }), "2/4 chats");
  assert.equal(fmt("Hi %(who)s", {}), "Hi %(who)s");
  // A value is text, never another template.
  assert.equal(fmt("%(a)s", { a: "%(b)s" }), "%(b)s");
  // Inherited properties are not values.
  assert.equal(fmt("%(toString)s", {}), "%(toString)s");
});

test("formatDuration is m:ss under an hour, h:mm:ss past it, never negative", () => {
  assert.equal(formatDuration(0), "0:00");
  assert.equal(formatDuration(133000), "2:13");
  assert.equal(formatDuration(3723000), "1:02:03");
  assert.equal(formatDuration(-5000), "0:00");
});

test("safeHref keeps web links and site paths only", () => {
  assert.equal(safeHref("https://shop.example/cart"), "https://shop.example/cart");
  assert.equal(safeHref("/checkout/?step=2"), "/checkout/?step=2");
  assert.equal(safeHref("javascript:alert(1)"), null);
  assert.equal(safeHref("JavaScript:alert(1)"), null);
  assert.equal(safeHref("//evil.example/"), null);
  assert.equal(safeHref("data:text/html,hi"), null);
  assert.equal(safeHref(42), null);
});

test("mailtoHref takes a plain address, nothing smuggled after it", () => {
  assert.equal(mailtoHref("ann@example.com"), "mailto:ann@example.com");
  assert.equal(mailtoHref("ann@example.com?cc=eve@example.com"), null);
  assert.equal(mailtoHref("ann@example.com&body=x"), null);
  assert.equal(mailtoHref("not an address"), null);
  assert.equal(mailtoHref("a".repeat(250) + "@x.io"), null);
});

test("humanSize picks bytes, KB or MB", () => {
  assert.equal(humanSize(512), "512 bytes");
  assert.equal(humanSize(1536), "1.5 KB");
  assert.equal(humanSize(20 * 1024), "20 KB");
  assert.equal(humanSize(5 * 1024 * 1024), "5 MB");
  assert.equal(humanSize(null), "");
  assert.equal(humanSize(-1), "");
});

test("fitBox scales a picture into the thumbnail square, keeping its shape", () => {
  assert.deepEqual(fitBox(480, 240), [240, 120]);
  assert.deepEqual(fitBox(100, 50), [100, 50]);
  assert.deepEqual(fitBox(1, 10000), [1, 240]);
  assert.equal(fitBox(0, 10), null);
  assert.equal(fitBox("x", 10), null);
});

test("labels: keys, unread counts, statuses", () => {
  assert.equal(humanizeKey("item_count"), "Item count");
  assert.equal(humanizeKey("order-id"), "Order id");
  assert.equal(unreadText(1), "1 unread message");
  assert.equal(unreadText(3), "3 unread messages");
  assert.equal(statusText("missed"), "Missed");
  assert.equal(statusText("archived"), "archived");
});

test("parseDate and timeOf read ISO times, and nothing else", () => {
  assert.equal(parseDate("2026-12-02T10:00:00Z").getTime(), Date.UTC(2026, 11, 2, 10));
  assert.equal(parseDate("not a date"), null);
  assert.equal(parseDate(""), null);
  assert.equal(timeOf("2026-12-02T10:00:00Z"), Date.UTC(2026, 11, 2, 10));
  assert.equal(timeOf(null), 0);
});
