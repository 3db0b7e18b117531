// Saved replies managed from the console: the dialog listing them, creating, editing, deleting.
import { send } from "./connection.js";
import { el, root } from "./dom.js";
import { fmt } from "./format.js";
import { state } from "./store.js";
import { S } from "./strings.js";

function find(role) {
  return root ? root.querySelector("[data-role=" + role + "]") : null;
}

var ui = {};
// The reply being edited (null: a new one), and the save or delete awaiting its answer.
var editing = null;
var pending = null;
var opener = null;
var CLIENT_PREFIX = "canned-";

function manageShared() {
  return !!(root && root.dataset.manageSharedReplies);
}

function mayChange(reply) {
  return reply.owner === null || reply.owner === undefined ? manageShared() : reply.owner === state.me.id;
}

function titleOf(reply) {
  return reply.title || reply.shortcut || "#" + reply.id;
}

function setStatus(text) {
  ui.status.textContent = text;
}

function renderList() {
  if (!ui.dialog || !ui.dialog.open) {
    return;
  }
  var hadFocus = ui.list.contains(document.activeElement);
  ui.list.textContent = "";
  var replies = state.canned.slice().sort(function (a, b) {
    // The agent's own first, then by title.
    return (a.owner === state.me.id ? 0 : 1) - (b.owner === state.me.id ? 0 : 1) || titleOf(a).localeCompare(titleOf(b));
  });
  replies.forEach(function (reply) {
    var title = titleOf(reply);
    var own = reply.owner === state.me.id;
    var buttons = mayChange(reply)
      ? el(
          "span",
          { className: "livechat-replies__buttons" },
          el("button", {
            type: "button",
            className: "button livechat-button livechat-button--quiet",
            text: fmt(S.canned_edit, { title: title }),
            onclick: function () {
              startEdit(reply);
            },
          }),
          el("button", {
            type: "button",
            className: "button livechat-button livechat-button--quiet",
            text: fmt(S.canned_delete, { title: title }),
            onclick: function () {
              remove(reply);
            },
          })
        )
      : null;
    ui.list.append(
      el(
        "li",
        { className: "livechat-replies__item" },
        el(
          "span",
          { className: "livechat-replies__head" },
          el("span", { className: "livechat-replies__title", text: title }),
          reply.shortcut ? el("span", { className: "livechat-canned__shortcut", text: "/" + reply.shortcut }) : null,
          reply.language ? el("span", { className: "livechat-tag", text: reply.language }) : null,
          el("span", { className: "livechat-tag", text: own ? S.canned_own : S.canned_shared })
        ),
        el("span", { className: "livechat-replies__body", text: String(reply.body || "").slice(0, 200) }),
        buttons
      )
    );
  });
  if (!replies.length) {
    ui.list.append(el("li", { className: "livechat-replies__empty", text: S.canned_empty }));
  }
  if (hadFocus && !ui.list.contains(document.activeElement)) {
    ui.title.focus();
  }
}

function fillForm(reply, body) {
  editing = reply;
  ui.formTitle.textContent = reply ? fmt(S.canned_edit_title, { title: titleOf(reply) }) : S.canned_new;
  ui.title.value = reply ? reply.title || "" : "";
  ui.shortcut.value = reply ? reply.shortcut || "" : "";
  ui.language.value = reply ? reply.language || "" : "";
  ui.body.value = reply ? reply.body || "" : body || "";
  // Sharing is chosen once, when the reply is made.
  ui.sharedBox.hidden = !!reply || !manageShared();
  ui.shared.checked = false;
  ui.error.textContent = "";
}

function startEdit(reply) {
  fillForm(reply);
  ui.title.focus();
}

// Opens the dialog; body: a sent message's text to save as a new reply.
export function openCannedEditor(from, body) {
  if (!ui.dialog || typeof ui.dialog.showModal !== "function" || ui.dialog.open) {
    return;
  }
  opener = from || null;
  setStatus("");
  fillForm(null, body);
  ui.dialog.showModal();
  renderList();
  ui.title.focus();
}

function clientId() {
  return CLIENT_PREFIX + Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
}

function submit(event) {
  event.preventDefault();
  if (pending) {
    return;
  }
  var title = ui.title.value.trim();
  var body = ui.body.value.trim();
  if (!title) {
    ui.error.textContent = ui.title.validationMessage;
    ui.title.focus();
    return;
  }
  if (!body) {
    ui.error.textContent = ui.body.validationMessage;
    ui.body.focus();
    return;
  }
  var frame = {
    type: "canned_save",
    client_id: clientId(),
    title: title,
    shortcut: ui.shortcut.value.trim(),
    language: ui.language.value.trim(),
    body: body,
  };
  if (editing) {
    frame.id = editing.id;
  } else {
    frame.shared = !ui.sharedBox.hidden && ui.shared.checked;
  }
  if (!state.ready || !send(frame)) {
    ui.error.textContent = fmt(S.error, { message: S.queued });
    return;
  }
  pending = { client_id: frame.client_id };
  ui.error.textContent = "";
  ui.submit.disabled = true;
}

