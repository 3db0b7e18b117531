// One conversation's data: views, opened/messages/ack/typing/read frames, gaps, claims, read marks.
import { send } from "./connection.js";
import { FETCH_TIMEOUT_MS } from "./constants.js";
import { renderDetails, updatePanel } from "./details.js";
import { addNote } from "./notes.js";
import { noticeMessage } from "./notifications.js";
import { removeFromOutbox } from "./outbox.js";
import { scheduleInboxRender } from "./paging.js";
import { isMine, mergeSummary, state, targetSeq } from "./store.js";
import { S } from "./strings.js";
import { renderMessage, renderPendingAll, scrollIfSticky, setVisitorTyping, updateMessageStatus } from "./transcript.js";
import { removeUpload } from "./uploads.js";

export function onOpened(frame) {
  var summary = mergeSummary(frame.conversation);
  if (!summary) {
    return;
  }
  var index = state.pendingOpens.indexOf(summary.id);
  if (index !== -1) {
    state.pendingOpens.splice(index, 1);
  }
  var view = state.views.get(summary.id);
  if (!view) {
    return;
  }
  view.context = frame.context && typeof frame.context === "object" ? frame.context : {};
  view.visit = frame.visit && typeof frame.visit === "object" ? frame.visit : null;
  view.contextHtml = typeof frame.context_html === "string" ? frame.context_html : "";
  (Array.isArray(frame.notes) ? frame.notes : []).forEach(function (note) {
    addNote(view, note);
  });
  view.error = "";
  updatePanel(view);
  renderDetails(view);
  scheduleInboxRender();
}

export function onMessages(frame) {
  var view = state.views.get(frame.conversation);
  if (!view) {
    return;
  }
  var list = Array.isArray(frame.messages) ? frame.messages : [];
  list.forEach(function (message) {
    addMessage(view, message);
  });
  view.fetchingSince = 0;
  if (frame.more && list.length) {
    view.fetchingSince = Date.now();
    send({ type: "fetch", conversation: view.id, after_seq: list[list.length - 1].seq });
  } else {
    view.loading = false;
    checkGap(view, 1000);
  }
  afterMessages(view);
}

export function onMessage(message) {
  if (!message || typeof message.seq !== "number") {
    return;
  }
  var summary = state.summaries.get(message.conversation);
  if (summary) {
    var before = { last_seq: summary.last_seq || 0 };
    summary.last_seq = Math.max(summary.last_seq || 0, message.seq);
    if (message.sender !== "system") {
      summary.preview = String(message.body || "").slice(0, 140);
    }
    summary.last_message_at = message.created;
    // As the server records it: a sender has read what they sent.
    if (message.sender === "agent") {
      summary.agent_read_seq = Math.max(summary.agent_read_seq || 0, message.seq);
    } else if (message.sender === "visitor") {
      summary.visitor_read_seq = Math.max(summary.visitor_read_seq || 0, message.seq);
    }
    scheduleInboxRender();
    if (message.sender === "visitor") {
      noticeMessage(summary, before, true);
    }
  }
  var view = state.views.get(message.conversation);
  if (!view) {
    return;
  }
  addMessage(view, message);
  if (!view.loading) {
    checkGap(view, 300);
  }
  afterMessages(view);
}

export function onAck(frame) {
  var item = removeFromOutbox(frame.client_id);
  var view = state.views.get(frame.conversation);
  if (view && item && typeof frame.seq === "number") {
    // The broadcast copy may be lost; the ack is enough to show the message.
    addMessage(view, {
      id: frame.id,
      conversation: frame.conversation,
      seq: frame.seq,
      sender: "agent",
      author: { name: state.me.name },
      body: item.body,
      client_id: item.client_id,
      created: frame.created,
    });
    checkGap(view, 300);
    afterMessages(view);
  }
}

export function onTyping(frame) {
  var view = state.views.get(frame.conversation);
  if (view && frame.sender === "visitor") {
    setVisitorTyping(view, !!frame.active, !!frame.draft);
  }
}

export function onRead(frame) {
  var summary = state.summaries.get(frame.conversation);
  if (!summary || typeof frame.seq !== "number") {
    return;
  }
  var key = frame.reader === "visitor" ? "visitor_read_seq" : "agent_read_seq";
  summary[key] = Math.max(summary[key] || 0, frame.seq);
  scheduleInboxRender();
  var view = state.views.get(frame.conversation);
  if (view && frame.reader === "visitor") {
    view.messages.forEach(function (message) {
      updateMessageStatus(view, message);
    });
  }
}

