/* The end of a chat: rate it Good or Bad, email the transcript, or start a new chat. */

import { say, show } from "./dom.js";
import { fill } from "../shared/format.js";

export const setupRating = (w) => {
  const { T, store } = w, S = store.state, F = store.form;
  const view = w.ui(".lc-end"), [ended, title, rateForm, rated, mailForm, mailed, newChat] = view.children;
  const choices = [...rateForm.querySelectorAll("[data-r]")];
  for (const choice of choices) {
    choice.onclick = () => {
      F.rating = choice.dataset.r;
      w.invalid(rateForm, {});
      w.render();
    };
  }
  w.form(rateForm, (f) =>
    F.rating
      ? w.want(f, { type: "rate", conversation: S.conv, rating: F.rating, comment: F.comment || "" })
      : w.invalid(f, { rating: T.choose }));
  w.form(mailForm, (f) => w.want(f, { type: "transcript", conversation: S.conv, email: F.email }));
  newChat.onclick = () => {
    w.resetChat();
    w.render();
    w.focusFirst();
  };

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
