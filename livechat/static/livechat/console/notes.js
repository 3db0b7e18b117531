// Internal notes: submit, show, acknowledge.
// Same rules as replies: a `note` frame kept in the one outbox until its
// note_ack, sent again with its client id (the server stores each one once).
import { post } from "./connection.js";
import { newClientId, outbox } from "./outbox.js";
import { saveDrafts } from "./storage.js";
import { state } from "./store.js";
import { renderNote, renderPendingAll, scrollIfSticky } from "./transcript.js";

export function submitNote(view, body) {
  view.dom.textarea.value = "";
  delete state.drafts[view.id];
  saveDrafts();
  view.stickToBottom = true;
  post({ type: "note", client_id: newClientId(), conversation: view.id, body: body, created: new Date().toISOString() });
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
    outbox.remove(note.client_id);
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
  var item = outbox.find(frame.client_id);
  outbox.remove(frame.client_id);
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
