// The console's state (one object) and pure functions reading it: summaries, inbox groups.

import { CANNED_MAX_OPTIONS, OPEN_STATUSES, UNANSWERED } from "./constants.js";

import { parseDate } from "./format.js";

export var state = {
  ready: false, // a welcome arrived on the current socket (connection.js keeps the socket)
  me: { id: 0, name: "" }, // set by main.js from the page
  supervisor: false,
  answersChats: true,
  othersShown: false, // "Other active chats" expanded (and watched live)
  everWelcomed: false,
  summaries: new Map(), // conversation id -> summary (protocol shape)
  views: new Map(), // conversation id -> view (kept after its tab closes: a cache)
  tabs: [], // conversation ids, in tab order
  active: null,
  pendingOpens: [], // conversation ids whose "opened" has not arrived yet
  drafts: {}, // conversation id -> unsent text, restored by main.js
  inboxEntries: new Map(),
  inboxTimer: null,
  // Per inbox section: {count, next (the cursor of the page not yet loaded),
  // boundary (the sort key that page starts after), loading}.
  sectionInfo: {},
  // The search box's: {q, results (summaries), next, loading, error, entries}.
  search: { q: "", results: [], next: null, loading: false, error: "", entries: new Map() },
  baseTitle: "",
  presence: "online", // confirmed (the page says which at start)
  presencePending: null, // asked for, not yet confirmed
  presenceFailed: false,
  presenceTimer: null,
  // Agent workspace (welcome): routing, queue limits, tags, teams, replies.
  routing: "claim",
  longWaitMs: 120000,
  closeTags: [],
  departments: [],
  board: [], // agents: {id, name, presence, present, open_chats, max_chats}
  canned: [],
  preferences: { sound: true, desktop: true },
  activeSincePing: false,
  notifiedSeq: new Map(), // conversation id -> last seq an alert was raised for
  knownWaiting: new Set(), // unanswered chats already announced
  transfer: null, // {conversation, label, timer}: a transfer awaiting its answer
  transferred: new Set(), // chats handed to this agent, not yet looked at
  claiming: new Set(), // chats this console claimed or answered first
  claimPending: null, // the chat of the last claim sent, until answered
  lastSoundAt: 0,
  recentClosed: 20, // how many closed chats the inbox lists
};

export function mergeSummary(incoming) {
  if (!incoming || typeof incoming.id !== "number") {
    return null;
  }
  var old = state.summaries.get(incoming.id);
  var merged = Object.assign({}, old || {}, incoming);
  if (old && (incoming.last_seq || 0) < (old.last_seq || 0)) {
    // An older snapshot overtaken by a newer one (publishes may cross, e.g.
    // a message's summary sent after the router's): the newer one stands.
    merged = Object.assign({}, incoming, old);
  }
  if (old) {
    // Frames from different groups may arrive out of order: counters only grow.
    ["last_seq", "agent_read_seq", "visitor_read_seq"].forEach(function (key) {
      merged[key] = Math.max(old[key] || 0, incoming[key] || 0);
    });
    // Status changes are published with an empty preview; keep the last one.
    if (!incoming.preview) {
      merged.preview = old.preview;
    }
  }
  merged.visitor = merged.visitor || {};
  state.summaries.set(merged.id, merged);
  return merged;
}

export function visitorName(id) {
  var summary = state.summaries.get(id);
  return (summary && summary.visitor && summary.visitor.name) || "#" + id;
}

// A tab's name: the shopper's, with the chat's number when another open tab
// has the same one, so the agent (and a screen reader) can tell them apart.
export function tabLabel(id) {
  var name = visitorName(id);
  var key = name.toLowerCase();
  var shared = state.tabs.some(function (other) {
    return other !== id && visitorName(other).toLowerCase() === key;
  });
  return shared && name !== "#" + id ? name + " #" + id : name;
}

export function targetSeq(view) {
  var summary = state.summaries.get(view.id);
  return Math.max(view.maxSeq, (summary && summary.last_seq) || 0);
}

export function isOpenStatus(id) {
  var summary = state.summaries.get(id);
  return !summary || OPEN_STATUSES.indexOf(summary.status) !== -1;
}

export function isUnanswered(summary) {
  return UNANSWERED.indexOf(summary.status) !== -1 && !summary.agent;
}

export function isMine(summary) {
  return !!(summary && summary.agent && summary.agent.id === state.me.id);
}

// Someone else is handling it: the server refuses this agent's replies.
export function handledByOther(summary) {
  return !!(
    summary &&
    summary.agent &&
    summary.agent.id !== state.me.id &&
    OPEN_STATUSES.indexOf(summary.status) !== -1
  );
}

export function unreadOf(summary) {
  return Math.max(0, (summary.last_seq || 0) - (summary.agent_read_seq || 0));
}

// What asks for the agent now: a snoozed chat waits for the shopper, not for them.
export function attentionOf(summary) {
  return summary.snoozed ? 0 : unreadOf(summary);
}

