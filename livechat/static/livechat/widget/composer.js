/* The message box: sending (through the outbox), the draft kept per tab, typing signals, Enter to send. */

import { newClientId } from "../shared/outbox.js";

const TYPING_EVERY = 3000;
const TYPING_IDLE = 4000;

export const setupComposer = (w) => {
  const { store } = w, S = store.state, F = store.form;
  const view = w.ui(".lc-form"), input = view.querySelector("textarea");
  input.value = store.draft;
  let typingSent = 0, idleTimer;

  const autosize = () => {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 120) + "px";
  };

  // The agent sees "typing" until we say stop; `draft`: words left unsent.
  const stopTyping = () => {
    clearTimeout(idleTimer);
    if (typingSent) w.client.send({ type: "typing", active: false, draft: !!input.value.trim() });
    typingSent = 0;
  };

  const setText = (text) => {
    input.value = text;
    store.draft = text;
    autosize();
  };

  const submit = () => {
    const body = input.value.trim();
    if (!body) return;
    const first = S.conv == null;
    const item = { client_id: newClientId(), body, topic: first ? F.topic : undefined, invitation: first ? S.invId : undefined };
    w.messages.showPending(item);
    setText("");
    stopTyping();
    w.client.post(item);
    w.render();
  };

  view.onsubmit = (event) => {
    event.preventDefault();
    submit();
    input.focus();
  };
  input.onkeydown = (event) => {
    // Enter also confirms an IME candidate (Chinese, Japanese...).
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      submit();
    }
  };
  // A picture pasted into the box is sent as the paper clip sends it.
  input.onpaste = (event) => {
    const files = [...((event.clipboardData && event.clipboardData.files) || [])];
    if (!files.length || !w.config.upload_url) return;
    event.preventDefault();
    files.forEach(w.uploads.upload);
  };
  input.oninput = () => {
    const now = Date.now();
    store.draft = input.value;
    autosize();
    if (!input.value.trim()) return stopTyping();
    if (w.client.ready && S.conv && !store.isClosed() && now - typingSent > TYPING_EVERY) {
      typingSent = now;
      w.client.send({ type: "typing", active: true });
    }
    clearTimeout(idleTimer);
    idleTimer = setTimeout(stopTyping, TYPING_IDLE);
  };

  w.composer = { view, input, autosize, setText };
};
