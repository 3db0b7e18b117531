// Open conversations as tabs: open, select, close, keyboard.
import { stopTyping } from "./composer.js";
import { send } from "./connection.js";
import { getView, maybeMarkRead, sendOpen } from "./conversation.js";
import { updatePanel } from "./details.js";
import { els } from "./dom.js";
import { focusComposer } from "./keyboard.js";
import { scheduleInboxRender } from "./paging.js";
import { buildPanel } from "./panel.js";
import { saveTabs } from "./storage.js";
import { state } from "./store.js";
import { scrollIfSticky } from "./transcript.js";

// background: open the tab without switching to it (a transfer arriving while
// the agent types elsewhere must not take their place).
export function openConversation(id, background) {
  if (typeof id !== "number" || !isFinite(id)) {
    return;
  }
  var view = getView(id);
  if (state.tabs.indexOf(id) === -1) {
    state.tabs.push(id);
    buildPanel(view);
  } else if (!view.dom) {
    buildPanel(view);
  }
  if (!background || state.active === null) {
    selectTab(id);
    if (!background) {
      focusComposer(view);
    }
  } else {
    els.empty.hidden = true;
    updatePanel(view);
  }
  if (state.ready && !view.joined) {
    sendOpen(view);
  }
  saveTabs();
}

export function selectTab(id, focusTab) {
  var previous = state.active !== null ? state.views.get(state.active) : null;
  if (previous && previous.id !== id) {
    stopTyping(previous);
  }
  state.active = id;
  state.tabs.forEach(function (tabId) {
    var view = state.views.get(tabId);
    if (!view || !view.dom) {
      return;
    }
    var selected = tabId === id;
    view.dom.tab.setAttribute("aria-selected", selected ? "true" : "false");
    view.dom.tab.tabIndex = selected ? 0 : -1;
    view.dom.panel.hidden = !selected;
    updatePanel(view);
  });
  els.empty.hidden = state.tabs.length > 0;
  var current = state.views.get(id);
  if (state.transferred.delete(id) && current && current.dom) {
    updatePanel(current);
  }
  if (current && current.dom) {
    scrollIfSticky(current);
    maybeMarkRead(current);
    if (focusTab) {
      current.dom.tab.focus();
    }
  }
  saveTabs();
  scheduleInboxRender();
}

export function closeTab(id) {
  var index = state.tabs.indexOf(id);
  if (index === -1) {
    return;
  }
  var view = state.views.get(id);
  stopTyping(view);
  if (view.joined) {
    send({ type: "leave", conversation: id });
  }
  view.joined = false;
  view.loading = false;
  view.dom.tab.remove();
  view.dom.panel.remove();
  view.dom = null;
  state.tabs.splice(index, 1);
  if (state.active === id) {
    state.active = null;
    var next = state.tabs[Math.min(index, state.tabs.length - 1)];
    if (next !== undefined) {
      selectTab(next, true);
    }
  }
  els.empty.hidden = state.tabs.length > 0;
  if (!state.tabs.length) {
    var entry = state.inboxEntries.get(id);
    if (entry) {
      entry.button.focus();
    }
  }
  saveTabs();
  scheduleInboxRender();
}

export function onTabKeydown(event) {
  var index = state.tabs.indexOf(state.active);
  var next = null;
  if (event.key === "ArrowRight" || event.key === "ArrowDown") {
    next = state.tabs[(index + 1) % state.tabs.length];
  } else if (event.key === "ArrowLeft" || event.key === "ArrowUp") {
    next = state.tabs[(index - 1 + state.tabs.length) % state.tabs.length];
  } else if (event.key === "Home") {
    next = state.tabs[0];
  } else if (event.key === "End") {
    next = state.tabs[state.tabs.length - 1];
  } else if (event.key === "Delete") {
    event.preventDefault();
    closeTab(state.active);
    return;
  }
  if (next !== null && next !== undefined) {
    event.preventDefault();
    selectTab(next, true);
  }
}

