// One conversation's data: views, opened/messages/ack/typing/read frames, gaps, claims, read marks.
// Each view's sequence (order, duplicates, gap fetches) is a shared Timeline (shared/timeline.js).
import { Timeline } from "../shared/timeline.js";
import { send } from "./connection.js";
import { renderDetails, updatePanel } from "./details.js";
import { addNote } from "./notes.js";
import { noticeMessage } from "./notifications.js";
import { outbox } from "./outbox.js";
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
  // The timeline asks for the next page itself while `more` says there is one.
  view.timeline.page({ messages: Array.isArray(frame.messages) ? frame.messages : [], more: !!frame.more });
  if (!frame.more) {
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
  // Shown once what comes before it is; a gap is fetched (a replay under way fills it).
  view.timeline.take(message);
  view.timeline.drain();
  afterMessages(view);
}

export function onAck(frame) {
  var item = outbox.find(frame.client_id);
  outbox.remove(frame.client_id);
  var view = state.views.get(frame.conversation);
  if (view && item && typeof frame.seq === "number") {
    // The broadcast copy may be lost; the ack is enough to show the message.
    view.timeline.take({
      id: frame.id,
      conversation: frame.conversation,
      seq: frame.seq,
      sender: "agent",
      author: { name: state.me.name },
      body: item.body,
      client_id: item.client_id,
      created: frame.created,
    });
    view.timeline.drain();
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
      contiguous: 0, // highest seq with every earlier one present (the timeline's)
      maxSeq: 0,
      joined: false,
      loading: false,
      gapTimer: null,
      readSent: 0,
      context: null,
      visit: null,
      notes: new Map(), // note id -> note (internal, agents only)
      noteMode: false,
      canned: null, // the saved-replies picker while open: {items, index, query}
      cannedDismissed: null, // the "/word" the agent dismissed the picker for
      cannedUsed: null, // the saved reply the reply box holds (its id), sent with it
      offer: null, // the code of the suggested offer the reply box holds, sent with it
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
    view.timeline = new Timeline({
      conversation: id,
      show: function (message) {
        addMessage(view, message);
      },
      fetch: send,
    });
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
  send({ type: "open", conversation: view.id, last_seq: view.timeline.seq });
  // `opened` comes with the replay of what followed: no gap fetch meanwhile.
  view.timeline.expectReplay();
  updatePanel(view);
}

export function addMessage(view, message) {
  if (!message || typeof message.seq !== "number" || view.messages.has(message.seq)) {
    return false;
  }
  view.messages.set(message.seq, message);
  view.maxSeq = Math.max(view.maxSeq, message.seq);
  view.contiguous = view.timeline.seq; // shown in order: everything up to it is here
  if (message.client_id) {
    outbox.remove(message.client_id);
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

// The summary (or an upload posted over HTTP) says the chat has more than is
// shown: after `delay`, for the live frame to come first, fetch what is missing.
export function checkGap(view, delay) {
  if (!state.ready || !view.joined || view.loading || view.gapTimer) {
    return;
  }
  view.gapTimer = setTimeout(function () {
    view.gapTimer = null;
    if (state.ready && view.joined && !view.loading) {
      view.timeline.behind(targetSeq(view));
    }
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
