// The composer: sending replies, typing signals, note mode and the read-only state.
import { post, send } from "./connection.js";
import { TYPING_IDLE_MS, TYPING_THROTTLE_MS } from "./constants.js";
import { updatePanel } from "./details.js";
import { config } from "./dom.js";
import { fmt } from "./format.js";
import { submitNote } from "./notes.js";
import { takeSource } from "./offers.js";
import { newClientId } from "./outbox.js";
import { closeCanned, updateCanned } from "./saved-replies.js";
import { saveDrafts } from "./storage.js";
import { handledByOther, isOpenStatus, state } from "./store.js";
import { S } from "./strings.js";
import { scrollIfSticky } from "./transcript.js";

export function submitReply(view) {
  var dom = view.dom;
  var body = dom.textarea.value.trim();
  if (!body) {
    return;
  }
  if (body.length > config.maxLength) {
    dom.composerError.textContent = fmt(S.too_long, { limit: config.maxLength });
    return;
  }
  if (!view.noteMode && handledByOther(state.summaries.get(view.id))) {
    return; // read-only: the composer says who has the chat
  }
  dom.composerError.textContent = "";
  closeCanned(view);
  if (view.noteMode) {
    takeSource(view, body); // a note is no offer and no saved reply sent
    submitNote(view, body);
    // One note at a time: the next words typed are a reply again, never a
    // reply kept from the shopper by a mode left on.
    setNoteMode(view, false);
    return;
  }
  var current = state.summaries.get(view.id);
  if (!current || !current.agent) {
    state.claiming.add(view.id); // the first reply takes the chat: no "assigned" alert
  }
  dom.textarea.value = "";
  delete state.drafts[view.id];
  saveDrafts();
  stopTyping(view);
  view.stickToBottom = true;
  post(
    Object.assign(
      { client_id: newClientId(), conversation: view.id, body: body, created: new Date().toISOString() },
      takeSource(view, body)
    )
  );
  scrollIfSticky(view);
}

export function onComposerInput(view) {
  var value = view.dom.textarea.value;
  if (value) {
    state.drafts[view.id] = value;
  } else {
    delete state.drafts[view.id];
    // An emptied reply box starts afresh: no offer or saved reply behind it.
    view.offer = view.cannedUsed = null;
  }
  saveDrafts();
  updateCanned(view);
  if (view.noteMode || !value.trim()) {
    stopTyping(view);
    return;
  }
  var now = Date.now();
  if (state.ready && isOpenStatus(view.id) && (!view.typingActive || now - view.typingSentAt > TYPING_THROTTLE_MS)) {
    view.typingActive = true;
    view.typingSentAt = now;
    send({ type: "typing", conversation: view.id, active: true });
  }
  clearTimeout(view.typingIdleTimer);
  view.typingIdleTimer = setTimeout(function () {
    stopTyping(view);
  }, TYPING_IDLE_MS);
}

export function stopTyping(view) {
  clearTimeout(view.typingIdleTimer);
  if (view.typingActive) {
    view.typingActive = false;
    send({ type: "typing", conversation: view.id, active: false });
  }
}

export function setNoteMode(view, on) {
  view.noteMode = !!on;
  if (view.noteMode) {
    // A note is not a reply: the shopper must not see "typing…" for it.
    stopTyping(view);
  }
  updatePanel(view);
}

export function mayUpload(view) {
  return !!config.uploadUrl && !view.noteMode && !handledByOther(state.summaries.get(view.id));
}

export function renderComposerMode(view, otherName) {
  var dom = view.dom;
  var note = view.noteMode;
  // A supervisor who answers no chats writes notes only.
  var why = otherName ? fmt(S.read_only, { name: otherName }) : state.answersChats ? "" : S.read_only_supervisor;
  var readOnly = !!why && !note;
  dom.composer.classList.toggle("livechat-composer--note", note);
  dom.composer.classList.toggle("livechat-composer--readonly", readOnly);
  dom.noteToggle.setAttribute("aria-pressed", note ? "true" : "false");
  dom.composerLabel.textContent = note ? S.note_label : S.reply;
  dom.send.textContent = note ? S.note_send : S.send;
  var readOnlyText = why ? why + " " + S.read_only_note : "";
  if (dom.readOnly.textContent !== readOnlyText) {
    dom.readOnly.textContent = readOnlyText;
  }
  dom.readOnly.hidden = !why;
  dom.textarea.disabled = readOnly;
  dom.send.disabled = readOnly;
  if (dom.attach) {
    dom.attach.disabled = !mayUpload(view);
  }
  dom.textarea.setAttribute(
    "aria-describedby",
    dom.hint.id + (why ? " " + dom.readOnly.id : "")
  );
  var flagged = state.transferred.has(view.id);
  dom.tab.classList.toggle("livechat-tab--attention", flagged);
  dom.tabFlag.hidden = !flagged;
  renderComposerHint(view);
}

export function renderComposerHint(view) {
  var text = (view.noteMode ? S.note_hint : S.reply_hint) + (state.canned.length ? " " + S.canned_hint : "");
  if (view.dom.hint.textContent !== text) {
    view.dom.hint.textContent = text;
  }
}

// "/" at the start of the composer opens a listbox of replies; the focus stays
// in the textarea (aria-activedescendant), so typing keeps filtering.
