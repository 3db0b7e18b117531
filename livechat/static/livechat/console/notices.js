// Notices that must not be missed: chats transferred to this agent.
import { el, els } from "./dom.js";
import { fmt } from "./format.js";
import { alertAgent } from "./notifications.js";
import { scheduleInboxRender } from "./paging.js";
import { isMine, mergeSummary, state, visitorName } from "./store.js";
import { S } from "./strings.js";
import { openConversation } from "./tabs.js";

export function showNotice(options) {
  var notice = el("div", { className: "livechat-notice livechat-notice--" + (options.kind || "info") });
  var remove = function () {
    notice.remove();
  };
  var actions = el("div", { className: "livechat-notice__actions" });
  if (options.action) {
    actions.append(
      el("button", {
        type: "button",
        className: "button livechat-button",
        text: options.action.label,
        onclick: function () {
          remove();
          options.action.run();
        },
      })
    );
  }
  actions.append(
    el("button", {
      type: "button",
      className: "button livechat-button livechat-button--quiet",
      text: S.dismiss,
      onclick: remove,
    })
  );
  notice.append(
    el("p", { className: "livechat-notice__text", text: options.text }),
    options.detail ? el("p", { className: "livechat-notice__detail", text: options.detail }) : null,
    actions
  );
  els.notices.append(notice);
  while (els.notices.children.length > 4) {
    els.notices.firstChild.remove();
  }
  if (options.timeout) {
    setTimeout(remove, options.timeout);
  }
  return notice;
}

export function onTransferred(frame) {
  var summary = mergeSummary(frame.conversation);
  var from = frame.from || {};
  if (!summary || from.id === state.me.id) {
    scheduleInboxRender();
    return;
  }
  var id = summary.id;
  var name = visitorName(id);
  var note = typeof frame.note === "string" ? frame.note.trim() : "";
  var toMe = isMine(summary);
  var text = fmt(toMe ? S.transferred_to_you : S.transferred_to_department, { from: from.name || S.agent, name: name });
  if (toMe) {
    state.transferred.add(id);
    state.knownWaiting.delete(id);
    state.notifiedSeq.set(id, summary.last_seq || 0);
    // Opened beside what the agent is doing, never in its place.
    openConversation(id, true);
    alertAgent({ id: id, title: text, body: note || summary.preview || "" });
  }
  showNotice({
    kind: toMe ? "transfer" : "info",
    text: text,
    detail: note ? fmt(S.transferred_note, { note: note }) : "",
    action: {
      label: S.show_chat,
      run: function () {
        openConversation(id);
      },
    },
    timeout: toMe ? 0 : 15000,
  });
  scheduleInboxRender();
}

