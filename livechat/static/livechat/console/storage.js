// Per-agent sessionStorage: tabs, drafts and outboxes that survive a reload.
import { jsonStore, webStorage } from "../shared/storage.js";
import { config } from "./dom.js";
import { state } from "./store.js";

export function storageKey(name) {
  return "livechat.console." + config.agentId + "." + name;
}

// JSON that never throws (private mode, a full quota): the in-memory copy still works.
var store = jsonStore(webStorage("sessionStorage"));

export function load(name, fallback) {
  return store.get(storageKey(name), fallback);
}

export function save(name, value) {
  store.set(storageKey(name), value);
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