// What a badge shows: a closed chat needs no answer, whatever it still counts.
export function shownUnread(summary) {
  return summary && OPEN_STATUSES.indexOf(summary.status) !== -1 ? unreadOf(summary) : 0;
}

export function languageOf(value) {
  return String(value || "").slice(0, 2).toLowerCase();
}

// One reply per shortcut, in the shopper's language if there is one, else the
// one for any language; filtered by shortcut or title.
export function cannedChoices(view, query) {
  var summary = state.summaries.get(view.id) || {};
  var visitorLanguage = languageOf(summary.visitor && summary.visitor.locale);
  var best = new Map();
  state.canned.forEach(function (reply) {
    var key = String(reply.shortcut || reply.title || reply.id).toLowerCase();
    var language = languageOf(reply.language);
    var rank = language && language === visitorLanguage ? 0 : language ? 2 : 1;
    var known = best.get(key);
    if (!known || rank < known.rank) {
      best.set(key, { reply: reply, rank: rank });
    }
  });
  var q = query.toLowerCase();
  var items = [];
  best.forEach(function (choice) {
    var shortcut = String(choice.reply.shortcut || "").toLowerCase();
    var title = String(choice.reply.title || "").toLowerCase();
    var score = !q || shortcut.indexOf(q) === 0 ? 0 : shortcut.indexOf(q) !== -1 || title.indexOf(q) !== -1 ? 1 : -1;
    if (score !== -1) {
      choice.score = score;
      items.push(choice);
    }
  });
  items.sort(function (a, b) {
    return (
      a.score - b.score ||
      a.rank - b.rank ||
      String(a.reply.shortcut || a.reply.title).localeCompare(String(b.reply.shortcut || b.reply.title))
    );
  });
  return items.slice(0, CANNED_MAX_OPTIONS);
}

// Open chats per agent, from the inbox (live for every agent; the board an
// agent got at connect time is not, unless they supervise).
export function loadOf(agentId) {
  var count = 0;
  state.summaries.forEach(function (summary) {
    if (summary.agent && summary.agent.id === agentId && OPEN_STATUSES.indexOf(summary.status) !== -1) {
      count += 1;
    }
  });
  return count;
}

// Chats this agent should hear about: their own, and those nobody has yet.
export function concernsMe(summary) {
  return OPEN_STATUSES.indexOf(summary.status) !== -1 && (isMine(summary) || !summary.agent);
}

export function inWindow(key, summary) {
  var info = state.sectionInfo[key];
  if (!info || !info.boundary) {
    return true;
  }
  var time = summaryTime(summary, "created");
  return time < info.boundary.time || (time === info.boundary.time && summary.id <= info.boundary.id);
}

// A summary's time in milliseconds; its creation time, which never changes,
// parsed once per summary object: sorting thousands of chats parses it once.
export var parsedTimes = new WeakMap();

export function summaryTime(summary, key) {
  var times = parsedTimes.get(summary);
  if (!times) {
    times = {};
    parsedTimes.set(summary, times);
  }
  if (!(key in times) || key !== "created") {
    var date = parseDate(summary[key]);
    times[key] = date ? date.getTime() : 0;
  }
  return times[key];
}

export function byTime(key, descending) {
  return function (a, b) {
    var diff = summaryTime(a, key) - summaryTime(b, key) || a.id - b.id;
    return descending ? -diff : diff;
  };
}

// Which inbox section a chat belongs in. A chat is listed once: a missed
// chat stays under Missed even if someone took it, until it is answered.
export function groupOf(summary) {
  if (summary.status === "waiting") {
    return isMine(summary) ? "mine" : "waiting";
  }
  if (summary.status === "missed") {
    return "missed";
  }
  if (summary.status === "active") {
    return isMine(summary) ? "mine" : "others";
  }
  return summary.status ? "closed" : null;
}

export function groups() {
  var grouped = { waiting: [], missed: [], mine: [], others: [], closed: [] };
  state.summaries.forEach(function (summary) {
    var key = groupOf(summary);
    if (key && inWindow(key, summary)) {
      grouped[key].push(summary);
    }
  });
  var oldest = byTime("created");
  grouped.waiting.sort(oldest);
  grouped.missed.sort(oldest);
  // Your chats with something new first, then by the last message.
  grouped.mine.sort(function (a, b) {
    return (attentionOf(b) > 0) - (attentionOf(a) > 0) || oldest(a, b);
  });
  grouped.others.sort(oldest);
  grouped.closed.sort(function (a, b) {
    return byTime("closed_at", true)(a, b) || byTime("created", true)(a, b);
  });
  grouped.closed = grouped.closed.slice(0, state.recentClosed);
  return grouped;
}

export function waitedMs(summary) {
  var created = parseDate(summary.created);
  return created ? Date.now() - created.getTime() : 0;
}