export function getView(id) {
  var view = state.views.get(id);
  if (!view) {
    view = {
      id: id,
      messages: new Map(), // seq -> message
      contiguous: 0, // highest seq with every earlier one present
      maxSeq: 0,
      joined: false,
      loading: false,
      fetchingSince: 0,
      gapTimer: null,
      readSent: 0,
      context: null,
      visit: null,
      notes: new Map(), // note id -> note (internal, agents only)
      noteMode: false,
      canned: null, // the saved-replies picker while open: {items, index, query}
      cannedDismissed: null, // the "/word" the agent dismissed the picker for
      error: "",
      failed: [],
      uploads: [], // files being sent, or refused: {client_id, file, state, error...}
      typingActive: false,
      typingSentAt: 0,
      typingIdleTimer: null,
      visitorTypingTimer: null,
      stickToBottom: true,
      dom: null,
    };
    state.views.set(id, view);
  }
  return view;
}

export function sendOpen(view) {
  if (!view || !state.ready) {
    return;
  }
  view.joined = true;
  view.loading = true;
  view.readSent = 0;
  state.pendingOpens.push(view.id);
  send({ type: "open", conversation: view.id, last_seq: view.contiguous });
  updatePanel(view);
}

export function addMessage(view, message) {
  if (!message || typeof message.seq !== "number" || view.messages.has(message.seq)) {
    return false;
  }
  view.messages.set(message.seq, message);
  view.maxSeq = Math.max(view.maxSeq, message.seq);
  while (view.messages.has(view.contiguous + 1)) {
    view.contiguous += 1;
  }
  if (message.client_id) {
    removeFromOutbox(message.client_id);
    removeUpload(view, message.client_id);
  }
  if (message.sender === "visitor") {
    setVisitorTyping(view, false);
  }
  var summary = state.summaries.get(view.id);
  if (summary && message.seq > (summary.last_seq || 0)) {
    summary.last_seq = message.seq;
  }
  renderMessage(view, message);
  return true;
}

export function afterMessages(view) {
  renderPendingAll(view);
  maybeMarkRead(view);
  scrollIfSticky(view);
  scheduleInboxRender();
  updatePanel(view);
}

export function checkGap(view, delay) {
  if (!state.ready || !view.joined || view.loading) {
    return;
  }
  if (view.contiguous >= targetSeq(view)) {
    clearTimeout(view.gapTimer);
    view.gapTimer = null;
    return;
  }
  if (view.gapTimer) {
    return;
  }
  view.gapTimer = setTimeout(function () {
    view.gapTimer = null;
    if (!state.ready || !view.joined || view.loading || view.contiguous >= targetSeq(view)) {
      return;
    }
    if (view.fetchingSince && Date.now() - view.fetchingSince < FETCH_TIMEOUT_MS) {
      checkGap(view, FETCH_TIMEOUT_MS);
      return;
    }
    view.fetchingSince = Date.now();
    send({ type: "fetch", conversation: view.id, after_seq: view.contiguous });
  }, delay);
}

export function sendClaim(view, override) {
  var frame = { type: "claim", conversation: view.id };
  if (override) {
    frame.override = true;
  }
  view.dom.claimPrompt.hidden = true;
  if (send(frame)) {
    state.claiming.add(view.id);
    state.claimPending = view.id;
  }
}

// "You already have 4 of 4 chats. Take it anyway?"
export function askClaimAnyway(view, message) {
  view.dom.claimQuestion.textContent = message + " " + S.claim_anyway_question;
  view.dom.claimPrompt.hidden = false;
  if (state.active === view.id) {
    view.dom.claimAnyway.focus();
  }
}

export function maybeMarkRead(view) {
  if (
    !state.ready ||
    !view.joined ||
    state.active !== view.id ||
    document.visibilityState !== "visible"
  ) {
    return;
  }
  var seq = view.contiguous;
  var summary = state.summaries.get(view.id);
  // Only the agent handling a chat reads it for the store (the server
  // ignores anyone else): watching leaves the unread count and the
  // shopper's "Read" to them. Claiming it makes what is shown read.
  if (!isMine(summary)) {
    return;
  }
  if (seq > view.readSent && seq > (summary.agent_read_seq || 0)) {
    view.readSent = seq;
    send({ type: "read", conversation: view.id, seq: seq });
  }
}
