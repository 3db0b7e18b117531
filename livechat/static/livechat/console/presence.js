// The agent's presence choice (online, away, offline) and its confirmation.
import { send } from "./connection.js";
import { PRESENCES, PRESENCE_TIMEOUT_MS } from "./constants.js";
import { els } from "./dom.js";
import { state } from "./store.js";
import { S } from "./strings.js";

export var presenceRadios = els.presence
  ? Array.prototype.slice.call(els.presence.querySelectorAll("input[type=radio]"))
  : [];

export function renderPresence() {
  if (!els.presence) {
    return;
  }
  var shown = state.presencePending || state.presence;
  presenceRadios.forEach(function (radio) {
    radio.checked = radio.value === shown;
    // Without a socket the choice could not be sent, and would not count anyway.
    radio.disabled = !state.ready;
  });
  els.presence.setAttribute("data-presence", state.presence);
  var text = state.presencePending
    ? S.presence_saving
    : state.presenceFailed
    ? S.presence_not_saved
    : S["presence_is_" + state.presence] || "";
  if (els.presenceState.textContent !== text) {
    els.presenceState.textContent = text;
  }
  els.presenceState.className =
    "livechat-presence__state livechat-presence__state--" +
    (state.presencePending ? "saving" : state.presenceFailed ? "failed" : state.presence);
}

export function askPresence(status) {
  if (PRESENCES.indexOf(status) === -1) {
    return;
  }
  if (status === state.presence && !state.presencePending) {
    renderPresence();
    return;
  }
  if (!state.ready || !send({ type: "presence", status: status })) {
    renderPresence();
    return;
  }
  state.presencePending = status;
  state.presenceFailed = false;
  clearTimeout(state.presenceTimer);
  state.presenceTimer = setTimeout(presenceNotConfirmed, PRESENCE_TIMEOUT_MS);
  renderPresence();
}

export function presenceNotConfirmed() {
  clearTimeout(state.presenceTimer);
  if (state.presencePending) {
    state.presencePending = null;
    state.presenceFailed = true;
  }
  renderPresence();
}

export function onPresence(frame) {
  if (PRESENCES.indexOf(frame.status) === -1) {
    return;
  }
  state.presence = frame.status;
  // A quicker second click is still on its way: keep showing it as pending.
  if (!state.presencePending || state.presencePending === frame.status) {
    state.presencePending = null;
    clearTimeout(state.presenceTimer);
  }
  state.presenceFailed = false;
  renderPresence();
}

// Runs once at boot: the status radios.
export function initPresence() {
  presenceRadios.forEach(function (radio) {
    radio.addEventListener("change", function () {
      if (radio.checked) {
        askPresence(radio.value);
      }
    });
  });
}
