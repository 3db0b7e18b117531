/* Waiting for an agent: the place in the queue, and after LIVECHAT_NO_REPLY_TIMEOUT the offer to answer by email. */

import { say, show } from "./dom.js";
import { fill } from "../shared/format.js";

export const setupWaiting = (w) => {
  const { T, store, config } = w, S = store.state, F = store.form;
  const queue = w.ui(".lc-queue"), busy = w.ui(".lc-busy"), [busyText, busyForm, busyEdit] = busy.children;
  let editing = false, waitedTooLong = false, timer;
  w.form(busyForm, (f) => w.want(f, { type: "profile", email: F.email }));
  busyEdit.onclick = () => {
    editing = true;
    w.render();
    busyForm.elements.email.focus();
  };
  const card = w.contactCard();
  if (card) busy.append(card);

  // Re-evaluated on every message and on a timer at the moment the wait runs out.
  const check = () => {
    clearTimeout(timer);
    const left = store.waitLeft(Date.now(), config.no_reply * 1000);
    waitedTooLong = left != null && left <= 0;
    if (left > 0) timer = setTimeout(check, left + 100);
    w.render();
  };

  w.waiting = {
    form: busyForm,
    check,
    render() {
      const q = S.status === "waiting" && w.queue && w.queue.conversation === S.conv && w.queue;
      const minutes = q && q.expected_wait != null && w.formats.minutes(Math.max(1, Math.round(q.expected_wait / 60)));
      say(queue, q && (q.position < 2 ? T.next : fill(minutes ? T.queue_wait : T.queue, { position: q.position, wait: minutes })));
      show(busy, waitedTooLong);
      const mail = S.busyMail || S.mail, asking = !mail || editing;
      say(busyText, asking ? T.busy : fill(S.busyMail ? T.busy_saved : T.busy_known, { email: mail }));
      show(busyForm, asking);
      show(busyEdit, !asking);
    },
    // The profile frame answered the email form.
    saved(visitor) {
      S.busyMail = (visitor || {}).email || F.email;
      editing = false;
    },
  };
};
