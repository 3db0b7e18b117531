/* Formatting (shared/format.js): placeholders, safe URLs, links in text, languages, times and sizes. */

import assert from "node:assert/strict";
import { test } from "node:test";
import { fill, formats, linkParts, pickLanguage, safeUrl } from "../../livechat/static/livechat/shared/format.js";

test("fill puts values into %(name)s placeholders", () => {
  assert.equal(fill("You are number %(position)s — about %(wait)s.", { position: 2, wait: "1 minute" }), "You are number 2 — about 1 minute.");
  assert.equal(fill("Sent to %(email)s.", {}), "Sent to .");
});

test("safeUrl accepts web addresses only", () => {
  const base = "https://shop.example/";
  assert.equal(safeUrl("/media/a.png", base), true);
  assert.equal(safeUrl("https://cdn.example/a.png", base), true);
  for (const url of ["javascript:alert(1)", " JavaScript:alert(1)", "data:image/png;base64,AA", "vbscript:x", "", null]) {
    assert.equal(safeUrl(url, base), false, url);
  }
});

const links = (text) => linkParts(text).filter((p) => p.href).map((p) => [p.text, p.href]);

test("links in a message: web pages and email addresses, punctuation left out", () => {
  assert.deepEqual(linkParts("no links here"), [{ text: "no links here" }]);
  assert.deepEqual(linkParts("See https://shop.example/returns.", ), [
    { text: "See " },
    { text: "https://shop.example/returns", href: "https://shop.example/returns" },
    { text: "." },
  ]);
  assert.deepEqual(links("www.shop.example/tea, or mail help@shop.example!"), [
    ["www.shop.example/tea", "https://www.shop.example/tea"],
    ["help@shop.example", "mailto:help@shop.example"],
  ]);
  assert.deepEqual(links("(see https://en.wikipedia.org/wiki/Tea_(drink))"), [
    ["https://en.wikipedia.org/wiki/Tea_(drink)", "https://en.wikipedia.org/wiki/Tea_(drink)"],
  ]);
  assert.deepEqual(links("mailto:ann@example.com?subject=Order"), [["mailto:ann@example.com?subject=Order", "mailto:ann@example.com?subject=Order"]]);
});

test("nothing but http, https and mailto becomes a link", () => {
  for (const text of ["javascript:alert(1)", "JAVASCRIPT://%0aalert(1)", "data:text/html,<b>x</b>", "file:///etc/passwd", "ftp://x.example/"]) {
    assert.deepEqual(links(text), [], text);
    assert.equal(linkParts(text).map((p) => p.text).join(""), text, "the text stays whole");
  }
  const tricky = "https://x.example/\"onmouseover=alert(1)";
  assert.deepEqual(links(tricky), [["https://x.example/", "https://x.example/"]]);
});

test("the text is kept whole around links", () => {
  const text = "a https://a.example b http://b.example/c?d=e#f c";
  assert.equal(linkParts(text).map((p) => p.text).join(""), text);
  assert.equal(links(text).length, 2);
});

test("pickLanguage prefers the browser's variant of the page's language", () => {
  assert.equal(pickLanguage("en", ["en-GB", "fr"]), "en-GB");
  assert.equal(pickLanguage("es", ["en-GB"]), "es");
  assert.equal(pickLanguage("", []), undefined);
  assert.equal(pickLanguage("not a language!", []), undefined);
});

test("times, zones and sizes in the shopper's language", () => {
  const f = formats("en-GB", "Asia/Shanghai");
  const instant = "2026-11-24T08:00:00+00:00";
  assert.equal(f.time(instant), "16:00");
  assert.equal(f.day(instant), "Tue");
  assert.equal(f.weekday(instant), 2);
  assert.equal(f.dateKey("2026-11-24T16:30:00+00:00"), "2026-11-25");
  assert.equal(f.zone(instant), "GMT+8");
  assert.equal(formats("en-US", "America/New_York").zone(instant), "EST");
  assert.equal(f.when(instant), "Tue 16:00");
  assert.equal(f.size(2000), "2 kB");
  assert.equal(f.size(5 * 1048576), "5 MB");
  assert.equal(f.minutes(2), "2 minutes");
  assert.equal(formats("en-US", "UTC").time(instant), "8:00 AM");
});
