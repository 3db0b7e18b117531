// Frame dispatch (one handler per frame type) and the welcome, conversation and error frames.
import { hideBanner, sessionEnded, showAlert, showConnected } from "./banner.js";
import { onAgents, renderBoard } from "./board.js";
import { renderComposerHint } from "./composer.js";
import { refused, send } from "./connection.js";
import { CLAIM_ERRORS, PRESENCES } from "./constants.js";
import { cannedRefused, onCanned, onCannedDeleted, onCannedSaved } from "./canned-editor.js";
import { chatActionRefused, onSnooze, onTags } from "./chat-actions.js";
import { onVisitorPage } from "./context.js";
import { askClaimAnyway, checkGap, maybeMarkRead, onAck, onMessage, onMessages, onOpened, onRead, onTyping, sendOpen } from "./conversation.js";
import { updatePanel } from "./details.js";
import { TRANSFER_ERRORS, onTransferDone, renderCloseTags, transferFailed, transferRefused } from "./dialogs.js";
import { config, els } from "./dom.js";
import { fmt } from "./format.js";
import { renderInbox, sections } from "./inbox.js";
import { onNote, onNoteAck } from "./notes.js";
import { onTransferred } from "./notices.js";
import { noticeChanges, onPreferences, renderPreferences } from "./notifications.js";
import { applyCounts, onInboxPage, othersPreference, scheduleInboxRender, setSectionPage } from "./paging.js";
import { onPresence, presenceNotConfirmed, renderPresence } from "./presence.js";
import { searchFailed, startSearch } from "./search.js";
import { isUnanswered, mergeSummary, state } from "./store.js";
import { S } from "./strings.js";
import { openConversation } from "./tabs.js";
import { renderPendingAll, setVisitorTyping } from "./transcript.js";

export function handleFrame(frame) {
  switch (frame.type) {
    case "welcome":
      onWelcome(frame);
      break;
    case "conversation":
      onConversation(frame.conversation);
      break;
    case "conversations":
      // Other agents' chats' new messages, coalesced: activity fields only.
      (Array.isArray(frame.conversations) ? frame.conversations : []).forEach(onConversation);
      break;
    case "inbox_page":
      onInboxPage(frame);
      break;
    case "inbox_counts":
      applyCounts(frame.counts);
      scheduleInboxRender();
      break;
    case "opened":
      onOpened(frame);
      break;
    case "messages":
      onMessages(frame);
      break;
    case "message":
      onMessage(frame.message);
      break;
    case "ack":
      onAck(frame);
      break;
    case "typing":
      onTyping(frame);
      break;
    case "read":
      onRead(frame);
      break;
    case "presence":
      onPresence(frame);
      break;
    case "preferences":
      onPreferences(frame);
      break;
    case "agents":
      onAgents(frame);
      break;
    case "transfer_done":
      onTransferDone(frame);
      break;
    case "transferred":
      onTransferred(frame);
      break;
    case "note":
      onNote(frame.note);
      break;
    case "note_ack":
      onNoteAck(frame);
      break;
    case "tags":
      onTags(frame);
      break;
    case "snooze":
      onSnooze(frame);
      break;
    case "visitor_page":
      onVisitorPage(frame);
      break;
    case "canned":
      onCanned(frame);
      break;
    case "canned_saved":
      onCannedSaved(frame);
      break;
    case "canned_deleted":
      onCannedDeleted(frame);
      break;
    case "error":
      onError(frame);
      break;
    default:
      // pong, and frame types added by later minor versions.
      break;
  }
}

