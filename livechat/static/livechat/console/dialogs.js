// The transfer and close dialogs.
import { showAlert } from "./banner.js";
import { send } from "./connection.js";
import { TRANSFER_TIMEOUT_MS } from "./constants.js";
import { config, el, els } from "./dom.js";
import { fmt } from "./format.js";
import { showNotice } from "./notices.js";
import { loadOf, state, visitorName } from "./store.js";
import { S } from "./strings.js";

export var TRANSFER_ERRORS = [
  "agent_unavailable",
  "agent_full",
  "forbidden",
  "conversation_closed",
  "not_found",
  "bad_frame",
  "too_large",
  "unavailable",
  "server_error",
];

export var dialogState = { transferView: null, closeView: null, opener: null };

export function dialogsSupported() {
  return !!(els.transferDialog && typeof els.transferDialog.showModal === "function");
}

export function choice(value, label, extra, disabled) {
  return el(
    "label",
    { className: "livechat-choice" + (disabled ? " livechat-choice--disabled" : "") },
    el("input", { type: "radio", name: "livechat-transfer-target", value: value, "data-label": label, disabled: disabled }),
    " ",
    el("span", { className: "livechat-choice__name", text: label }),
    extra
  );
}

export function renderTransferChoices() {
  var checked = els.transferForm.querySelector("input[name=livechat-transfer-target]:checked");
  var keep = checked ? checked.value : null;
  var summary = state.summaries.get(dialogState.transferView) || {};
  els.transferAgents.textContent = "";
  var agents = state.board.filter(function (agent) {
    return agent && agent.present && agent.id !== state.me.id && !(summary.agent && summary.agent.id === agent.id);
  });
  agents.forEach(function (agent) {
    var open = loadOf(agent.id);
    var max = Number(agent.max_chats) || 0;
    var full = max > 0 && open >= max;
    els.transferAgents.append(
      choice(
        "agent:" + agent.id,
        agent.name,
        el(
          "span",
          { className: "livechat-choice__load" },
          " ",
          fmt(S.transfer_load, { open: open, max: max || "?" }),
          full ? el("span", { className: "livechat-tag livechat-tag--long", text: S.transfer_full }) : null
        ),
        full
      )
    );
  });
  if (!agents.length) {
    els.transferAgents.append(el("p", { className: "livechat-dialog__empty", text: S.transfer_no_agents }));
  }
  els.transferDepartments.textContent = "";
  state.departments.forEach(function (department) {
    if (department && typeof department.id === "number") {
      els.transferDepartments.append(choice("department:" + department.id, department.name, null, false));
    }
  });
  els.transferDepartmentsGroup.hidden = !state.departments.length;
  if (keep) {
    var again = els.transferForm.querySelector('input[name=livechat-transfer-target][value="' + keep + '"]');
    if (again && !again.disabled) {
      again.checked = true;
    }
  }
}

export function openTransferDialog(view, opener) {
  if (!dialogsSupported() || els.transferDialog.open) {
    return;
  }
  dialogState.transferView = view.id;
  dialogState.opener = opener;
  els.transferTitle.textContent = fmt(S.transfer_title, { name: visitorName(view.id) });
  els.transferError.textContent = "";
  els.transferNote.value = "";
  els.transferSubmit.disabled = false;
  els.transferSubmit.textContent = S.transfer_submit;
  els.transferForm.reset();
  renderTransferChoices();
  els.transferDialog.showModal();
}

export function submitTransfer(event) {
  event.preventDefault();
  if (state.transfer) {
    return;
  }
  var id = dialogState.transferView;
  var checked = els.transferForm.querySelector("input[name=livechat-transfer-target]:checked");
  if (!checked) {
    els.transferError.textContent = S.transfer_choose;
    return;
  }
  var note = els.transferNote.value.trim();
  if (note.length > config.maxLength) {
    els.transferError.textContent = fmt(S.too_long, { limit: config.maxLength });
    return;
  }
  var target = checked.value.split(":");
  var frame = { type: "transfer", conversation: id, note: note };
  frame[target[0]] = Number(target[1]);
  if (!state.ready || !send(frame)) {
    els.transferError.textContent = S.transfer_lost;
    return;
  }
  state.transfer = {
    conversation: id,
    label: checked.getAttribute("data-label") || "",
    agent: target[0] === "agent" ? Number(target[1]) : null,
    timer: setTimeout(function () {
      transferFailed(S.transfer_timeout);
    }, TRANSFER_TIMEOUT_MS),
  };
  els.transferError.textContent = "";
  els.transferSubmit.disabled = true;
  els.transferSubmit.textContent = S.transfer_sending;
}

