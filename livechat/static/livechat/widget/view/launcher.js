/* The launcher button in the corner: availability dot and words, and the unread badge. */

import { h, icon, show } from "../dom.js";

export const setupLauncher = (w) => {
  const { T } = w;
  const dot = h("span", { class: "lc-dot" }), words = h("span");
  const badge = h("span", { class: "lc-badge", "aria-hidden": "true", hidden: true });
  const view = h("button", { type: "button", class: "lc-launcher", "aria-controls": "lc-panel", "aria-expanded": "false", onclick: () => w.open() },
    icon("chat"), h("span", { class: "lc-sr" }, T.open + ", "), dot, words, badge);

  w.launcher = {
    view,
    render() {
      const available = w.availability.available;
      show(dot, available);
      words.textContent = available ? T.online : T.leave;
    },
    // Replies the shopper has not seen, while the panel is closed.
    updateBadge() {
      const n = w.isOpen ? 0 : w.store.unread();
      badge.hidden = !n;
      badge.textContent = n > 9 ? "9+" : n;
    },
  };
};
