// Boot: reads the page's settings into the state, wires every part, restores tabs, connects.
import { showBanner } from "./banner.js";
import { initCannedEditor } from "./canned-editor.js";
import { connect, initConnection } from "./connection.js";
import { getView } from "./conversation.js";
import { initDialogs } from "./dialogs.js";
import { config, els, root } from "./dom.js";
import { initInbox, renderInbox } from "./inbox.js";
import { initKeyboard } from "./keyboard.js";
import { initNotifications, renderPreferences } from "./notifications.js";
import { initOutbox, outbox } from "./outbox.js";
import { buildPanel } from "./panel.js";
import { initPresence, renderPresence } from "./presence.js";
import { initSearch } from "./search.js";
import { load } from "./storage.js";
import { state } from "./store.js";
import { S } from "./strings.js";
import { selectTab } from "./tabs.js";

function start() {
  state.me = { id: config.agentId, name: config.agentName };
  state.drafts = load("drafts", {});
  state.baseTitle = document.title;
  state.presence = (els.presence && els.presence.getAttribute("data-presence")) || "online";
  state.recentClosed = config.recentClosed;

  initConnection();
  initPresence();
  initDialogs();
  initCannedEditor();
  initNotifications();
  initInbox();
  initSearch();
  initKeyboard();
  (function restore() {
    // Replies and notes not yet acknowledged when the page was left are sent
    // again after welcome, their chats open in tabs.
    initOutbox();
    var saved = load("tabs", {}) || {};
    var ids = (Array.isArray(saved.tabs) ? saved.tabs : []).filter(function (id) {
      return typeof id === "number";
    });
    outbox.items().forEach(function (item) {
      if (ids.indexOf(item.conversation) === -1) {
        ids.push(item.conversation);
      }
    });
    ids.forEach(function (id) {
      state.tabs.push(id);
      buildPanel(getView(id));
    });
    if (ids.length) {
      selectTab(ids.indexOf(saved.active) !== -1 ? saved.active : ids[0]);
    }
    els.empty.hidden = state.tabs.length > 0;
  })();

  renderInbox();
  renderPresence();
  renderPreferences();
  showBanner(S.connecting, "warning");
  connect();
}

if (root && document.getElementById("livechat-console-strings")) {
  start();
}
