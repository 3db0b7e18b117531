/* The proactive invitation bubble: only while someone can answer, once per cooldown, never once dismissed. */

import { button, closeButton, h } from "./dom.js";
import { fill } from "../shared/format.js";

export const setupInvitation = (w) => {
  const { T, config, store } = w, S = store.state, local = store.local;
  // Empty, not hidden: a live region must exist before it speaks.
  const bubble = w.ui(".lc-invite");
  const invitation = config.invitation;

  const offer = () => {
    const dismissed = "livechat:dismissed:" + invitation.id;
    const cooldown = invitation.cooldown_days * 864e5;
    if (w.isOpen || S.conv != null || !w.availability.available || local.get(dismissed) || Date.now() - local.get("livechat:invited", 0) < cooldown) return;
    local.set("livechat:invited", Date.now());
    // The rule's offer (a coupon code), also kept in the panel's greeting.
    const offer = invitation.offer && fill(T.offer, invitation.offer);
    bubble.replaceChildren(h("p", { dir: "auto" }, invitation.message), offer && h("p", { dir: "auto" }, h("strong", {}, offer)),
      button(T.open, () => {
        S.inv = invitation.message + (offer ? " " + offer : "");
        // The first message names the invitation: the chat counts as accepted.
        S.invId = invitation.id;
        w.open();
      }, "lc-btn lc-main"),
      closeButton(() => {
        local.set(dismissed, 1);
        bubble.replaceChildren();
        w.launcher.view.focus();
      }, T.dismiss));
    // Counted for the reports: now, or once the socket says welcome.
    const shown = { type: "invitation_shown", invitation: invitation.id };
    if (!w.client.send(shown)) w.shown = shown;
    // An agent may now greet the shopper: the socket says who is there.
    w.client.start();
  };

  w.invitation = {
    view: bubble,
    clear: () => bubble.replaceChildren(),
    start() {
      if (invitation) setTimeout(offer, invitation.delay * 1000);
    },
  };
};
