// The outboxes of replies and notes not yet acknowledged, kept across reloads.
import { send } from "./connection.js";
import { save } from "./storage.js";
import { findNote, findOutbox, state } from "./store.js";
import { renderPendingAll } from "./transcript.js";

export function newClientId() {
  var cryptoObj = window.crypto;
  if (cryptoObj && typeof cryptoObj.randomUUID === "function") {
    return cryptoObj.randomUUID();
  }
  if (cryptoObj && typeof cryptoObj.getRandomValues === "function") {
    var bytes = new Uint8Array(16);
    cryptoObj.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return (b + 256).toString(16).slice(1);
      })
      .join("");
  }
  return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 14);
}

export function saveOutbox() {
  save(
    "outbox",
    state.outbox.map(function (item) {
      return {
        client_id: item.client_id,
        conversation: item.conversation,
        body: item.body,
        created: item.created,
      };
    })
  );
}

export function removeFromOutbox(clientId) {
  var item = findOutbox(clientId);
  if (item) {
    state.outbox.splice(state.outbox.indexOf(item), 1);
    clearTimeout(item.retryTimer);
    saveOutbox();
  }
  return item;
}

export function sendOutboxItem(item) {
  item.sending = state.ready && send({
    type: "message",
    conversation: item.conversation,
    client_id: item.client_id,
    body: item.body,
  });
  var view = state.views.get(item.conversation);
  if (view) {
    renderPendingAll(view);
  }
}

export function saveNoteOutbox() {
  save(
    "notes",
    state.noteOutbox.map(function (item) {
      return { client_id: item.client_id, conversation: item.conversation, body: item.body, created: item.created };
    })
  );
}

export function removeNote(clientId) {
  var item = findNote(clientId);
  if (item) {
    state.noteOutbox.splice(state.noteOutbox.indexOf(item), 1);
    clearTimeout(item.retryTimer);
    saveNoteOutbox();
  }
  return item;
}

export function sendNoteItem(item) {
  item.sending =
    state.ready &&
    send({ type: "note", conversation: item.conversation, client_id: item.client_id, body: item.body });
  var view = state.views.get(item.conversation);
  if (view) {
    renderPendingAll(view);
  }
}
