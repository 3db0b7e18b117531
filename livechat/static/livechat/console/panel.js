// Builds a conversation's panel (tab, transcript, composer, details) from scratch.
import { mayUpload, onComposerInput, setNoteMode, stopTyping, submitReply } from "./composer.js";
import { UPLOAD_TYPES } from "./constants.js";
import { sendClaim } from "./conversation.js";
import { renderDetails, updatePanel } from "./details.js";
import { openCloseDialog, openTransferDialog } from "./dialogs.js";
import { config, el, els, hasFiles } from "./dom.js";
import { fmt, humanSize } from "./format.js";
import { closeCanned, onCannedKeydown, updateCanned } from "./saved-replies.js";
import { state } from "./store.js";
import { S } from "./strings.js";
import { closeTab, onTabKeydown, selectTab } from "./tabs.js";
import { renderMessage, renderNote, renderPendingAll } from "./transcript.js";
import { startUploads } from "./uploads.js";

export function buildPanel(view) {
  var id = view.id;
  var tabId = "livechat-tab-" + id;
  var panelId = "livechat-panel-" + id;
  var replyId = "livechat-reply-" + id;
  var hintId = "livechat-reply-hint-" + id;
  var dom = {};

  dom.tabName = el("span", { className: "livechat-tab__name" });
  dom.tabBadge = el("span", { className: "livechat-badge", hidden: true });
  dom.tabFlag = el("span", { className: "livechat-tag livechat-tag--transferred", text: S.transferred_tag, hidden: true });
  dom.tab = el(
    "button",
    {
      type: "button",
      role: "tab",
      id: tabId,
      className: "livechat-tab",
      "aria-controls": panelId,
      "aria-selected": "false",
      tabindex: "-1",
      "data-conversation": id,
      onclick: function () {
        selectTab(id);
      },
      onkeydown: onTabKeydown,
    },
    dom.tabName,
    dom.tabFlag,
    dom.tabBadge
  );

  dom.title = el("h2", { className: "livechat-panel__title" });
  dom.status = el("span", { className: "livechat-panel__status" });
  dom.sourceTag = el("span", { className: "livechat-tag livechat-tag--offline", text: S.offline_message, hidden: true });
  dom.claim = el("button", {
    type: "button",
    className: "button livechat-button",
    text: S.claim,
    hidden: true,
    onclick: function () {
      sendClaim(view, false);
    },
  });
  // Past the agent's limit the server refuses a claim; they may insist.
  dom.claimQuestion = el("p", { className: "livechat-claim-anyway__question", role: "alert" });
  dom.claimAnyway = el("button", {
    type: "button",
    className: "button default livechat-button",
    text: S.claim_anyway,
    onclick: function () {
      sendClaim(view, true);
    },
  });
  dom.claimPrompt = el(
    "div",
    { className: "livechat-claim-anyway", hidden: true },
    dom.claimQuestion,
    el(
      "div",
      { className: "livechat-claim-anyway__buttons" },
      dom.claimAnyway,
      el("button", {
        type: "button",
        className: "button livechat-button livechat-button--quiet",
        text: S.cancel,
        onclick: function () {
          dom.claimPrompt.hidden = true;
          dom.claim.focus();
        },
      })
    )
  );
  dom.transfer = el("button", {
    type: "button",
    className: "button livechat-button",
    text: S.transfer,
    hidden: true,
    "aria-haspopup": "dialog",
    onclick: function () {
      openTransferDialog(view, dom.transfer);
    },
  });
  dom.close = el("button", {
    type: "button",
    className: "button livechat-button livechat-button--danger",
    text: S.close,
    hidden: true,
    "aria-haspopup": "dialog",
    onclick: function () {
      openCloseDialog(view, dom.close);
    },
  });
  dom.adminLink = config.adminUrl
    ? el("a", {
        className: "livechat-panel__admin-link",
        href: config.adminUrl.replace("{id}", String(id)),
        text: S.open_in_admin,
      })
    : null;
  dom.closeTab = el("button", {
    type: "button",
    className: "button livechat-button livechat-button--quiet",
    text: fmt(S.close_tab, { name: "" }).trim(),
    onclick: function () {
      closeTab(id);
    },
  });
  var header = el(
    "div",
    { className: "livechat-panel__header" },
    el("div", { className: "livechat-panel__heading" }, dom.title, dom.sourceTag, dom.status),
    el("div", { className: "livechat-panel__actions" }, dom.claim, dom.transfer, dom.close, dom.adminLink, dom.closeTab)
  );

  dom.loading = el("p", { className: "livechat-log__loading", text: S.loading, hidden: true });
  dom.error = el("p", { className: "livechat-log__error errornote", hidden: true });
  dom.list = el("ol", { className: "livechat-messages" });
  dom.pending = el("ol", { className: "livechat-messages livechat-messages--pending" });
  dom.uploads = el("ol", { className: "livechat-messages livechat-messages--pending" });
  dom.log = el(
    "div",
    {
      className: "livechat-log",
      role: "log",
      tabindex: "0",
      onscroll: function () {
        var log = dom.log;
        view.stickToBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 60;
      },
    },
    dom.loading,
    dom.error,
    dom.list,
    dom.pending,
    dom.uploads
  );
  dom.typing = el("p", { className: "livechat-typing", "aria-live": "polite" });
  dom.closedNote = el("p", { className: "livechat-closed-note", text: S.closed_note, hidden: true });
  // Offline messages: the shopper is probably gone, their email is the way back.
  dom.offlineEmail = el("span", { className: "livechat-offline__email" });
  dom.offlineNotice = el(
    "div",
    { className: "livechat-offline", hidden: true },
    el("span", { className: "livechat-tag livechat-tag--offline", text: S.offline_message }),
    " ",
    dom.offlineEmail,
    el("p", { className: "livechat-offline__hint", text: S.offline_hint })
  );
  dom.ratingTitleId = panelId + "-rating";
  dom.ratingValue = el("span", { className: "livechat-rating__line" });
  dom.ratingComment = el("blockquote", { className: "livechat-rating__comment" });
  dom.rating = el(
    "section",
    { className: "livechat-rating", "aria-labelledby": dom.ratingTitleId, hidden: true },
    el("h3", { id: dom.ratingTitleId, className: "livechat-rating__title", text: S.rating_title }),
    dom.ratingValue,
    dom.ratingComment
  );

  var cannedId = "livechat-canned-" + id;
  var readOnlyId = "livechat-readonly-" + id;
  dom.textarea = el("textarea", {
    id: replyId,
    rows: "3",
    className: "livechat-composer__input",
    "aria-describedby": hintId,
    // The saved-replies picker: a textbox with a listbox popup (the ARIA
    // combobox pattern for a multi-line field: focus stays in the textarea).
    "aria-autocomplete": "list",
    "aria-controls": cannedId,
    oninput: function () {
      onComposerInput(view);
    },
    onkeydown: function (event) {
      if (onCannedKeydown(view, event)) {
        return;
      }
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        submitReply(view);
      }
    },
    onclick: function () {
      updateCanned(view);
    },
    onblur: function () {
      stopTyping(view);
      closeCanned(view);
    },
  });
  dom.textarea.value = state.drafts[id] || "";
  dom.cannedList = el("ul", {
    id: cannedId,
    role: "listbox",
    className: "livechat-canned",
    "aria-label": S.canned_label,
    hidden: true,
  });
  dom.cannedStatus = el("span", { className: "visually-hidden", role: "status" });
  dom.composerLabel = el("label", { for: replyId, className: "livechat-composer__label", text: S.reply });
  dom.noteToggle = el("button", {
    type: "button",
    className: "livechat-composer__mode",
    "aria-pressed": "false",
    text: S.note_mode,
    onclick: function () {
      setNoteMode(view, !view.noteMode);
      dom.textarea.focus();
    },
  });
  dom.readOnly = el("p", { id: readOnlyId, className: "livechat-composer__readonly", hidden: true });
  dom.hint = el("p", { id: hintId, className: "livechat-composer__hint" });
  dom.send = el("button", { type: "submit", className: "button default livechat-button", text: S.send });
  var attachHintId = "livechat-attach-hint-" + id;
  dom.fileInput = el("input", {
    type: "file",
    hidden: true,
    multiple: true,
    tabindex: "-1",
    accept: UPLOAD_TYPES.join(",") + ",.png,.jpg,.jpeg,.gif,.webp,.pdf",
    onchange: function () {
      startUploads(view, dom.fileInput.files);
      dom.fileInput.value = "";
    },
  });
  dom.attach = config.uploadUrl
    ? el("button", {
        type: "button",
        className: "button livechat-button livechat-button--quiet livechat-composer__attach",
        text: S.attach,
        "aria-describedby": attachHintId,
        onclick: function () {
          dom.fileInput.click();
        },
      })
    : null;
  var attachHint = config.uploadUrl
    ? el("span", {
        id: attachHintId,
        className: "visually-hidden",
        text: fmt(S.attach_hint, { size: humanSize(config.maxUpload) }),
      })
    : null;
  dom.composerError = el("p", { className: "livechat-composer__error", role: "alert" });
  dom.composer = el(
    "form",
    {
      className: "livechat-composer",
      onsubmit: function (event) {
        event.preventDefault();
        submitReply(view);
      },
      ondragover: function (event) {
        if (mayUpload(view) && hasFiles(event)) {
          event.preventDefault();
          dom.composer.classList.add("livechat-composer--drop");
        }
      },
      ondragleave: function () {
        dom.composer.classList.remove("livechat-composer--drop");
      },
      ondrop: function (event) {
        dom.composer.classList.remove("livechat-composer--drop");
        if (mayUpload(view) && hasFiles(event)) {
          event.preventDefault();
          startUploads(view, event.dataTransfer.files);
        }
      },
    },
    el("div", { className: "livechat-composer__top" }, dom.composerLabel, dom.noteToggle),
    dom.readOnly,
    el("div", { className: "livechat-composer__field" }, dom.textarea, dom.cannedList),
    dom.cannedStatus,
    el(
      "div",
      { className: "livechat-composer__footer" },
      dom.hint,
      el("div", { className: "livechat-composer__buttons" }, dom.attach, attachHint, dom.fileInput, dom.send)
    ),
    dom.composerError
  );
  // A screenshot pasted into the reply box is sent as a file.
  dom.textarea.addEventListener("paste", function (event) {
    var files = event.clipboardData && event.clipboardData.files;
    if (mayUpload(view) && files && files.length) {
      event.preventDefault();
      startUploads(view, files);
    }
  });

  dom.details = el("dl", { className: "livechat-details" });
  dom.context = el("div", { className: "livechat-context" });
  dom.visit = el("div", { className: "livechat-visit" });
  dom.past = el("div", { className: "livechat-past" });
  var aside = el(
    "aside",
    { className: "livechat-panel__aside", "aria-labelledby": panelId + "-visitor" },
    el("h3", { id: panelId + "-visitor", text: S.details }),
    dom.details,
    el("h3", { text: S.context }),
    dom.context,
    el("h3", { text: S.visit }),
    dom.visit,
    el("h3", { text: S.past_conversations }),
    dom.past
  );

  dom.panel = el(
    "section",
    {
      role: "tabpanel",
      id: panelId,
      className: "livechat-panel",
      "aria-labelledby": tabId,
      hidden: true,
    },
    header,
    dom.claimPrompt,
    el(
      "div",
      { className: "livechat-panel__body" },
      el(
        "div",
        { className: "livechat-panel__chat" },
        dom.offlineNotice,
        dom.log,
        dom.typing,
        dom.closedNote,
        dom.rating,
        dom.composer
      ),
      aside
    )
  );
  dom.messageNodes = new Map(); // seq -> li
  dom.noteNodes = new Map(); // note id -> li
  view.dom = dom;

  els.tablist.appendChild(dom.tab);
  els.panels.appendChild(dom.panel);
  Array.from(view.messages.keys())
    .sort(function (a, b) {
      return a - b;
    })
    .forEach(function (seq) {
      renderMessage(view, view.messages.get(seq));
    });
  view.notes.forEach(function (note) {
    renderNote(view, note);
  });
  renderDetails(view);
  renderPendingAll(view);
  updatePanel(view);
}
