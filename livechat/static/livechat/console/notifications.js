// Alerts: preferences, sound, desktop notifications, announcements of new chats and messages.
import { send } from "./connection.js";
import { OPEN_STATUSES, SOUND_GAP_MS, UNANSWERED } from "./constants.js";
import { els, root } from "./dom.js";
import { fmt, lang } from "./format.js";
import { concernsMe, isMine, isUnanswered, state, unreadOf, visitorName } from "./store.js";
import { S } from "./strings.js";
import { openConversation } from "./tabs.js";

export function onPreferences(frame) {
  state.preferences = { sound: frame.sound !== false, desktop: frame.desktop !== false };
  renderPreferences();
}

export function notificationPermission() {
  return "Notification" in window ? window.Notification.permission : "unsupported";
}

export function renderPreferences() {
  if (!els.prefSound) {
    return;
  }
  els.prefSound.checked = state.preferences.sound;
  els.prefDesktop.checked = state.preferences.desktop;
  els.prefSound.disabled = els.prefDesktop.disabled = !state.ready;
  var permission = notificationPermission();
  els.enableNotifications.hidden = !(state.preferences.desktop && permission === "default");
  var text = "";
  if (state.preferences.desktop) {
    text =
      permission === "unsupported"
        ? S.notifications_unsupported
        : permission === "denied"
        ? S.notifications_denied
        : permission === "default"
        ? S.notifications_ask
        : S.notifications_on;
  }
  if (els.alertsState.textContent !== text) {
    els.alertsState.textContent = text;
  }
}

export function askNotificationPermission() {
  if (notificationPermission() !== "default") {
    renderPreferences();
    return;
  }
  try {
    var asked = window.Notification.requestPermission(renderPreferences);
    if (asked && typeof asked.then === "function") {
      asked.then(renderPreferences, renderPreferences);
    }
  } catch (e) {
    renderPreferences();
  }
}

export function savePreferences() {
  state.preferences = { sound: els.prefSound.checked, desktop: els.prefDesktop.checked };
  send({ type: "preferences", sound: state.preferences.sound, desktop: state.preferences.desktop });
  renderPreferences();
}

export var audio = { context: null };

// Browsers start audio only after a user gesture: any key or click unlocks it,
// and an unlocked context keeps playing while the tab is in the background.
export function unlockAudio() {
  if (!state.preferences.sound) {
    return;
  }
  var AudioContextClass = window.AudioContext || window.webkitAudioContext;
  if (!AudioContextClass) {
    return;
  }
  try {
    if (!audio.context) {
      audio.context = new AudioContextClass();
    }
    if (audio.context.state === "suspended") {
      audio.context.resume();
    }
  } catch (e) {
    audio.context = null;
  }
}

// A short two-note chime, synthesised: no audio file to serve or cache.
export function playSound(force) {
  var now = Date.now();
  if (!force && now - state.lastSoundAt < SOUND_GAP_MS) {
    return;
  }
  state.lastSoundAt = now;
  unlockAudio();
  var context = audio.context;
  if (!context) {
    return;
  }
  try {
    var start = context.currentTime + 0.01;
    [
      [880, 0],
      [1318.5, 0.14],
    ].forEach(function (tone) {
      var oscillator = context.createOscillator();
      var gain = context.createGain();
      var at = start + tone[1];
      oscillator.type = "sine";
      oscillator.frequency.setValueAtTime(tone[0], at);
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.35);
      oscillator.connect(gain);
      gain.connect(context.destination);
      oscillator.start(at);
      oscillator.stop(at + 0.4);
    });
  } catch (e) {
    // No sound is better than a broken console.
  }
}

export function pageHidden() {
  return document.hidden || document.visibilityState === "hidden";
}

// The agent is looking at this conversation right now.
export function inFocus(id) {
  return state.active === id && !pageHidden() && document.hasFocus();
}

