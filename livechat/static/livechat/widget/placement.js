/* Where the widget sits: off the page's buttons, checkout essentials and marked elements, fitted to a phone's keyboard, page scroll locked behind it. */

import { buttonLike, liftFor, placePanel, shift } from "./geometry.js";

// What the shopper may want to press: buttons, links that look like buttons,
// and whatever the page marks; a plain text link is no reason to move.
const TARGETS = "button,input[type=submit],input[type=button],[role=button],a[href]";
const ALWAYS = "button,input,[role=button],a.btn,a.button";
const MARK = "[data-livechat-avoid]";
const PHONE_WIDTH = 480;
// When, after a click on the page, the widget looks again.
const SETTLE_MS = [50, 500];

// The marked elements: the page's data-livechat-avoid, and those the
// adapter's widget_avoid_selectors name (rendered as the root's data-avoid:
// a shop whose templates carry no marks). A selector the browser refuses is
// left out.
const markSelector = (doc, extra) => {
  if (!extra) return MARK;
  try {
    doc.querySelector(extra);
    return `${MARK},${extra}`;
  } catch {
    return MARK;
  }
};

export const setupPlacement = (w) => {
  const { root, doc } = w;
  // The host marks its checkout pages (docs/widget.md); the widget tag marks
  // the root of those its adapter calls checkout.
  const checkout = !!doc.querySelector("[data-livechat-checkout]");
  const marked = markSelector(doc, root.dataset.avoid);
  const html = doc.documentElement;
  let lift = 0, frame = 0, locked = null;
  const phone = () => innerWidth <= PHONE_WIDTH;

  // `scope`: only what lies in it counts (and what the page marks); none:
  // only the marked elements.
  const boxes = (scope = doc) => {
    const found = [];
    for (const e of doc.querySelectorAll(scope ? `${TARGETS},${marked}` : marked)) {
      const isMarked = e.matches(marked);
      if (root.contains(e) || !((scope && scope.contains(e)) || isMarked)) continue;
      const r = e.getBoundingClientRect();
      if (!r.width || !r.height || r.bottom < 0 || r.top > innerHeight) continue;
      if (!isMarked && !e.matches(ALWAYS) && !buttonLike(getComputedStyle(e))) continue;
      found.push(r);
    }
    return found;
  };

  const setLift = (l) => {
    if (l !== lift) root.style.setProperty("--lc-lift", -(lift = l) + "px");
  };
  const unlifted = (e) => shift(e.getBoundingClientRect(), 0, lift);

  // The launcher rises above what it would cover, with the invitation
  // above it; when both cannot pass, the invitation folds away until the
  // shopper scrolls on.
  const placeLauncher = (all) => {
    const launcher = w.launcher.view, bubble = w.invitation.view;
    root.classList.remove("lc-tucked", "lc-flip");
    const l = unlifted(launcher), both = bubble.childElementCount && liftFor([l, unlifted(bubble)], all);
    if (both && both.clear) return setLift(both.lift);
    root.classList.toggle("lc-tucked", !!both);
    setLift(liftFor([l], all).lift);
  };

  // On a checkout page the open panel (desktop) finds a side and a height
  // that leave the buttons of the page's main content (not its header's or
  // footer's) and the marked essentials in sight.
  const main = () => doc.querySelector("main,[role=main]") || doc;
  const placePanelAway = (all) => {
    const panel = w.panel.view;
    root.classList.remove("lc-flip");
    panel.style.height = "";
    const r = panel.getBoundingClientRect(), margin = innerWidth - r.right;
    const side = r.left + r.width / 2 > innerWidth / 2 ? "right" : "left";
    const spot = placePanel({
      width: r.width, height: r.height, minHeight: Math.min(240, r.height), margin, boxes: all, side,
      viewport: { width: innerWidth, height: innerHeight },
    });
    if (!spot) return false;
    root.classList.toggle("lc-flip", spot.side !== side);
    if (spot.height < r.height) panel.style.height = spot.height + "px";
    return true;
  };

  // Elsewhere the open panel (desktop) keeps off the marked elements only.
  const avoid = () => {
    frame = 0;
    if (root.hidden) return;
    if (!w.isOpen) return placeLauncher(boxes());
    if (phone()) return;
    if (checkout) placePanelAway(boxes(main()));
    else if (marked !== MARK || doc.querySelector(MARK)) placePanelAway(boxes(null));
  };
  const tick = () => frame || (frame = requestAnimationFrame(avoid));
  addEventListener("scroll", tick, { passive: true, capture: true });
  addEventListener("resize", tick);
  // A click on the page may open something under the widget (a voucher
  // form, a menu): placed again once it has opened, and once any animation
  // of it (jQuery's slideDown: 400 ms) has ended.
  doc.addEventListener("click", (e) => {
    if (root.contains(e.target)) return;
    for (const ms of SETTLE_MS) setTimeout(tick, ms);
  }, true);

  // The page behind a full-screen panel must not scroll under the shopper's finger.
  const lockScroll = (on) => {
    if (on && !locked) {
      locked = [html.style.overflow, doc.body.style.overflow];
      html.style.overflow = doc.body.style.overflow = "hidden";
    } else if (!on && locked) {
      [html.style.overflow, doc.body.style.overflow] = locked;
      locked = null;
    }
  };

  // Phones: the panel takes what the on-screen keyboard leaves visible, and
  // the newest message stays in view as the keyboard comes and goes.
  const vv = window.visualViewport;
  const fit = () => {
    const panel = w.panel.view, small = w.isOpen && phone();
    lockScroll(small);
    if (!vv || !phone()) {
      if (!checkout) panel.style.height = panel.style.top = "";
      return;
    }
    const stick = w.messages.nearBottom();
    panel.style.height = vv.height + "px";
    panel.style.top = vv.offsetTop + "px";
    if (stick) w.messages.scrollDown();
  };
  if (vv) {
    vv.addEventListener("resize", fit);
    vv.addEventListener("scroll", fit);
  }

  // Whether an open panel may stay open here: not on a phone's checkout
  // (the full-screen panel would hide it), nor where every place covers
  // something. Measured once the stylesheet has loaded.
  const fitsHere = () => {
    if (!checkout) return true;
    if (phone()) return false;
    return placePanelAway(boxes(main()));
  };

  w.avoid = avoid;
  w.fit = fit;
  w.placement = { checkout, fitsHere, lockScroll };
};
