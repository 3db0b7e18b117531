/* The proactive invitation bubble: only while someone can answer, once per cooldown, never once dismissed. */

import { button, closeButton, h } from "./dom.js";

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
    bubble.replaceChildren(h("p", { dir: "auto" }, invitation.message),
      button(T.open, () => {
        S.inv = invitation.message;
        w.open();
      }, "lc-btn lc-main"),
      closeButton(() => {
        local.set(dismissed, 1);
        bubble.replaceChildren();
        w.launcher.view.focus();
      }, T.dismiss));
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
