// Per-agent sessionStorage: tabs, drafts and outboxes that survive a reload.
import { config } from "./dom.js";
import { state } from "./store.js";

export function storageKey(name) {
  return "livechat.console." + config.agentId + "." + name;
}

export function load(name, fallback) {
  try {
    var raw = window.sessionStorage.getItem(storageKey(name));
    return raw ? JSON.parse(raw) : fallback;
  } catch (e) {
    return fallback;
  }
}

export function save(name, value) {
  try {
    window.sessionStorage.setItem(storageKey(name), JSON.stringify(value));
  } catch (e) {
    // Private mode or a full quota: the in-memory copy still works.
  }
}

export function saveTabs() {
  save("tabs", { tabs: state.tabs, active: state.active });
}

export var draftTimer = null;

export function saveDrafts() {
  clearTimeout(draftTimer);
  draftTimer = setTimeout(function () {
    save("drafts", state.drafts);
  }, 300);
}
