// Managing a chat beyond replying: its tags, reopening a closed one, snoozing until the shopper answers.
import { send } from "./connection.js";
import { OPEN_STATUSES } from "./constants.js";
import { el } from "./dom.js";
import { fmt } from "./format.js";
import { alertAgent, announce } from "./notifications.js";
import { scheduleInboxRender } from "./paging.js";
import { isMine, mergeSummary, state, visitorName } from "./store.js";
import { S } from "./strings.js";

// The frames answered here; an error frame's "for" names which one it answers.
var ACTIONS = ["tag", "reopen", "snooze"];
// The chat each kind of frame was last sent for: error frames name no chat.
var lastSent = {};

function label(key) {
  for (var i = 0; i < state.closeTags.length; i++) {
    if (state.closeTags[i] && state.closeTags[i].key === key) {
      return state.closeTags[i].label || key;
    }
  }
  return key;
}

function sendAction(view, frame) {
  showActionError(view, "");
  lastSent[frame.type] = view.id;
  if (!state.ready || !send(frame)) {
    showActionError(view, fmt(S.error, { message: S.queued }));
  }
}

function showActionError(view, text) {
  var node = view.dom && view.dom.actionError;
  if (node) {
    node.textContent = text;
    node.hidden = !text;
  }
}

// Runs once per panel (panel.js): the buttons' events and the tag picker's label.
export function bindChatActions(view) {
  var dom = view.dom;
  var selectId = "livechat-tag-select-" + view.id;
  dom.tagSelect.id = selectId;
  dom.tagSelectLabel.htmlFor = selectId;
  dom.tagsLabel.id = "livechat-tags-" + view.id;
  dom.tagsBox.setAttribute("aria-labelledby", dom.tagsLabel.id);
  dom.tagAdd.addEventListener("click", function () {
    var key = dom.tagSelect.value;
    if (key) {
      sendAction(view, { type: "tag", conversation: view.id, tag: key, on: true });
    }
  });
  dom.reopen.addEventListener("click", function () {
    var frame = { type: "reopen", conversation: view.id };
    if (view.reopenOverride) {
      frame.override = true;
    }
    sendAction(view, frame);
  });
  dom.snooze.addEventListener("click", function () {
    var summary = state.summaries.get(view.id) || {};
    sendAction(view, { type: "snooze", conversation: view.id, on: !summary.snoozed });
  });
}

// Who may tag, snooze or reopen: whoever manages the chat (its agent, a
// supervisor, anyone while nobody has it); the server checks it again
// (access.may_act). A closed chat keeps its last agent, so a colleague's
// closed chat is not theirs to reopen or tag either.
function mayManage(summary) {
  return state.supervisor || !summary.agent || isMine(summary);
}

export function renderChatActions(view, summary) {
  var dom = view.dom;
  if (!dom || !dom.tagsBox) {
    return;
  }
  var manage = !!summary.status && mayManage(summary);
  var closed = !!summary.status && OPEN_STATUSES.indexOf(summary.status) === -1;
  dom.reopen.hidden = !(closed && manage && summary.source !== "offline");
  dom.reopen.textContent = view.reopenOverride ? S.reopen_anyway : S.reopen;
  if (!closed) {
    view.reopenOverride = false;
  }
  dom.reopenedTag.hidden = !summary.reopened_at || closed;
  var snoozable = summary.status === "active" && !!summary.agent && manage;
  dom.snooze.hidden = !snoozable;
  dom.snooze.textContent = summary.snoozed ? S.wake : S.snooze;
  dom.snoozedTag.hidden = !summary.snoozed;
  dom.reopen.disabled = dom.snooze.disabled = dom.tagAdd.disabled = !state.ready;
  renderTags(view, summary, manage);
}

