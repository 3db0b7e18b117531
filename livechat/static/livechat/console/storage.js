// Per-agent sessionStorage: tabs, drafts and outboxes that survive a reload.
import { jsonStore, webStorage } from "../shared/storage.js";
import { config } from "./dom.js";
import { state } from "./store.js";

export function storageKey(name) {
  return "livechat.console." + config.agentId + "." + name;
}

// JSON that never throws (private mode, a full quota), read through an
// in-memory copy: what storage refuses still works until the page is left.
var backend = jsonStore(webStorage("sessionStorage"));
var memory = new Map();

export var store = {
  get: function (key, fallback) {
    return memory.has(key) ? memory.get(key) ?? fallback : backend.get(key, fallback);
  },
  set: function (key, value) {
    memory.set(key, value);
    backend.set(key, value);
  },
};

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