// Desktop notifications only when the console is hidden or in the background:
// while the agent looks at it, the inbox, the tab badges and the sound say it.
export function showDesktopNotification(options) {
  if (notificationPermission() !== "granted" || (!pageHidden() && document.hasFocus())) {
    return;
  }
  try {
    var notification = new window.Notification(options.title, {
      body: String(options.body || "").slice(0, 200),
      tag: "livechat-" + options.id,
      lang: lang,
    });
    notification.onclick = function () {
      window.focus();
      openConversation(options.id);
      if (typeof notification.close === "function") {
        notification.close();
      }
    };
  } catch (e) {
    // Some browsers (Chrome on Android) allow them only from a service worker.
  }
}

export function alertAgent(options) {
  if (state.preferences.sound) {
    playSound(false);
  }
  if (state.preferences.desktop) {
    showDesktopNotification(options);
  }
}

export var announceTimer = null;

export function announce(text) {
  // Emptied first so the same words twice are announced twice.
  els.announcer.textContent = "";
  clearTimeout(announceTimer);
  announceTimer = setTimeout(function () {
    els.announcer.textContent = text;
  }, 100);
}

// What a changed summary means for the agent: a shopper newly in the queue, a
// chat the router gave them, a message in one of their chats.
export function noticeChanges(old, summary, hasNews) {
  var id = summary.id;
  var name = visitorName(id);
  if (isUnanswered(summary)) {
    if (!state.knownWaiting.has(id)) {
      state.knownWaiting.add(id);
      state.notifiedSeq.set(id, summary.last_seq || 0);
      announce(fmt(S.new_waiting, { name: name }));
      alertAgent({ id: id, title: fmt(S.new_waiting, { name: name }), body: summary.preview || "" });
    } else if (old) {
      noticeMessage(summary, old, hasNews);
    }
    return;
  }
  state.knownWaiting.delete(id);
  if (
    isMine(summary) &&
    // Out of the queue: a transfer from a colleague has its own frame.
    (old === null || (!isMine(old) && UNANSWERED.indexOf(old.status) !== -1)) &&
    OPEN_STATUSES.indexOf(summary.status) !== -1 &&
    !state.claiming.has(id) &&
    !state.transferred.has(id)
  ) {
    // Given by the router (auto routing): open it beside the current chat.
    state.notifiedSeq.set(id, summary.last_seq || 0);
    announce(fmt(S.new_assigned, { name: name }));
    openConversation(id, true);
    alertAgent({ id: id, title: fmt(S.new_assigned, { name: name }), body: summary.preview || "" });
    return;
  }
  if (old) {
    noticeMessage(summary, old, hasNews);
  }
}

// A new message (the summary's last_seq grew past what was alerted) in a chat
// that concerns this agent and is not the one in front of them.
export function noticeMessage(summary, old, hasNews) {
  var seq = summary.last_seq || 0;
  var grew = old === null || seq > (old.last_seq || 0);
  if (!hasNews || !grew || !concernsMe(summary) || seq <= (state.notifiedSeq.get(summary.id) || 0)) {
    return;
  }
  // The agent's own replies advance agent_read_seq: nothing unread, no alert.
  if (unreadOf(summary) <= 0) {
    return;
  }
  state.notifiedSeq.set(summary.id, seq);
  if (inFocus(summary.id)) {
    return;
  }
  var name = visitorName(summary.id);
  if (state.active !== summary.id || pageHidden()) {
    announce(fmt(S.new_message, { name: name }));
  }
  alertAgent({ id: summary.id, title: fmt(S.new_message, { name: name }), body: summary.preview || "" });
}

// Runs once at boot: the alert switches.
export function initNotifications() {
  // Any key, click or focus may unlock the audio (see unlockAudio).
  document.addEventListener("keydown", unlockAudio, true);
  document.addEventListener("pointerdown", unlockAudio, true);
  window.addEventListener("focus", unlockAudio);
  root.addEventListener("focusin", unlockAudio);
  if (els.prefSound) {
    els.prefSound.addEventListener("change", function () {
      savePreferences();
      if (state.preferences.sound) {
        unlockAudio();
        playSound(true); // so the agent hears what it will sound like
      }
    });
    els.prefDesktop.addEventListener("change", function () {
      savePreferences();
      if (state.preferences.desktop) {
        askNotificationPermission(); // a click: browsers only ask on a user gesture
      }
    });
    els.enableNotifications.addEventListener("click", askNotificationPermission);
  }
}
