// Pages of the inbox sections, their counts, and the other agents' chats disclosure.
import { send } from "./connection.js";
import { MORE_PAGE_SIZE } from "./constants.js";
import { parseDate } from "./format.js";
import { moreObserver, renderInbox, sections } from "./inbox.js";
import { onSearchPage } from "./search.js";
import { storageKey } from "./storage.js";
import { isUnanswered, mergeSummary, state } from "./store.js";
import { S } from "./strings.js";

// A cursor is "<created>|<id>": the sort key of the last conversation of the
// pages loaded. Conversations after it are counted, not listed, until the
// agent scrolls to them: a live change there must not show them out of turn.
export function setSectionPage(key, cursor) {
  var info = state.sectionInfo[key] || (state.sectionInfo[key] = { count: 0 });
  info.loading = false;
  info.next = typeof cursor === "string" && cursor ? cursor : null;
  info.boundary = null;
  if (info.next) {
    var cut = info.next.lastIndexOf("|");
    var when = parseDate(info.next.slice(0, cut));
    info.boundary = { time: when ? when.getTime() : 0, id: Number(info.next.slice(cut + 1)) };
  }
}

export function applyCounts(counts) {
  if (!counts || typeof counts !== "object") {
    return;
  }
  Object.keys(sections).forEach(function (key) {
    if (typeof counts[key] === "number") {
      (state.sectionInfo[key] || (state.sectionInfo[key] = { count: 0 })).count = counts[key];
    }
  });
}

export function loadMore(key) {
  var info = state.sectionInfo[key];
  if (!info || !info.next || info.loading || !state.ready) {
    return;
  }
  if (key === "others" && !state.othersShown) {
    return;
  }
  info.loading = true;
  renderMore(key);
  send({ type: "inbox", section: key, after: info.next, limit: MORE_PAGE_SIZE });
}

export function onInboxPage(frame) {
  if (frame.section === "search") {
    onSearchPage(frame);
    return;
  }
  var key = frame.section;
  if (!sections[key] || !Array.isArray(frame.conversations)) {
    return;
  }
  frame.conversations.forEach(function (incoming) {
    var old = (incoming && state.summaries.get(incoming.id)) || null;
    var summary = mergeSummary(incoming);
    if (summary && !old && isUnanswered(summary)) {
      state.knownWaiting.add(summary.id); // listed, not news
      state.notifiedSeq.set(summary.id, summary.last_seq || 0);
    }
  });
  setSectionPage(key, frame.next);
  applyCounts(frame.counts);
  renderInbox();
}

export function renderMore(key) {
  var info = state.sectionInfo[key] || {};
  var more = sections[key].more;
  var collapsed = key === "others" && !state.othersShown;
  var waiting = !!info.next && !collapsed && !info.loading;
  more.hidden = !info.next || collapsed;
  more.disabled = !!info.loading;
  more.textContent = info.loading ? S.loading_more : S.show_more;
  if (moreObserver && waiting && !more.observed) {
    // Observing anew reports whether it is in view now: a page that did not
    // push it out of view (a short one, a tall window) loads the next.
    moreObserver.unobserve(more);
    moreObserver.observe(more);
  }
  more.observed = waiting;
}

// Shown or not: remembered per agent in this browser; supervisors see
// them by default, agents focus on their own chats until they ask.
export function othersPreference() {
  try {
    var raw = window.localStorage.getItem(storageKey("others"));
    return raw === null ? null : raw === "1";
  } catch (e) {
    return null;
  }
}

export function setOthersShown(shown, remember) {
  var changed = state.othersShown !== shown;
  state.othersShown = shown;
  if (remember) {
    try {
      window.localStorage.setItem(storageKey("others"), shown ? "1" : "0");
    } catch (e) {
      // Private mode: shown for this page only.
    }
  }
  sections.others.toggle.setAttribute("aria-expanded", shown ? "true" : "false");
  if (changed && state.ready && !state.supervisor) {
    send({ type: "watch", others: shown });
  }
  renderInbox();
}

export function scheduleInboxRender() {
  if (!state.inboxTimer) {
    state.inboxTimer = setTimeout(function () {
      state.inboxTimer = null;
      renderInbox();
    }, 30);
  }
}
