/* The launcher button in the corner: availability dot and words, and the unread count it announces. */

import { show } from "../dom.js";
import { fill } from "../../shared/format.js";

export const setupLauncher = (w) => {
  const { T } = w;
  // The number is for the eye; screen readers hear it in words, as part of
  // the button's name: "Open chat, We're online, Unread messages: 2".
  const view = w.ui(".lc-launcher"), dot = view.querySelector(".lc-dot"), words = view.querySelector(".lc-words");
  const badge = view.querySelector(".lc-badge"), [count, spoken] = badge.children;
  view.onclick = () => w.open();

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
      count.textContent = n > 9 ? "9+" : n;
      spoken.textContent = n ? ", " + fill(T.unread, { count: n }) : "";
      w.notify.update();
    },
  };
};
