// The inbox: its sections, their entries, the waiting clocks and the page title count.
import { maybeMarkRead } from "./conversation.js";
import { ratingNode, tagLabel, updatePanel } from "./details.js";
import { el, els } from "./dom.js";
import { fmt, formatDuration, formatTime, shortPage, statusText, unreadText } from "./format.js";
import { loadMore, renderMore, setOthersShown } from "./paging.js";
import { moreResults, renderSearch } from "./search.js";
import { attentionOf, groups, isMine, shownUnread, state, unreadOf, waitedMs } from "./store.js";
import { S } from "./strings.js";
import { openConversation } from "./tabs.js";

export var sections = {};

export var moreObserver =
  "IntersectionObserver" in window
    ? new IntersectionObserver(
        function (entries) {
          entries.forEach(function (entry) {
            if (entry.isIntersecting && entry.target === els.resultsMore) {
              moreResults();
            } else if (entry.isIntersecting) {
              loadMore(entry.target.getAttribute("data-section"));
            }
          });
        },
        { rootMargin: "200px" }
      )
    : null;

export function buildEntry(id) {
  var entry = {
    name: el("span", { className: "livechat-entry__name" }),
    meta: el("span", { className: "livechat-entry__meta" }),
    preview: el("span", { className: "livechat-entry__preview" }),
    page: el("span", { className: "livechat-entry__page" }),
    badge: el("span", { className: "livechat-badge" }),
    tag: el("span", { className: "livechat-tag livechat-tag--offline", text: S.offline_message, hidden: true }),
    longTag: el("span", { className: "livechat-tag livechat-tag--long", text: S.waiting_long, hidden: true }),
    transferTag: el("span", { className: "livechat-tag livechat-tag--transferred", text: S.transferred_tag, hidden: true }),
    rating: el("span", { className: "livechat-entry__rating", hidden: true }),
    snoozedTag: el("span", { className: "livechat-tag livechat-tag--snoozed", text: S.snoozed, hidden: true }),
  };
  entry.button = el(
    "button",
    {
      type: "button",
      className: "livechat-entry",
      "data-conversation": id,
      onclick: function () {
        openConversation(id);
      },
    },
    el("span", { className: "livechat-entry__top" }, entry.name, entry.tag, entry.longTag, entry.transferTag, entry.snoozedTag, entry.badge),
    entry.meta,
    entry.preview,
    entry.page,
    entry.rating
  );
  entry.item = el("li", null, entry.button);
  return entry;
}

export function updateEntry(entry, summary, group) {
  // What the entry shows, in one string: an entry showing it already is
  // left alone (thousands of them re-render on every change; the waiting
  // times tick on their own).
  var visitorOf = summary.visitor || {};
  var stamp = [
    group,
    state.active === summary.id,
    state.transferred.has(summary.id),
    summary.status,
    summary.agent ? summary.agent.id + ":" + summary.agent.name : "",
    summary.last_seq,
    summary.agent_read_seq,
    summary.preview,
    summary.source,
    summary.rating,
    summary.rating_comment,
    summary.close_tag,
    summary.closed_at,
    summary.created,
    !!summary.snoozed,
    visitorOf.name,
    visitorOf.current_page,
  ].join("\u0000");
  if (entry.summary === summary && entry.stamp === stamp && entry.tags === state.closeTags) {
    return;
  }
  entry.stamp = stamp;
  entry.tags = state.closeTags;
  var visitor = summary.visitor || {};
  entry.name.textContent = visitor.name || "#" + summary.id;
  entry.summary = summary;
  entry.group = group;
  var mine = isMine(summary);
  if (group === "waiting" || group === "missed") {
    updateWaited(entry);
  } else if (group === "mine" || group === "others") {
    entry.meta.textContent = mine ? S.mine : summary.agent ? fmt(S.assigned_to, { name: summary.agent.name }) : S.unassigned;
  } else {
    var tag = tagLabel(summary.close_tag);
    entry.meta.textContent =
      statusText(summary.status) + (summary.closed_at ? " · " + formatTime(summary.closed_at) : "") + (tag ? " · " + tag : "");
  }
  entry.preview.textContent = summary.preview || "";
  entry.preview.hidden = !summary.preview;
  var page = visitor.current_page;
  entry.page.textContent = page ? fmt(S.on_page, { page: shortPage(page) }) : "";
  entry.page.hidden = !page;
  entry.tag.hidden = summary.source !== "offline";
  var ratingKey = (summary.rating || "") + "|" + (summary.rating_comment || "");
  if (entry.ratingKey !== ratingKey) {
    entry.ratingKey = ratingKey;
    entry.rating.textContent = "";
    var rated = ratingNode(summary.rating);
    var comment = typeof summary.rating_comment === "string" ? summary.rating_comment.trim() : "";
    if (rated) {
      entry.rating.append(el("span", { className: "visually-hidden", text: S.rating + ": " }), rated);
      if (comment) {
        entry.rating.append(" · ", el("span", { className: "livechat-entry__comment", text: fmt(S.rating_comment, { comment: comment }) }));
      }
    }
    entry.rating.title = rated && comment ? comment : "";
    entry.rating.hidden = !rated;
  }
  entry.transferTag.hidden = !state.transferred.has(summary.id);
  entry.snoozedTag.hidden = !summary.snoozed;
  var unread = shownUnread(summary);
  entry.badge.textContent = "";
  entry.badge.hidden = unread === 0;
  if (unread) {
    entry.badge.append(
      el("span", { "aria-hidden": "true", text: String(unread) }),
      el("span", { className: "visually-hidden", text: unreadText(unread) })
    );
  }
  entry.button.className =
    "livechat-entry livechat-entry--" +
    group +
    (mine ? " livechat-entry--mine" : "") +
    (unread ? " livechat-entry--unread" : "") +
    (entry.long ? " livechat-entry--long" : "") +
    (state.transferred.has(summary.id) ? " livechat-entry--transferred" : "") +
    (summary.snoozed ? " livechat-entry--snoozed" : "");
  if (state.active === summary.id) {
    entry.button.setAttribute("aria-current", "true");
  } else {
    entry.button.removeAttribute("aria-current");
  }
}

