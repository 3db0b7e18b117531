// Messages and notes in the transcript: nodes, order, delivery status, typing.
import { saveAsReplyButton } from "./canned-editor.js";
import { VISITOR_TYPING_TIMEOUT_MS } from "./constants.js";
import { el } from "./dom.js";
import { fitBox, fmt, formatTime, humanSize, safeHref, timeOf } from "./format.js";
import { itemStates, pendingItems } from "./outbox.js";
import { state, visitorName } from "./store.js";
import { S } from "./strings.js";
import { renderUploads } from "./uploads.js";

export function senderLabel(view, message) {
  if (message.sender === "visitor") {
    return visitorName(view.id);
  }
  if (message.sender === "agent") {
    return (message.author && message.author.name) || S.agent;
  }
  return S.system;
}

// A stored file: images as a linked thumbnail, anything else as a named link.
export function attachmentNode(view, attachment) {
  var href = safeHref(attachment.url);
  if (!href) {
    return null;
  }
  var name = String(attachment.name || "");
  var size = humanSize(attachment.size);
  if (/^image\//.test(String(attachment.content_type || ""))) {
    var box = fitBox(attachment.width, attachment.height);
    var image = el("img", {
      className: "livechat-attachment__image",
      src: safeHref(attachment.thumbnail) || href,
      alt: name,
      width: box && box[0],
      height: box && box[1],
      decoding: "async",
      onload: function () {
        // Without known dimensions the picture grows the log once loaded.
        scrollIfSticky(view);
      },
    });
    return el(
      "a",
      {
        className: "livechat-attachment livechat-attachment--image",
        href: href,
        target: "_blank",
        rel: "noopener",
        title: size ? name + " (" + size + ")" : name,
      },
      image
    );
  }
  return el(
    "a",
    { className: "livechat-attachment livechat-attachment--file", href: href, target: "_blank", rel: "noopener" },
    el("span", { className: "livechat-attachment__name", text: name }),
    size ? el("span", { className: "livechat-attachment__size", text: " (" + size + ")" }) : null
  );
}

export function messageNode(view, message, extraClass, pendingFile) {
  var status = el("span", { className: "livechat-msg__status" });
  var attachment = message.attachment && typeof message.attachment === "object" ? message.attachment : null;
  var fileNode = pendingFile || (attachment ? attachmentNode(view, attachment) : null);
  var body = String(message.body || "");
  // A file's message body is its name: say it once.
  var showBody = !fileNode || (attachment && body !== String(attachment.name || ""));
  var node = el(
    "li",
    { className: "livechat-msg livechat-msg--" + (message.sender || "system") + (extraClass || "") },
    el(
      "div",
      { className: "livechat-msg__meta" },
      el("span", { className: "livechat-msg__sender", text: senderLabel(view, message) }),
      " ",
      el("time", { datetime: message.created || "", text: formatTime(message.created) }),
      " ",
      status
    ),
    fileNode,
    showBody ? el("div", { className: "livechat-msg__body", text: body }) : null
  );
  node.statusNode = status;
  return node;
}

export function renderMessage(view, message) {
  var dom = view.dom;
  if (!dom || dom.messageNodes.has(message.seq)) {
    return;
  }
  var node = messageNode(view, message);
  if (message.sender === "agent" && typeof message.id === "number" && message.body && !message.attachment) {
    node.append(saveAsReplyButton(message));
  }
  node.dataset.kind = "message";
  node.dataset.seq = String(message.seq);
  node.dataset.time = String(timeOf(message.created));
  dom.messageNodes.set(message.seq, node);
  insertOrdered(dom.list, node);
  updateMessageStatus(view, message);
}

// Messages keep their seq order; notes sit between them by time. Usually
// appended; replays, gap fills and notes may land in the middle.
export function insertOrdered(list, node) {
  var kind = node.dataset.kind;
  var seq = Number(node.dataset.seq);
  var time = Number(node.dataset.time);
  var next = null;
  for (var i = list.children.length - 1; i >= 0; i--) {
    var child = list.children[i];
    var after =
      kind === "message" && child.dataset.kind === "message"
        ? Number(child.dataset.seq) > seq
        : Number(child.dataset.time) > time;
    if (!after) {
      break;
    }
    next = child;
  }
  list.insertBefore(node, next);
}

