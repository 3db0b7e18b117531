/* The offline state: the "leave us a message" form, its thanks, and the note the store set. */

import { h, say, show } from "./dom.js";
import { newClientId } from "../shared/outbox.js";
import { fill } from "../shared/format.js";

// The store's other channels (config.contact: phone, email, note; any may be
// missing): chat is one way to reach the store, never the only one shown.
const contactCard = (T, contact) => {
  const phone = (contact.phone || "").trim(), email = (contact.email || "").trim(), note = (contact.note || "").trim();
  const dial = phone.replace(/[^\d+]/g, "");
  const lines = [
    dial && h("p", {}, T.phone + ": ", h("a", { href: "tel:" + dial }, phone)),
    /^[^\s@:/?#]+@[^\s@:/?#]+$/.test(email) && h("p", {}, T.email + ": ", h("a", { href: "mailto:" + email }, email)),
    note && h("p", { dir: "auto" }, note),
  ].filter(Boolean);
  return lines.length ? h("div", { class: "lc-contact", role: "group", "aria-label": T.other_ways }, h("h3", {}, T.other_ways), ...lines) : null;
};

export const setupOffline = (w) => {
  const { T, store } = w, F = store.form, S = store.state;
  w.contactCard = () => contactCard(T, w.config.contact || {});

  const view = w.ui(".lc-offline"), [, note, offForm, thanks] = view.children;
  w.form(offForm, (f) => {
    const item = { ...w.values(f, ["name", "email"]), client_id: newClientId(), body: F.body, topic: F.topic };
    // Kept until offline_ack: a reload or a dropped socket resends it (idempotent by client_id).
    store.offline = item;
    w.want(f, w.client.ready && { type: "offline_message", ...item });
  });
  const card = w.contactCard();
  if (card) view.append(card);

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
