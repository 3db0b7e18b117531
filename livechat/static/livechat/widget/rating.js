/* The end of a chat: rate it Good or Bad, email the transcript, or start a new chat. */

import { button, h, say, show } from "./dom.js";
import { fill } from "../shared/format.js";

export const setupRating = (w) => {
  const { T, store } = w, S = store.state, F = store.form;
  const choices = ["good", "bad"].map((rating) => button(T[rating], () => {
    F.rating = rating;
    w.invalid(rateForm, {});
    w.render();
  }, "lc-btn", { "data-r": rating }));
  const rateForm = w.form([h("div", { class: "lc-row", role: "group", "aria-label": T.how }, ...choices), w.field("comment")], T.send_rating, (f) =>
    F.rating
      ? w.want(f, { type: "rate", conversation: S.conv, rating: F.rating, comment: F.comment || "" })
      : w.invalid(f, { rating: T.choose }));
  const mailForm = w.form([w.field("email", true, "email")], T.transcript, (f) =>
    w.want(f, { type: "transcript", conversation: S.conv, email: F.email }));
  const rated = h("p", { class: "lc-thanks" }, T.rated), mailed = h("p", { class: "lc-thanks" });
  const title = h("h3", {}, T.how), ended = h("p", { class: "lc-note" }, T.ended);
  const view = h("div", { class: "lc-end" }, ended, title, rateForm, rated, mailForm, mailed, button(T.new_chat, () => {
    w.resetChat();
    w.render();
    w.focusFirst();
  }));

  w.rating = {
    view,
    render() {
      const rate = S.status === "closed", last = S.msgs[S.msgs.length - 1];
      show(view, store.isClosed());
      // The server's own closing line says it already.
      show(ended, !last || last.sender !== "system");
      show(title, rate && !S.rated);
      show(rateForm, rate && !S.rated);
      show(rated, rate && S.rated);
      choices.forEach((b) => b.setAttribute("aria-pressed", F.rating === b.dataset.r));
      show(mailForm, !S.sentTo);
      say(mailed, S.sentTo && fill(T.sent_to, { email: S.sentTo }));
    },
  };
};
