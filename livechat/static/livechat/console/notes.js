// Internal notes: submit, show, acknowledge, refuse.
import { RETRY_RETRIABLE_MS } from "./constants.js";
import { newClientId, removeNote, saveNoteOutbox, sendNoteItem } from "./outbox.js";
import { saveDrafts } from "./storage.js";
import { findNote, state } from "./store.js";
import { renderNote, renderPendingAll, scrollIfSticky } from "./transcript.js";

export function submitNote(view, body) {
  var item = {
    client_id: newClientId(),
    conversation: view.id,
    body: body,
    created: new Date().toISOString(),
  };
  state.noteOutbox.push(item);
  saveNoteOutbox();
  view.dom.textarea.value = "";
  delete state.drafts[view.id];
  saveDrafts();
  view.stickToBottom = true;
  sendNoteItem(item);
  scrollIfSticky(view);
}

export function addNote(view, note) {
  if (!note || typeof note.id !== "number") {
    return;
  }
  var known = view.notes.get(note.id);
  if (known && known.created === note.created) {
    return; // a replay after a reconnect: already shown
  }
  view.notes.set(note.id, note);
  if (note.client_id) {
    removeNote(note.client_id);
  }
  renderNote(view, note);
}

export function onNote(note) {
  if (!note || typeof note.id !== "number") {
    return;
  }
  var view = state.views.get(note.conversation);
  if (!view) {
    return;
  }
  addNote(view, note);
  renderPendingAll(view);
  scrollIfSticky(view);
}

export function onNoteAck(frame) {
  var item = removeNote(frame.client_id);
  var view = state.views.get(frame.conversation);
  if (!view) {
    return;
  }
  if (item && typeof frame.id === "number" && !view.notes.has(frame.id)) {
    // The note frame may be lost like any broadcast; the ack is enough.
    addNote(view, {
      id: frame.id,
      conversation: frame.conversation,
      author: { id: state.me.id, name: state.me.name },
      body: item.body,
      client_id: item.client_id,
      created: item.created,
    });
  }
  renderPendingAll(view);
  scrollIfSticky(view);
}

export function noteRefused(item, frame) {
  var message = frame.message || frame.code || "";
  var view = state.views.get(item.conversation);
  if (frame.retriable) {
    item.error = message;
    clearTimeout(item.retryTimer);
    item.retryTimer = setTimeout(function () {
      if (findNote(item.client_id)) {
        sendNoteItem(item);
      }
    }, RETRY_RETRIABLE_MS);
  } else {
    removeNote(item.client_id);
    item.failed = message;
    item.note = true;
    if (view) {
      view.failed.push(item);
    }
  }
  if (view) {
    renderPendingAll(view);
  }
}