function renderTags(view, summary, manage) {
  var dom = view.dom;
  var tags = Array.isArray(summary.tags) ? summary.tags : [];
  var key = tags.join("\u0000") + "|" + manage + "|" + state.closeTags.length;
  if (dom.tagList.getAttribute("data-key") === key) {
    return;
  }
  dom.tagList.setAttribute("data-key", key);
  var hadFocus = dom.tagsBox.contains(document.activeElement);
  dom.tagList.textContent = "";
  tags.forEach(function (tag) {
    var text = label(tag);
    dom.tagList.append(
      el(
        "li",
        { className: "livechat-chip" },
        el("span", { className: "livechat-chip__text", text: text }),
        manage
          ? el("button", {
              type: "button",
              className: "livechat-chip__remove",
              "aria-label": fmt(S.tag_remove, { tag: text }),
              title: fmt(S.tag_remove, { tag: text }),
              text: "\u00D7",
              onclick: function () {
                sendAction(view, { type: "tag", conversation: view.id, tag: tag, on: false });
              },
            })
          : null
      )
    );
  });
  if (!tags.length) {
    dom.tagList.append(el("li", { className: "livechat-tags__none", text: S.tags_none }));
  }
  var choices = state.closeTags.filter(function (tag) {
    return tag && typeof tag.key === "string" && tags.indexOf(tag.key) === -1;
  });
  dom.tagSelect.textContent = "";
  choices.forEach(function (tag) {
    dom.tagSelect.append(el("option", { value: tag.key, text: tag.label || tag.key }));
  });
  dom.tagAddBox.hidden = !manage || !choices.length;
  dom.tagsBox.hidden = !state.closeTags.length && !tags.length;
  if (hadFocus && !dom.tagsBox.contains(document.activeElement)) {
    // The chip (or the picker) that had the focus is gone: keep it in the group.
    var next = dom.tagList.querySelector("button") || (dom.tagAddBox.hidden ? null : dom.tagSelect);
    if (next) {
      next.focus();
    }
  }
}

function refresh(id) {
  var view = state.views.get(id);
  if (view && view.dom) {
    renderChatActions(view, state.summaries.get(id) || {});
  }
  scheduleInboxRender();
}

// {"type": "tags"}: the chat's tags now, whoever changed them.
export function onTags(frame) {
  var summary = state.summaries.get(frame.conversation);
  if (!summary || !Array.isArray(frame.tags)) {
    return;
  }
  state.summaries.set(summary.id, Object.assign({}, summary, { tags: frame.tags.slice() }));
  refresh(summary.id);
}

// {"type": "snooze"}: snoozed or awake; woken by the shopper, its agent hears of it.
export function onSnooze(frame) {
  var summary = mergeSummary(frame.conversation);
  if (!summary) {
    return;
  }
  if (!!summary.snoozed !== !!frame.snoozed) {
    // An older snapshot stood in the merge; the frame's own flag is the news.
    summary = Object.assign({}, summary, { snoozed: !!frame.snoozed });
    state.summaries.set(summary.id, summary);
  }
  refresh(summary.id);
  if (frame.woke && isMine(summary)) {
    var text = fmt(S.snooze_woke, { name: visitorName(summary.id) });
    announce(text);
    alertAgent({ id: summary.id, title: text, body: summary.preview || "" });
  }
}

// An error answering a tag, reopen or snooze frame: said in that chat's
// panel. True when it was one of those.
export function chatActionRefused(frame) {
  if (ACTIONS.indexOf(frame.for) === -1) {
    return false;
  }
  var view = state.views.get(lastSent[frame.for]);
  var message = frame.message || frame.code || "";
  if (!view || !view.dom) {
    return false; // the banner's alert says it
  }
  if (frame.for === "reopen" && frame.code === "agent_full") {
    // Past the agent's limit: the same frame with override takes it anyway.
    view.reopenOverride = true;
    renderChatActions(view, state.summaries.get(view.id) || {});
  }
  showActionError(view, fmt(S.error, { message: message }));
  return true;
}
