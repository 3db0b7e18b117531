// Keyboard: the console's shortcuts (Alt+N/C/T/R, "?"), the help dialog listing them, the composer's focus.
import { onComposerInput } from "./composer.js";
import { openCloseDialog, openTransferDialog } from "./dialogs.js";
import { els } from "./dom.js";
import { announce } from "./notifications.js";
import { groups, shownUnread, state } from "./store.js";
import { S } from "./strings.js";
import { openConversation } from "./tabs.js";

var helpOpener = null;

// Where an agent lands in a chat just opened: the reply box, or the
// transcript when they cannot write (a closed chat, someone else's).
export function focusComposer(view) {
  var dom = view && view.dom;
  if (!dom) {
    return;
  }
  if (!dom.composer.hidden && !dom.textarea.disabled) {
    dom.textarea.focus();
  } else {
    dom.log.focus();
  }
}

// Typing there must never trigger a single-key shortcut.
function isTextField(node) {
  if (!node || !node.tagName) {
    return false;
  }
  var tag = node.tagName.toLowerCase();
  if (tag === "textarea" || tag === "select" || node.isContentEditable) {
    return true;
  }
  return tag === "input" && ["checkbox", "radio", "button", "submit", "reset"].indexOf(node.type) === -1;
}

function anyDialogOpen() {
  return !!document.querySelector("#livechat-console dialog[open]");
}

function activeView() {
  var view = state.active !== null ? state.views.get(state.active) : null;
  return view && view.dom ? view : null;
}

// Where Alt+N goes: the agent's own chats with unread messages first (a
// shopper answered them), then the queue (nobody has read those), oldest
// first, after the one on screen, round again from the top.
export function nextUnread() {
  var grouped = groups();
  var mine = grouped.mine.filter(function (summary) {
    return summary.id !== state.active && shownUnread(summary) > 0;
  });
  if (mine.length) {
    return mine[0].id;
  }
  var queue = grouped.waiting.concat(grouped.missed).map(function (summary) {
    return summary.id;
  });
  var at = queue.indexOf(state.active);
  for (var i = 1; i <= queue.length; i++) {
    var id = queue[(at + i) % queue.length];
    if (id !== state.active) {
      return id;
    }
  }
  return null;
}

function goToNextUnread() {
  var id = nextUnread();
  if (id === null) {
    announce(S.no_unread);
    return;
  }
  openConversation(id);
}

// "/" at the start of the reply box opens the saved replies; a draft is kept
// after it, so the reply picked goes before it.
function openSavedReplies(view) {
  var textarea = view.dom.textarea;
  if (view.dom.composer.hidden || textarea.disabled || !state.canned.length) {
    announce(S.no_saved_replies);
    return;
  }
  textarea.focus();
  if (textarea.value.charAt(0) !== "/") {
    textarea.value = textarea.value ? "/ " + textarea.value : "/";
  }
  textarea.setSelectionRange(1, 1);
  onComposerInput(view);
}

function runChatShortcut(letter, view, event) {
  if (letter === "c" && !view.dom.close.hidden && !view.dom.close.disabled) {
    openCloseDialog(view, document.activeElement);
  } else if (letter === "t" && !view.dom.transfer.hidden && !view.dom.transfer.disabled) {
    openTransferDialog(view, document.activeElement);
  } else if (letter === "r") {
    openSavedReplies(view);
  } else {
    return;
  }
  event.preventDefault();
}

// Alt+letter, by the key's place (a Mac's Option+N types "˜" in event.key).
function altLetter(event) {
  if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) {
    return null;
  }
  var match = /^Key([A-Z])$/.exec(event.code || "");
  return match ? match[1].toLowerCase() : String(event.key || "").toLowerCase();
}

function onKeydown(event) {
  if (event.defaultPrevented || event.isComposing) {
    return;
  }
  var letter = altLetter(event);
  if (letter && !anyDialogOpen()) {
    if (letter === "n") {
      event.preventDefault();
      goToNextUnread();
      return;
    }
    var view = activeView();
    if (view) {
      runChatShortcut(letter, view, event);
    }
    return;
  }
  if (event.key === "?" && !event.altKey && !event.ctrlKey && !event.metaKey && !isTextField(event.target) && !anyDialogOpen()) {
    event.preventDefault();
    openHelp(document.activeElement);
  }
}

export function openHelp(opener) {
  if (!els.helpDialog || typeof els.helpDialog.showModal !== "function" || els.helpDialog.open) {
    return;
  }
  helpOpener = opener || null;
  els.helpDialog.showModal();
}

var FOCUSABLE = "button, [href], input, select, textarea, [tabindex]:not([tabindex='-1'])";

// A modal dialog makes the page behind it inert, but Tab from its last
// control leaves for the browser's own controls: it goes round inside instead.
function trapFocus(dialog) {
  dialog.addEventListener("keydown", function (event) {
    if (event.key !== "Tab") {
      return;
    }
    var items = Array.prototype.filter.call(dialog.querySelectorAll(FOCUSABLE), function (node) {
      return !node.disabled && node.getClientRects().length > 0;
    });
    if (!items.length) {
      return;
    }
    var first = items[0];
    var last = items[items.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  });
}

// Runs once at boot: the shortcuts, the help dialog and its button.
export function initKeyboard() {
  document.addEventListener("keydown", onKeydown);
  Array.prototype.forEach.call(document.querySelectorAll("#livechat-console dialog"), trapFocus);
  if (els.closeDialog && els.closeForm) {
    // A chat closed from its dialog loses its reply box and its Close button,
    // where the focus would go back to: its transcript takes it (after the
    // dialogs' own "close" handler, registered first).
    var closing = false;
    els.closeForm.addEventListener("submit", function () {
      closing = true;
    });
    els.closeDialog.addEventListener("close", function () {
      var view = activeView();
      if (closing && view) {
        view.dom.log.focus();
      }
      closing = false;
    });
  }
  if (!els.helpDialog) {
    return;
  }
  els.helpButton.addEventListener("click", function () {
    openHelp(els.helpButton);
  });
  els.helpClose.addEventListener("click", function () {
    els.helpDialog.close();
  });
  // The native modal dialog keeps the focus inside and closes on Escape;
  // the focus goes back to where the agent was.
  els.helpDialog.addEventListener("close", function () {
    var opener = helpOpener;
    helpOpener = null;
    if (opener && opener !== document.body && document.contains(opener)) {
      opener.focus();
    }
  });
}
