// Pure formatting: placeholders, times, durations, sizes, safe links, labels.

import { THUMBNAIL_BOX } from "./constants.js";
import { S } from "./strings.js";

// The page's language for dates and numbers (the browser's when unset or outside a page).
export var lang = (typeof document !== "undefined" && document.documentElement.lang) || undefined;

export function fmt(template, values) {
  return String(template).replace(/%\((\w+)\)s/g, function (match, key) {
    return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match;
  });
}

export function parseDate(value) {
  var date = value ? new Date(value) : null;
  return date && !isNaN(date.getTime()) ? date : null;
}

export function formatTime(value) {
  var date = parseDate(value);
  if (!date) {
    return "";
  }
  var sameDay = date.toDateString() === new Date().toDateString();
  var options = sameDay
    ? { hour: "2-digit", minute: "2-digit" }
    : { dateStyle: "short", timeStyle: "short" };
  try {
    return new Intl.DateTimeFormat(lang, options).format(date);
  } catch (e) {
    return date.toLocaleString();
  }
}

export function formatDuration(ms) {
  var total = Math.max(0, Math.floor(ms / 1000));
  var hours = Math.floor(total / 3600);
  var minutes = Math.floor((total % 3600) / 60);
  var seconds = total % 60;
  var pad = function (n) {
    return (n < 10 ? "0" : "") + n;
  };
  return hours ? hours + ":" + pad(minutes) + ":" + pad(seconds) : minutes + ":" + pad(seconds);
}

export function safeHref(value) {
  // Only web links: a javascript: URL from a shopper must never become clickable.
  if (typeof value !== "string") {
    return null;
  }
  if (/^\/(?!\/)/.test(value)) {
    return value;
  }
  try {
    var url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch (e) {
    return null;
  }
}

// A mailto: link only for a plain address: no "?cc=" or "&body=" smuggled in.
export function mailtoHref(value) {
  if (typeof value !== "string" || value.length > 254) {
    return null;
  }
  return /^[^\s@"<>()[\]\\,;:?&#%/]+@[^\s@"<>()[\]\\,;:?&#%/]+$/.test(value) ? "mailto:" + value : null;
}

export function formatNumber(value, digits) {
  try {
    return new Intl.NumberFormat(lang, { maximumFractionDigits: digits }).format(value);
  } catch (e) {
    return value.toFixed(digits);
  }
}

export function humanSize(bytes) {
  var n = Number(bytes);
  if (bytes === null || bytes === undefined || !isFinite(n) || n < 0) {
    return "";
  }
  if (n < 1024) {
    return fmt(S.size_b, { n: formatNumber(n, 0) });
  }
  if (n < 1024 * 1024) {
    return fmt(S.size_kb, { n: formatNumber(n / 1024, n < 10 * 1024 ? 1 : 0) });
  }
  return fmt(S.size_mb, { n: formatNumber(n / (1024 * 1024), 1) });
}

// Display size of a picture inside a THUMBNAIL_BOX square, or null if unknown.
export function fitBox(width, height) {
  var w = Number(width);
  var h = Number(height);
  if (!(w > 0 && h > 0)) {
    return null;
  }
  var scale = Math.min(1, THUMBNAIL_BOX / w, THUMBNAIL_BOX / h);
  return [Math.max(1, Math.round(w * scale)), Math.max(1, Math.round(h * scale))];
}

export function shortPage(value) {
  try {
    var url = new URL(value, window.location.href);
    return url.pathname + url.search;
  } catch (e) {
    return value;
  }
}

export function humanizeKey(key) {
  var text = String(key).replace(/[_-]+/g, " ").trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function unreadText(count) {
  return fmt(count === 1 ? S.unread_one : S.unread_other, { count: count });
}

export function statusText(status) {
  return S["status_" + status] || status;
}

export function timeOf(value) {
  var date = parseDate(value);
  return date ? date.getTime() : 0;
}