function remove(reply) {
  if (pending || !window.confirm(fmt(S.canned_delete_confirm, { title: titleOf(reply) }))) {
    return;
  }
  var frame = { type: "canned_delete", id: reply.id, client_id: clientId() };
  if (!state.ready || !send(frame)) {
    ui.error.textContent = fmt(S.error, { message: S.queued });
    return;
  }
  pending = { client_id: frame.client_id };
}

function settle(frame) {
  if (!pending || frame.client_id !== pending.client_id) {
    return false;
  }
  pending = null;
  ui.submit.disabled = false;
  return true;
}

// {"type": "canned"}: a scope's whole list after a change (docs/protocol.md).
export function onCanned(frame) {
  if (!Array.isArray(frame.replies) || (frame.scope !== "own" && frame.scope !== "shared")) {
    return;
  }
  var own = frame.scope === "own";
  state.canned = state.canned
    .filter(function (reply) {
      return own ? reply.owner === null || reply.owner === undefined : reply.owner !== null && reply.owner !== undefined;
    })
    .concat(
      frame.replies.filter(function (reply) {
        return reply && typeof reply.body === "string";
      })
    );
  renderList();
}

export function onCannedSaved(frame) {
  if (settle(frame)) {
    setStatus(S.canned_saved);
    fillForm(null);
    ui.title.focus();
  }
}

export function onCannedDeleted(frame) {
  if (editing && editing.id === frame.id) {
    fillForm(null);
  }
  if (settle(frame)) {
    setStatus(S.canned_deleted);
  }
}

// A refused save or delete: said in the dialog. True when it was one.
export function cannedRefused(frame) {
  var ours = typeof frame.client_id === "string" && frame.client_id.indexOf(CLIENT_PREFIX) === 0;
  if (!ours && frame.for !== "canned_save" && frame.for !== "canned_delete") {
    return false;
  }
  settle(frame);
  var text = frame.message || frame.code || "";
  if (frame.code === "duplicate") {
    text = S.canned_duplicate;
  } else if (frame.code === "forbidden") {
    text = S.canned_forbidden;
  } else if (frame.code === "invalid" && frame.fields && typeof frame.fields === "object") {
    text = Object.keys(frame.fields)
      .map(function (key) {
        return frame.fields[key];
      })
      .join(" ");
  }
  if (ui.dialog && ui.dialog.open) {
    ui.error.textContent = fmt(S.error, { message: text });
    return true;
  }
  return false;
}

// A "Save as reply" button for a sent message (transcript.js).
export function saveAsReplyButton(message) {
  return el("button", {
    type: "button",
    className: "livechat-link-button livechat-msg__save",
    text: S.save_as_reply,
    title: S.save_as_reply_title,
    onclick: function (event) {
      openCannedEditor(event.currentTarget, String(message.body || ""));
    },
  });
}

// Runs once at boot: the dialog's parts and events.
export function initCannedEditor() {
  ui = {
    open: find("canned-open"),
    dialog: find("canned-dialog"),
    list: find("canned-replies"),
    form: find("canned-form"),
    formTitle: find("canned-form-title"),
    title: find("canned-title"),
    shortcut: find("canned-shortcut"),
    language: find("canned-language"),
    body: find("canned-body"),
    shared: find("canned-shared"),
    sharedBox: find("canned-shared-box"),
    error: find("canned-error"),
    submit: find("canned-submit"),
    status: find("canned-status"),
    reset: find("canned-new"),
  };
  if (!ui.dialog || typeof ui.dialog.showModal !== "function") {
    if (ui.open) {
      ui.open.hidden = true;
    }
    return;
  }
  ui.open.addEventListener("click", function () {
    openCannedEditor(ui.open);
  });
  ui.form.addEventListener("submit", submit);
  ui.reset.addEventListener("click", function () {
    fillForm(null);
    ui.title.focus();
  });
  ui.dialog.querySelector("[data-role=dialog-cancel]").addEventListener("click", function () {
    ui.dialog.close();
  });
  ui.dialog.addEventListener("close", function () {
    pending = null;
    ui.submit.disabled = false;
    // Back where the agent was.
    if (opener && document.contains(opener)) {
      opener.focus();
    }
    opener = null;
  });
}