// The live "waiting 2:13", and past long_wait_seconds a highlight that says
// so in words too ("waiting long"), not by colour alone.
export function updateWaited(entry) {
  var summary = entry.summary;
  var ms = waitedMs(summary);
  var time = formatDuration(ms);
  entry.meta.textContent = summary.status === "missed" ? fmt(S.missed_since, { time: time }) : fmt(S.waited, { time: time });
  var long = ms >= state.longWaitMs && !summary.agent;
  if (long !== !!entry.long) {
    entry.long = long;
    entry.longTag.hidden = !long;
    entry.button.classList.toggle("livechat-entry--long", long);
  }
}

export function renderInbox() {
  clearTimeout(state.inboxTimer);
  state.inboxTimer = null;
  var focused = document.activeElement;
  var focusedId = focused && els.inbox.contains(focused) ? focused.getAttribute("data-conversation") : null;
  var grouped = groups();
  var seen = new Set();
  Object.keys(sections).forEach(function (key) {
    var section = sections[key];
    var summaries = grouped[key];
    summaries.forEach(function (summary, index) {
      seen.add(summary.id);
      var entry = state.inboxEntries.get(summary.id);
      if (!entry) {
        entry = buildEntry(summary.id);
        state.inboxEntries.set(summary.id, entry);
      }
      updateEntry(entry, summary, key);
      // Move only what is out of place, so a focused button rarely leaves the DOM.
      if (section.list.children[index] !== entry.item) {
        section.list.insertBefore(entry.item, section.list.children[index] || null);
      }
    });
    var collapsed = key === "others" && !state.othersShown;
    section.list.hidden = collapsed;
    section.empty.hidden = collapsed || summaries.length > 0 || sectionCount(key, grouped) > 0;
    renderMore(key);
  });
  state.inboxEntries.forEach(function (entry, id) {
    if (!seen.has(id)) {
      entry.item.remove();
      state.inboxEntries.delete(id);
    }
  });
  if (focusedId && document.activeElement !== focused) {
    var again = state.inboxEntries.get(Number(focusedId));
    if (again) {
      again.button.focus();
    }
  }
  Object.keys(sections).forEach(function (key) {
    var unread = 0;
    grouped[key].forEach(function (summary) {
      unread += key === "closed" ? 0 : attentionOf(summary);
    });
    var text = "(" + sectionCount(key, grouped) + ")";
    if (unread && (key === "mine" || (key === "others" && state.othersShown))) {
      text += " · " + fmt(S.unread_total, { count: unread });
    }
    sections[key].count.textContent = text;
  });
  updateTitle(grouped);
  if (state.search.q) {
    renderSearch();
  }
  state.tabs.forEach(function (id) {
    updatePanel(state.views.get(id));
  });
}

// How many a section lists: those loaded when it is all loaded, else the
// server's count (kept fresh by inbox_counts) of them all.
export function sectionCount(key, grouped) {
  var info = state.sectionInfo[key];
  var shown = grouped[key].length;
  return info && info.next ? Math.max(info.count || 0, shown) : shown;
}

// "(3) Live console": shoppers waiting for anyone, plus unread messages in
// this agent's own chats, so a background tab still says something is up.
export function updateTitle(grouped) {
  var count = sectionCount("waiting", grouped) + sectionCount("missed", grouped);
  grouped.mine.forEach(function (summary) {
    count += attentionOf(summary);
  });
  var title = (count ? "(" + count + ") " : "") + state.baseTitle;
  if (document.title !== title) {
    document.title = title;
  }
}

// Runs once at boot: the sections' parts, paging as they scroll, the waiting clocks, read marks on return.
export function initInbox() {
  // The sections are in the page (console.html); their parts are found here.
  Array.prototype.forEach.call(els.inbox.querySelectorAll("section[data-section]"), function (section) {
    var key = section.getAttribute("data-section");
    var find = function (name) {
      return section.querySelector("[data-part=" + name + "]");
    };
    var parts = { section: section, list: find("list"), count: find("count"), empty: find("empty"), toggle: find("toggle"), more: find("more") };
    // The next page of a long section: loads by itself once scrolled into
    // view, and is a button for keyboards and screen readers.
    parts.more.addEventListener("click", function () {
      loadMore(key);
    });
    if (parts.toggle) {
      parts.toggle.addEventListener("click", function () {
        setOthersShown(!state.othersShown, true);
      });
    }
    sections[key] = parts;
  });

  Object.keys(sections).forEach(function (key) {
    if (moreObserver) {
      moreObserver.observe(sections[key].more);
    }
  });

  // The waiting times tick without rebuilding anything else.
  setInterval(function () {
    state.inboxEntries.forEach(function (entry) {
      if (entry.group === "waiting" || entry.group === "missed") {
        updateWaited(entry);
      }
    });
  }, 1000);

  document.addEventListener("visibilitychange", function () {
    var view = state.active !== null ? state.views.get(state.active) : null;
    if (view) {
      maybeMarkRead(view);
    }
  });

  window.addEventListener("focus", function () {
    var view = state.active !== null ? state.views.get(state.active) : null;
    if (view) {
      maybeMarkRead(view);
    }
  });
}