export function onWelcome(frame) {
  var reconnected = state.everWelcomed;
  state.ready = true;
  state.everWelcomed = true;
  if (frame.agent) {
    state.me = { id: frame.agent.id, name: frame.agent.name };
  }
  state.supervisor = !!frame.supervisor;
  // Only agents take chats and go online; a supervisor who is not one watches.
  state.answersChats = frame.role !== "supervisor";
  if (els.presence) {
    els.presence.hidden = !state.answersChats;
  }
  var preference = othersPreference();
  state.othersShown = preference === null ? state.supervisor : preference;
  sections.others.toggle.setAttribute("aria-expanded", state.othersShown ? "true" : "false");
  if (state.othersShown && !state.supervisor) {
    send({ type: "watch", others: true });
  }
  applyWorkspace(frame);
  if (PRESENCES.indexOf(frame.presence) !== -1) {
    state.presence = frame.presence;
  }
  // Whatever was in flight before a reconnect, the welcome says what is stored.
  state.presencePending = null;
  state.presenceFailed = false;
  clearTimeout(state.presenceTimer);
  renderPresence();
  if (reconnected) {
    // Say so (the banner is a live region), then get out of the way.
    showConnected();
  } else {
    hideBanner();
  }

  var fresh = new Map();
  (frame.inbox || []).forEach(function (summary) {
    if (summary && typeof summary.id === "number") {
      var old = state.summaries.get(summary.id);
      if (old && !summary.preview) {
        summary.preview = old.preview;
      }
      fresh.set(summary.id, summary);
    }
  });
  // Tabs may show older conversations the inbox no longer lists.
  state.tabs.forEach(function (id) {
    if (!fresh.has(id) && state.summaries.has(id)) {
      fresh.set(id, state.summaries.get(id));
    }
  });
  var previous = state.summaries;
  state.summaries = fresh;
  state.sectionInfo = {};
  var sectionsOf = frame.sections && typeof frame.sections === "object" ? frame.sections : {};
  Object.keys(sections).forEach(function (key) {
    setSectionPage(key, sectionsOf[key] ? sectionsOf[key].next : null);
  });
  applyCounts(
    Object.keys(sectionsOf).reduce(function (counts, key) {
      counts[key] = sectionsOf[key] && sectionsOf[key].count;
      return counts;
    }, {})
  );
  if (!reconnected) {
    // What was there before the page opened is in the inbox, not news.
    fresh.forEach(function (summary) {
      state.notifiedSeq.set(summary.id, summary.last_seq || 0);
      if (isUnanswered(summary)) {
        state.knownWaiting.add(summary.id);
      }
    });
  }

  var wanted = /^#conversation-(\d+)$/.exec(window.location.hash);
  if (wanted) {
    history.replaceState(null, "", window.location.pathname + window.location.search);
    openConversation(Number(wanted[1]));
  }
  // Resume every open tab from what it already shows: nothing missed, nothing doubled.
  state.tabs.forEach(function (id) {
    var view = state.views.get(id);
    if (view && !view.joined) {
      sendOpen(view);
    }
  });
  if (reconnected) {
    // Whatever happened while the socket was down is news now (after the
    // tabs resumed, so a chat opened for the news is opened once).
    fresh.forEach(function (summary) {
      noticeChanges(previous.get(summary.id) || null, summary, true);
    });
  }
  if (state.search.q) {
    var q = state.search.q;
    state.search.q = "";
    startSearch(q);
  }
  state.views.forEach(updatePanel);
  renderInbox();
  renderBoard();
}

// The agent workspace parts of welcome (docs/protocol.md, version 1 additions).
export function applyWorkspace(frame) {
  state.routing = frame.routing === "auto" ? "auto" : "claim";
  if (typeof frame.long_wait_seconds === "number" && frame.long_wait_seconds > 0) {
    state.longWaitMs = frame.long_wait_seconds * 1000;
  }
  state.closeTags = Array.isArray(frame.close_tags) ? frame.close_tags : [];
  state.departments = Array.isArray(frame.departments) ? frame.departments : [];
  if (Array.isArray(frame.agents)) {
    state.board = frame.agents;
  }
  state.canned = (Array.isArray(frame.canned) ? frame.canned : []).filter(function (reply) {
    return reply && typeof reply.body === "string";
  });
  if (frame.preferences && typeof frame.preferences === "object") {
    state.preferences = {
      sound: frame.preferences.sound !== false,
      desktop: frame.preferences.desktop !== false,
    };
  }
  if (typeof frame.max_message_length === "number" && frame.max_message_length > 0) {
    config.maxLength = frame.max_message_length;
  }
  els.routing.hidden = state.routing !== "auto";
  els.agents.hidden = !state.supervisor;
  renderCloseTags();
  renderPreferences();
  state.tabs.forEach(function (id) {
    var view = state.views.get(id);
    if (view && view.dom) {
      renderComposerHint(view);
    }
  });
}

