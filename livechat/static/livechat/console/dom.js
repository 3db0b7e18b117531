// The console's root element, its settings (data attributes), its fixed elements, and el().

export var root = document.getElementById("livechat-console");

function readConfig() {
  var data = root ? root.dataset : {};
  return {
    path: data.websocketPath || "/ws/livechat/agent/",
    agentId: Number(data.agentId) || 0,
    agentName: data.agentName || "",
    storeName: data.storeName || "",
    maxLength: Number(data.maxMessageLength) || 4000,
    recentClosed: Number(data.recentClosed) || 20,
    adminUrl: data.conversationAdminUrl || "",
    uploadUrl: data.uploadUrl || "",
    csrfToken: data.csrfToken || "",
    maxUpload: Number(data.maxUploadBytes) || 5 * 1024 * 1024,
    loginUrl: data.loginUrl || "",
  };
}

export var config = readConfig();

function find(role) {
  return root ? root.querySelector("[data-role=" + role + "]") : null;
}

export var els = {
  banner: find("banner"),
  alert: find("alert"),
  inbox: find("inbox"),
  search: find("search"),
  searchInput: find("search-input"),
  results: find("results"),
  resultsCount: find("results-count"),
  resultsList: find("results-list"),
  resultsEmpty: find("results-empty"),
  resultsMore: find("results-more"),
  tablist: find("tablist"),
  empty: find("empty"),
  panels: find("panels"),
  presence: find("presence"),
  presenceState: find("presence-state"),
  prefSound: find("pref-sound"),
  prefDesktop: find("pref-desktop"),
  enableNotifications: find("enable-notifications"),
  alertsState: find("alerts-state"),
  notices: find("notices"),
  announcer: find("announcer"),
  routing: find("routing"),
  agents: find("agents"),
  agentsBody: find("agents-body"),
  transferDialog: find("transfer-dialog"),
  transferForm: find("transfer-form"),
  transferTitle: find("transfer-title"),
  transferAgents: find("transfer-agents"),
  transferDepartments: find("transfer-departments"),
  transferDepartmentsGroup: find("transfer-departments-group"),
  transferNote: find("transfer-note"),
  transferError: find("transfer-error"),
  transferSubmit: find("transfer-submit"),
  closeDialog: find("close-dialog"),
  closeForm: find("close-form"),
  closeTitle: find("close-title"),
  closeTag: find("close-tag"),
  helpButton: find("help-button"),
  helpDialog: find("help-dialog"),
  helpClose: find("help-close"),
  resultsStatus: find("results-status"),
};

// Builds an element; string children become text nodes, so nothing is parsed as HTML.
export function el(tag, attrs) {
  var node = document.createElement(tag);
  if (attrs) {
    Object.keys(attrs).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) {
        return;
      }
      if (key === "className") {
        node.className = value;
      } else if (key === "text") {
        node.textContent = value;
      } else if (key === "hidden") {
        node.hidden = true;
      } else if (key.slice(0, 2) === "on") {
        node.addEventListener(key.slice(2), value);
      } else {
        node.setAttribute(key, value === true ? "" : String(value));
      }
    });
  }
  for (var i = 2; i < arguments.length; i++) {
    var child = arguments[i];
    if (child !== null && child !== undefined) {
      node.append(child);
    }
  }
  return node;
}

export function hasFiles(event) {
  var types = event.dataTransfer && event.dataTransfer.types;
  return !!types && Array.prototype.indexOf.call(types, "Files") !== -1;
}