export function noteNode(view, note, extraClass) {
  var status = el("span", { className: "livechat-msg__status" });
  var node = el(
    "li",
    { className: "livechat-msg livechat-msg--note" + (extraClass || "") },
    el(
      "div",
      { className: "livechat-msg__meta" },
      el("span", { className: "livechat-msg__label", text: S.note_label }),
      " · ",
      el("span", { className: "livechat-msg__sender", text: (note.author && note.author.name) || S.agent }),
      " ",
      el("time", { datetime: note.created || "", text: formatTime(note.created) }),
      " ",
      status
    ),
    el("div", { className: "livechat-msg__body", text: String(note.body || "") })
  );
  node.statusNode = status;
  return node;
}

export function renderNote(view, note) {
  var dom = view.dom;
  if (!dom) {
    return;
  }
  var old = dom.noteNodes.get(note.id);
  if (old) {
    old.remove();
  }
  var node = noteNode(view, note);
  node.dataset.kind = "note";
  node.dataset.time = String(timeOf(note.created));
  dom.noteNodes.set(note.id, node);
  insertOrdered(dom.list, node);
}

export function updateMessageStatus(view, message) {
  var node = view.dom && view.dom.messageNodes.get(message.seq);
  if (!node || message.sender !== "agent") {
    return;
  }
  var summary = state.summaries.get(view.id);
  var seen = summary && (summary.visitor_read_seq || 0) >= message.seq;
  node.statusNode.textContent = seen ? S.seen : S.sent;
}

export function renderPendingAll(view) {
  var dom = view.dom;
  if (!dom) {
    return;
  }
  dom.pending.textContent = "";
  pendingItems(view.id).forEach(function (item) {
    var note = item.type === "note";
    var shown = { sender: "agent", author: { name: state.me.name }, body: item.body, created: item.created };
    var node = note
      ? noteNode(view, shown, " livechat-msg--pending")
      : messageNode(view, shown, " livechat-msg--pending");
    var status = itemStates.get(item.client_id) || { state: "queued", error: "" };
    node.statusNode.textContent = status.error
      ? fmt(S.will_retry, { error: status.error })
      : status.state === "sending"
      ? note
        ? S.note_saving
        : S.sending
      : S.queued;
    dom.pending.appendChild(node);
  });
  view.failed.forEach(function (item) {
    var shown = { sender: "agent", author: { name: state.me.name }, body: item.body, created: item.created };
    var node = item.note
      ? noteNode(view, shown, " livechat-msg--failed")
      : messageNode(view, shown, " livechat-msg--failed");
    node.statusNode.textContent = fmt(S.failed, { error: item.failed });
    node.appendChild(
      el("button", {
        type: "button",
        className: "livechat-msg__dismiss",
        text: S.dismiss,
        onclick: function () {
          view.failed.splice(view.failed.indexOf(item), 1);
          renderPendingAll(view);
        },
      })
    );
    dom.pending.appendChild(node);
  });
  renderUploads(view);
}

export function setVisitorTyping(view, active, draft) {
  clearTimeout(view.visitorTypingTimer);
  if (view.dom) {
    // Typing now, or paused with words not sent yet (the draft in progress).
    view.dom.typing.textContent = active
      ? S.visitor_typing
      : draft
        ? S.visitor_draft
        : "";
  }
  if (active) {
    // A lost "active: false" must not leave the indicator on for ever.
    view.visitorTypingTimer = setTimeout(function () {
      setVisitorTyping(view, false);
    }, VISITOR_TYPING_TIMEOUT_MS);
  }
}

export function scrollIfSticky(view) {
  var dom = view.dom;
  if (dom && view.stickToBottom && !dom.panel.hidden) {
    dom.log.scrollTop = dom.log.scrollHeight;
  }
}