export function onConversation(incoming) {
  // mergeSummary stores a new object: this one stays as it was.
  var old = (incoming && state.summaries.get(incoming.id)) || null;
  if (!old && incoming && !incoming.status) {
    return; // activity of a chat this console has not been told about yet
  }
  var summary = mergeSummary(incoming);
  if (!summary) {
    return;
  }
  // Status changes come with an empty preview; a new message with its text.
  noticeChanges(old, summary, !!incoming.preview);
  scheduleInboxRender();
  if (summary.id === state.claimPending && summary.agent) {
    state.claimPending = null; // answered: taken, by this agent or another
  }
  var view = state.views.get(summary.id);
  if (view) {
    updatePanel(view);
    // The live message frame may have been dropped; fetch if it does not follow.
    checkGap(view, 1500);
    maybeMarkRead(view); // it may have just become this agent's
  }
}

export function onError(frame) {
  var message = frame.message || frame.code || "";
  if (frame.code === "login_required") {
    sessionEnded(); // the close (4401) follows
    return;
  }
  // Errors naming the frame they answer (docs/protocol.md, "for").
  if (chatActionRefused(frame) || cannedRefused(frame)) {
    return;
  }
  if (frame.client_id) {
    // About a reply or note of the outbox: a retriable refusal resends it
    // (shown "will retry"), any other moves it to the failed ones.
    refused(frame, message);
    return;
  }
  if (state.transfer && TRANSFER_ERRORS.indexOf(frame.code) !== -1 && !frame.client_id) {
    // Error frames name no request; while a transfer waits for its answer,
    // the refusals a transfer can get are its own (the dialog is modal).
    transferRefused(frame);
    return;
  }
  if (frame.for === "inbox" && onInboxRefused(message)) {
    return;
  }
  var presenceCodes = ["bad_frame", "unavailable", "server_error"];
  if (state.presencePending && !state.pendingOpens.length && presenceCodes.indexOf(frame.code) !== -1) {
    // Error frames name no request; this is the likeliest one to have failed.
    presenceNotConfirmed();
  }
  if (state.claimPending !== null && CLAIM_ERRORS.indexOf(frame.code) !== -1) {
    // Error frames name no request; a claim's refusals are these.
    var claimed = state.claimPending;
    state.claimPending = null;
    if (frame.code === "agent_full" && state.views.has(claimed)) {
      askClaimAnyway(state.views.get(claimed), message);
      return;
    }
  }
  if ((frame.code === "forbidden" || frame.code === "not_found") && state.pendingOpens.length) {
    var failedView = state.views.get(state.pendingOpens.shift());
    if (failedView) {
      failedView.loading = false;
      failedView.error = message;
      updatePanel(failedView);
    }
  }
  showAlert(fmt(S.error, { message: message }));
}

// An inbox frame refused: the search or the section page it asked for is not
// coming. True when a search was waiting (its results say why).
function onInboxRefused(message) {
  Object.keys(state.sectionInfo).forEach(function (key) {
    if (state.sectionInfo[key].loading) {
      state.sectionInfo[key].loading = false;
      scheduleInboxRender();
    }
  });
  return searchFailed(message);
}

// The socket closed: nothing in flight will be answered; what is unsent is sent
// again after the next welcome.
export function onSocketLost() {
  Object.keys(state.sectionInfo).forEach(function (key) {
    state.sectionInfo[key].loading = false;
  });
  state.pendingOpens = [];
  state.claimPending = null;
  state.presencePending = null;
  clearTimeout(state.presenceTimer);
  renderPresence();
  if (state.transfer) {
    transferFailed(S.transfer_lost);
  }
  renderPreferences();
  state.views.forEach(function (view) {
    view.joined = false;
    view.timeline.reconnected();
    view.readSent = 0;
    view.typingActive = false;
    clearTimeout(view.typingIdleTimer);
    clearTimeout(view.gapTimer);
    view.gapTimer = null;
    setVisitorTyping(view, false);
    renderPendingAll(view);
    updatePanel(view);
  });
}
