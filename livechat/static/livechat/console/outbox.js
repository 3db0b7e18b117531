// The outboxes of replies and notes not yet acknowledged, kept across reloads.
// Client ids are the shared client's (shared/outbox.js), the widget's too.
import { newClientId } from "../shared/outbox.js";
import { send } from "./connection.js";
import { save } from "./storage.js";
import { findNote, findOutbox, state } from "./store.js";
import { renderPendingAll } from "./transcript.js";

export { newClientId };

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
