// A conversation's tab and panel: cloned from the page's <template>s, given ids and events.
import { bindChatActions } from "./chat-actions.js";
import { mayUpload, onComposerInput, setNoteMode, stopTyping, submitReply } from "./composer.js";
import { UPLOAD_TYPES } from "./constants.js";
import { sendClaim } from "./conversation.js";
import { renderDetails, updatePanel } from "./details.js";
import { openCloseDialog, openTransferDialog } from "./dialogs.js";
import { config, els, hasFiles } from "./dom.js";
import { fmt, humanSize } from "./format.js";
import { bindOffers } from "./offers.js";
import { closeCanned, onCannedKeydown, updateCanned } from "./saved-replies.js";
import { state } from "./store.js";
import { S } from "./strings.js";
import { closeTab, onTabKeydown, selectTab } from "./tabs.js";
import { renderMessage, renderNote, renderPendingAll } from "./transcript.js";
import { startUploads } from "./uploads.js";

// The parts of a cloned template, by their data-part names.
function partsOf(node, dom) {
  Array.prototype.forEach.call(node.querySelectorAll("[data-part]"), function (part) {
    dom[part.getAttribute("data-part")] = part;
  });
  return dom;
}

function clone(templateId) {
  return document.getElementById(templateId).content.firstElementChild.cloneNode(true);
}

export function buildPanel(view) {
  var id = view.id;
  var tabId = "livechat-tab-" + id;
  var panelId = "livechat-panel-" + id;
  var replyId = "livechat-reply-" + id;
  var hintId = "livechat-reply-hint-" + id;
  var cannedId = "livechat-canned-" + id;
  var readOnlyId = "livechat-readonly-" + id;
  var attachHintId = "livechat-attach-hint-" + id;
  var dom = {};

  dom.tab = clone("livechat-console-tab");
  partsOf(dom.tab, dom);
  dom.tab.id = tabId;
  dom.tab.setAttribute("aria-controls", panelId);
  dom.tab.setAttribute("data-conversation", id);
  dom.tab.addEventListener("click", function () {
    selectTab(id);
  });
  dom.tab.addEventListener("keydown", onTabKeydown);

  dom.panel = clone("livechat-console-panel");
  partsOf(dom.panel, dom);
  dom.panel.id = panelId;
  dom.panel.setAttribute("aria-labelledby", tabId);

  dom.claim.addEventListener("click", function () {
    sendClaim(view, false);
  });
  dom.claimAnyway.addEventListener("click", function () {
    sendClaim(view, true);
  });
  dom.claimCancel.addEventListener("click", function () {
    dom.claimPrompt.hidden = true;
    dom.claim.focus();
  });
  dom.transfer.addEventListener("click", function () {
    openTransferDialog(view, dom.transfer);
  });
  dom.close.addEventListener("click", function () {
    openCloseDialog(view, dom.close);
  });
  if (dom.adminLink) {
    dom.adminLink.href = config.adminUrl.replace("{id}", String(id));
  }
  dom.closeTab.textContent = fmt(S.close_tab, { name: "" }).trim();
  dom.closeTab.addEventListener("click", function () {
    closeTab(id);
  });

  dom.log.addEventListener("scroll", function () {
    var log = dom.log;
    view.stickToBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 60;
  });
  dom.ratingTitleId = panelId + "-rating";
  dom.ratingTitle.id = dom.ratingTitleId;
  dom.rating.setAttribute("aria-labelledby", dom.ratingTitleId);

  var textarea = dom.textarea;
  textarea.id = replyId;
  textarea.setAttribute("aria-describedby", hintId);
  textarea.setAttribute("aria-controls", cannedId);
  textarea.addEventListener("input", function () {
    onComposerInput(view);
  });
  textarea.addEventListener("keydown", function (event) {
    if (onCannedKeydown(view, event)) {
      return;
    }
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      submitReply(view);
    }
  });
  textarea.addEventListener("click", function () {
    updateCanned(view);
  });
  textarea.addEventListener("blur", function () {
    stopTyping(view);
    closeCanned(view);
  });
  // A screenshot pasted into the reply box is sent as a file.
  textarea.addEventListener("paste", function (event) {
    var files = event.clipboardData && event.clipboardData.files;
    if (mayUpload(view) && files && files.length) {
      event.preventDefault();
      startUploads(view, files);
    }
  });
  textarea.value = state.drafts[id] || "";
  dom.cannedList.id = cannedId;
  dom.composerLabel.htmlFor = replyId;
  dom.noteToggle.addEventListener("click", function () {
    setNoteMode(view, !view.noteMode);
    textarea.focus();
  });
  dom.readOnly.id = readOnlyId;
  dom.hint.id = hintId;

  dom.fileInput.accept = UPLOAD_TYPES.join(",") + ",.png,.jpg,.jpeg,.gif,.webp,.pdf";
  dom.fileInput.addEventListener("change", function () {
    startUploads(view, dom.fileInput.files);
    dom.fileInput.value = "";
  });
  if (dom.attach) {
    dom.attach.setAttribute("aria-describedby", attachHintId);
    dom.attach.addEventListener("click", function () {
      dom.fileInput.click();
    });
    dom.attachHint.id = attachHintId;
    dom.attachHint.textContent = fmt(S.attach_hint, { size: humanSize(config.maxUpload) });
  }
  dom.composer.addEventListener("submit", function (event) {
    event.preventDefault();
    submitReply(view);
  });
  dom.composer.addEventListener("dragover", function (event) {
    if (mayUpload(view) && hasFiles(event)) {
      event.preventDefault();
      dom.composer.classList.add("livechat-composer--drop");
    }
  });
  dom.composer.addEventListener("dragleave", function () {
    dom.composer.classList.remove("livechat-composer--drop");
  });
  dom.composer.addEventListener("drop", function (event) {
    dom.composer.classList.remove("livechat-composer--drop");
    if (mayUpload(view) && hasFiles(event)) {
      event.preventDefault();
      startUploads(view, event.dataTransfer.files);
    }
  });

  dom.visitorTitle.id = panelId + "-visitor";
  dom.aside.setAttribute("aria-labelledby", dom.visitorTitle.id);
  dom.messageNodes = new Map(); // seq -> li
  dom.noteNodes = new Map(); // note id -> li
  view.dom = dom;
  bindChatActions(view);
  bindOffers(view);

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