export function onTransferDone(frame) {
  var pending = state.transfer;
  if (!pending || pending.conversation !== frame.conversation) {
    return;
  }
  clearTimeout(pending.timer);
  state.transfer = null;
  if (els.transferDialog.open) {
    els.transferDialog.close();
  }
  showNotice({
    kind: "success",
    text: fmt(S.transfer_done, { name: visitorName(frame.conversation), to: pending.label }),
    timeout: 8000,
  });
}

export function transferRefused(frame) {
  var pending = state.transfer;
  var to = pending ? pending.label : "";
  var texts = {
    agent_unavailable: fmt(S.transfer_agent_unavailable, { to: to }),
    agent_full: fmt(S.transfer_agent_full, { to: to }),
    forbidden: S.transfer_forbidden,
    conversation_closed: S.transfer_closed,
  };
  if (frame.code === "agent_unavailable" && pending && pending.agent !== null) {
    // What the server knows now beats the board from connect time.
    state.board.forEach(function (agent) {
      if (agent.id === pending.agent) {
        agent.present = false;
      }
    });
  }
  transferFailed(texts[frame.code] || fmt(S.error, { message: frame.message || frame.code }));
}

export function transferFailed(text) {
  if (!state.transfer) {
    return;
  }
  clearTimeout(state.transfer.timer);
  state.transfer = null;
  els.transferSubmit.disabled = false;
  els.transferSubmit.textContent = S.transfer_submit;
  if (els.transferDialog.open) {
    renderTransferChoices();
    els.transferError.textContent = text;
  } else {
    showAlert(text);
  }
}

export function renderCloseTags() {
  if (!els.closeTag) {
    return;
  }
  while (els.closeTag.options.length > 1) {
    els.closeTag.remove(1);
  }
  state.closeTags.forEach(function (tag) {
    if (tag && typeof tag.key === "string") {
      els.closeTag.append(el("option", { value: tag.key, text: tag.label || tag.key }));
    }
  });
}

export function openCloseDialog(view, opener) {
  if (!dialogsSupported()) {
    send({ type: "close", conversation: view.id });
    return;
  }
  if (els.closeDialog.open) {
    return;
  }
  dialogState.closeView = view.id;
  dialogState.opener = opener;
  els.closeTitle.textContent = fmt(S.close_title, { name: visitorName(view.id) });
  els.closeTag.value = "";
  els.closeDialog.showModal();
}

export function submitClose(event) {
  event.preventDefault();
  var frame = { type: "close", conversation: dialogState.closeView };
  if (els.closeTag.value) {
    frame.tag = els.closeTag.value;
  }
  if (!state.ready || !send(frame)) {
    showAlert(fmt(S.error, { message: S.queued }));
  }
  els.closeDialog.close();
}

export function onDialogClosed() {
  var opener = dialogState.opener;
  dialogState.opener = null;
  // Back where the agent was (the native dialog may not do it everywhere).
  if (opener && document.contains(opener) && !opener.hidden) {
    opener.focus();
  } else if (state.active !== null) {
    var view = state.views.get(state.active);
    if (view && view.dom && !view.dom.textarea.disabled) {
      view.dom.textarea.focus();
    }
  }
}

// Runs once at boot: the dialogs' forms and cancel buttons.
export function initDialogs() {
  if (dialogsSupported()) {
    els.transferForm.addEventListener("submit", submitTransfer);
    els.closeForm.addEventListener("submit", submitClose);
    [els.transferDialog, els.closeDialog].forEach(function (dialog) {
      dialog.addEventListener("close", onDialogClosed);
      Array.prototype.forEach.call(dialog.querySelectorAll("[data-role=dialog-cancel]"), function (button) {
        button.addEventListener("click", function () {
          dialog.close();
        });
      });
    });
  }
}
