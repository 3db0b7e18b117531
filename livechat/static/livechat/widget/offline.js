/* The offline state: the "leave us a message" form, its thanks, and the note the store set. */

import { h, say, show } from "./dom.js";
import { newClientId } from "../shared/outbox.js";
import { fill } from "../shared/format.js";

export const setupOffline = (w) => {
  const { T, store } = w, F = store.form, S = store.state;

  const offForm = w.form([...w.profile({ name: "optional", email: "required" }), w.field("body", true)], T.send_message, (f) => {
    const item = { ...w.values(f, ["name", "email"]), client_id: newClientId(), body: F.body, topic: F.topic };
    // Kept until offline_ack: a reload or a dropped socket resends it (idempotent by client_id).
    store.offline = item;
    w.want(f, w.client.ready && { type: "offline_message", ...item });
  });
  const thanks = h("p", { class: "lc-thanks", tabindex: -1 });
  const note = h("p", { class: "lc-note" });
  const view = h("div", {}, h("h3", {}, T.leave_title), note, offForm, thanks);

  w.offline = {
    view,
    form: offForm,
    render() {
      const a = w.availability;
      say(note, !a.available && a.note);
      show(offForm, !S.sentOff);
      say(thanks, S.sentOff && T.thanks + (S.sentOff.n ? " " + fill(T.next_open, { when: w.formats.when(S.sentOff.n) }) : ""));
    },
    acknowledged(frame) {
      const item = store.offline;
      if (!item || item.client_id !== frame.client_id) return;
      store.offline = null;
      S.sentOff = { n: frame.next_open };
      F.body = "";
      w.awaiting = offForm;
      w.answered();
      thanks.focus();
    },
  };
};
