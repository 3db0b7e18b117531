/* Formatting shared by the widget and the console: placeholders, safe URLs, links in text, times and sizes. */

// "%(name)s" placeholders, as Django's translations write them.
export const fill = (text, values) => String(text).replace(/%\((\w+)\)s/g, (_, key) => values[key] ?? "");

const protocolOf = (url, base) => {
  try {
    return new URL(url, base).protocol;
  } catch (error) {
    return "";
  }
};

// Only web addresses reach src and href: never javascript:, data: or the like.
export const safeUrl = (url, base = globalThis.location && globalThis.location.href) =>
  !!url && /^https?:$/.test(protocolOf(url, base));

// Links a message may carry: web pages, email addresses; nothing else becomes a link.
const LINK = /\b(?:https?:\/\/|mailto:|www\.)[^\s<>"]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b/gi;
const TRAILING = /[.,;:!?'"»”’]+$/;

// Punctuation after a link ends the sentence, not the link; a ")" stays only
// when the link opened one ("https://en.wikipedia.org/wiki/Tea_(drink)").
const trim = (raw) => {
  let text = raw;
  for (;;) {
    const before = text;
    text = text.replace(TRAILING, "");
    const open = text.split("(").length, close = text.split(")").length;
    if (text.endsWith(")") && close > open) text = text.slice(0, -1);
    if (text === before) return text;
  }
};

const hrefOf = (text) => {
  if (/^www\./i.test(text)) return "https://" + text;
  if (/^(https?|mailto):/i.test(text)) return text;
  return "mailto:" + text;
};

// The text cut into parts, each {text} or {text, href}: the caller builds DOM
// nodes from them (text nodes and <a>), never HTML.
export const linkParts = (body) => {
  const text = String(body ?? ""), parts = [];
  let at = 0;
  for (const match of text.matchAll(LINK)) {
    const link = trim(match[0]), href = hrefOf(link);
    if (!link || !/^(https?|mailto):$/.test(protocolOf(href))) continue;
    if (match.index > at) parts.push({ text: text.slice(at, match.index) });
    parts.push({ text: link, href });
    at = match.index + link.length;
  }
  if (at < text.length || !parts.length) parts.push({ text: text.slice(at) });
  return parts;
};

const base = (tag) => (tag || "").split("-")[0].toLowerCase();

// The browser's variant of the page's language: en-GB writes 17:00, "en" 5:00 PM.
export const pickLanguage = (pageLanguage, browserLanguages = []) => {
  const lang = browserLanguages.find((l) => base(l) === base(pageLanguage)) || pageLanguage || undefined;
  try {
    new Intl.DateTimeFormat(lang);
    return lang;
  } catch (error) {
    return undefined;
  }
};

// Formatters in one language (and, for tests, one time zone).
export const formats = (lang, timeZone) => {
  const dates = (options) => new Intl.DateTimeFormat(lang, { timeZone, ...options });
  const time = dates({ hour: "numeric", minute: "2-digit" });
  // An opening that ends at midnight ends at 24:00, not 0:00, on a 24-hour clock.
  const endTime = time.resolvedOptions().hourCycle === "h23" ? dates({ hour: "numeric", minute: "2-digit", hourCycle: "h24" }) : time;
  const day = dates({ weekday: "short" });
  const stamp = dates({ dateStyle: "medium", timeStyle: "short" });
  const zone = dates({ timeZoneName: "short" });
  // Weekday number and calendar date in the zone, whatever the language.
  const calendar = new Intl.DateTimeFormat("en-US", { timeZone, weekday: "short", year: "numeric", month: "2-digit", day: "2-digit" });
  const part = (date, type) => calendar.formatToParts(new Date(date)).find((p) => p.type === type).value;
  const number = (n, unit, options) => new Intl.NumberFormat(lang, { style: "unit", unit, ...options }).format(n);
  return {
    lang,
    time: (date) => time.format(new Date(date)),
    end: (date) => endTime.format(new Date(date)),
    day: (date) => day.format(new Date(date)),
    // A message's time: "14:05" today, "2 Dec 2026, 14:05" before.
    timeOf: (date) => (new Date(date).toDateString() === new Date().toDateString() ? time : stamp).format(new Date(date)),
    when: (date) => day.format(new Date(date)) + " " + time.format(new Date(date)),
    weekday: (date) => ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"].indexOf(part(date, "weekday")),
    dateKey: (date) => part(date, "year") + "-" + part(date, "month") + "-" + part(date, "day"),
    // The zone's short name ("CET", "GMT+8") at that instant.
    zone: (date) => (zone.formatToParts(new Date(date)).find((p) => p.type === "timeZoneName") || {}).value || "",
    minutes: (n) => number(n, "minute", { unitDisplay: "long" }),
    size: (bytes) =>
      bytes < 1048576
        ? number(Math.ceil(bytes / 1024), "kilobyte")
        : number(bytes / 1048576, "megabyte", { maximumFractionDigits: 1 }),
  };
};
