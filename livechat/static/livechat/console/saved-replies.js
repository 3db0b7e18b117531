// Saved (canned) replies: the '/' listbox in the composer.
import { onComposerInput } from "./composer.js";
import { config, el } from "./dom.js";
import { fmt } from "./format.js";
import { cannedChoices, state } from "./store.js";
import { S } from "./strings.js";

// The "/word" being typed at the start of the composer, or null.
export function cannedWord(view) {
  var textarea = view.dom.textarea;
  var value = textarea.value;
  if (value.charAt(0) !== "/" || textarea.selectionStart !== textarea.selectionEnd) {
    return null;
  }
  var word = /^\/[^\s/]*/.exec(value)[0];
  return textarea.selectionEnd <= word.length ? word : null;
}

export function fillPlaceholders(body, view) {
  var summary = state.summaries.get(view.id) || {};
  var values = {
    // The name they gave (not the "Visitor 1a2b3c4d" label used when none).
    visitor_name: (summary.visitor && (summary.visitor.given_name || "")) || "",
    agent_name: state.me.name || config.agentName,
    store_name: config.storeName,
  };
  return String(body).replace(/\{(visitor_name|agent_name|store_name)\}/g, function (match, key) {
    return values[key];
  });
}

export function updateCanned(view) {
  if (!view.dom) {
    return;
  }
  var word = state.canned.length && !view.dom.textarea.disabled ? cannedWord(view) : null;
  if (word === null) {
    view.cannedDismissed = null;
  }
  if (word === null || word === view.cannedDismissed) {
    closeCanned(view);
    return;
  }
  var items = cannedChoices(view, word.slice(1));
  var previous = view.canned;
  var index = 0;
  if (previous && previous.items[previous.index]) {
    var keep = previous.items[previous.index].reply.id;
    items.forEach(function (item, i) {
      if (item.reply.id === keep) {
        index = i;
      }
    });
  }
  view.canned = { items: items, index: index, word: word };
  renderCanned(view);
}

export function renderCanned(view) {
  var dom = view.dom;
  var canned = view.canned;
  dom.cannedList.textContent = "";
  if (!canned || !canned.items.length) {
    dom.cannedList.hidden = true;
    dom.textarea.removeAttribute("aria-activedescendant");
    setCannedStatus(view, canned ? S.canned_none : "");
    return;
  }
  canned.items.forEach(function (item, i) {
    var reply = item.reply;
    var optionId = "livechat-canned-" + view.id + "-" + i;
    var selected = i === canned.index;
    var option = el(
      "li",
      {
        id: optionId,
        role: "option",
        className: "livechat-canned__option",
        "aria-selected": selected ? "true" : "false",
        // Keep the focus (and the caret) in the textarea.
        onmousedown: function (event) {
          event.preventDefault();
        },
        onclick: function () {
          pickCanned(view, i);
        },
      },
      el(
        "span",
        { className: "livechat-canned__head" },
        el("span", { className: "livechat-canned__title", text: reply.title || reply.shortcut }),
        reply.shortcut ? el("span", { className: "livechat-canned__shortcut", text: "/" + reply.shortcut }) : null,
        item.rank === 2 ? el("span", { className: "livechat-tag", text: reply.language }) : null
      ),
      el("span", { className: "livechat-canned__body", text: fillPlaceholders(reply.body, view).slice(0, 140) })
    );
    dom.cannedList.append(option);
    if (selected) {
      dom.textarea.setAttribute("aria-activedescendant", optionId);
    }
  });
  dom.cannedList.hidden = false;
  var selectedNode = dom.cannedList.children[canned.index];
  if (selectedNode && selectedNode.scrollIntoView) {
    selectedNode.scrollIntoView({ block: "nearest" });
  }
  setCannedStatus(view, fmt(canned.items.length === 1 ? S.canned_count_one : S.canned_count_other, { count: canned.items.length }));
}

export function setCannedStatus(view, text) {
  if (view.dom.cannedStatus.textContent !== text) {
    view.dom.cannedStatus.textContent = text;
  }
}

export function closeCanned(view) {
  if (!view.dom) {
    return;
  }
  view.canned = null;
  view.dom.cannedList.hidden = true;
  view.dom.cannedList.textContent = "";
  view.dom.textarea.removeAttribute("aria-activedescendant");
  setCannedStatus(view, "");
}

// Arrow keys move, Enter or Tab insert, Escape dismisses. True when handled.
export function onCannedKeydown(view, event) {
  var canned = view.canned;
  if (!canned || !canned.items.length || event.isComposing) {
    return false;
  }
  var count = canned.items.length;
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    canned.index = (canned.index + (event.key === "ArrowDown" ? 1 : count - 1)) % count;
    renderCanned(view);
  } else if ((event.key === "Enter" && !event.shiftKey) || (event.key === "Tab" && !event.shiftKey)) {
    pickCanned(view, canned.index);
  } else if (event.key === "Escape") {
    view.cannedDismissed = canned.word;
    closeCanned(view);
    // Nothing else (an open dialog, the admin) should act on this Escape.
    event.stopPropagation();
  } else {
    return false;
  }
  event.preventDefault();
  return true;
}

export function pickCanned(view, index) {
  var canned = view.canned;
  var item = canned && canned.items[index];
  if (!item) {
    return;
  }
  var textarea = view.dom.textarea;
  var text = fillPlaceholders(item.reply.body, view);
  textarea.value = text + textarea.value.slice(canned.word.length);
  textarea.setSelectionRange(text.length, text.length);
  closeCanned(view);
  // A reply that itself starts with "/" must not reopen the picker.
  var again = /^\/[^\s/]*/.exec(text);
  view.cannedDismissed = again ? again[0] : null;
  onComposerInput(view);
  view.cannedUsed = item.reply.id; // the reply sent says it was written from it
  setCannedStatus(view, S.canned_inserted);
  textarea.focus();
}

