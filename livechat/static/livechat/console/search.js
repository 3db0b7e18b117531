// Searching chats from the inbox: the box, result pages, results list.
import { send } from "./connection.js";
import { MORE_PAGE_SIZE } from "./constants.js";
import { els } from "./dom.js";
import { fmt } from "./format.js";
import { buildEntry, moreObserver, sections, updateEntry } from "./inbox.js";
import { groupOf, state } from "./store.js";
import { S } from "./strings.js";

// The box lists, instead of the sections, the chats that match: newest
// first, a page at a time like the sections. A reply to an older search
// (the agent typed on) is dropped.
export var searchTimer = null;

export function startSearch(text) {
  var q = text.trim();
  if (q.length < 2 && !/^\d+$/.test(q)) {
    q = ""; // a search is 2 characters or more, or a chat's number
  }
  var search = state.search;
  if (q === search.q && (q === "" || search.loading || search.results.length)) {
    return;
  }
  search.q = q;
  search.results = [];
  search.next = null;
  search.loading = !!q;
  search.error = "";
  if (q && state.ready) {
    send({ type: "inbox", section: "search", q: q });
  }
  renderSearch();
}

export function moreResults() {
  var search = state.search;
  if (!search.q || !search.next || search.loading || !state.ready) {
    return;
  }
  search.loading = true;
  search.error = "";
  send({ type: "inbox", section: "search", q: search.q, after: search.next, limit: MORE_PAGE_SIZE });
  renderSearch();
}

export function onSearchPage(frame) {
  var search = state.search;
  if (frame.q !== search.q) {
    return;
  }
  var known = new Set(
    search.results.map(function (summary) {
      return summary.id;
    })
  );
  frame.conversations.forEach(function (summary) {
    if (summary && typeof summary.id === "number" && !known.has(summary.id)) {
      search.results.push(summary);
    }
  });
  search.next = typeof frame.next === "string" && frame.next ? frame.next : null;
  search.loading = false;
  renderSearch();
}

// The server refused the search (too many, a query it cannot read): the wait
// ends and says why; typing again, or "Show more", asks again. False when no
// search was waiting.
export function searchFailed(message) {
  var search = state.search;
  if (!search.q || !search.loading) {
    return false;
  }
  search.loading = false;
  search.error = message;
  renderSearch();
  return true;
}

export function renderSearch() {
  if (!els.results) {
    return;
  }
  var search = state.search;
  var searching = search.q !== "";
  els.results.hidden = !searching;
  Object.keys(sections).forEach(function (key) {
    sections[key].section.hidden = searching;
  });
  var seen = new Set();
  search.results.forEach(function (result, index) {
    // The inbox's copy is the live one where it has one.
    var summary = state.summaries.get(result.id) || result;
    seen.add(summary.id);
    var entry = search.entries.get(summary.id);
    if (!entry) {
      entry = buildEntry(summary.id);
      search.entries.set(summary.id, entry);
    }
    updateEntry(entry, summary, groupOf(summary) || "closed");
    if (els.resultsList.children[index] !== entry.item) {
      els.resultsList.insertBefore(entry.item, els.resultsList.children[index] || null);
    }
  });
  search.entries.forEach(function (entry, id) {
    if (!seen.has(id)) {
      entry.item.remove();
      search.entries.delete(id);
    }
  });
  var count = search.results.length;
  els.resultsCount.textContent = search.loading && !count ? "" : "(" + count + (search.next ? "+" : "") + ")";
  var status = search.error ? fmt(S.error, { message: search.error }) : search.loading ? S.searching : "";
  if (els.resultsStatus.textContent !== status) {
    els.resultsStatus.textContent = status;
  }
  els.resultsStatus.classList.toggle("livechat-inbox__status--error", !!search.error);
  els.resultsEmpty.hidden = !searching || search.loading || !!search.error || count > 0;
  els.resultsMore.hidden = !search.next;
  els.resultsMore.disabled = search.loading;
  els.resultsMore.textContent = search.loading ? S.loading_more : S.show_more;
  if (moreObserver && search.next && !search.loading) {
    moreObserver.unobserve(els.resultsMore);
    moreObserver.observe(els.resultsMore);
  }
}

// Runs once at boot: the search box.
export function initSearch() {
  if (els.search) {
    els.search.addEventListener("submit", function (event) {
      event.preventDefault();
      clearTimeout(searchTimer);
      startSearch(els.searchInput.value);
    });
    els.searchInput.addEventListener("input", function () {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(function () {
        startSearch(els.searchInput.value);
      }, 300);
    });
    els.searchInput.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && els.searchInput.value) {
        event.preventDefault();
        els.searchInput.value = "";
        startSearch("");
      }
    });
    els.resultsMore.addEventListener("click", function () {
      moreResults();
    });
  }
}
