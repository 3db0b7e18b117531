/* Where the widget sits: lifted above the page's own buttons, and fitted to a phone's visible viewport. */

const AVOID = "button[type=submit],input[type=submit],form button:not([type]),[data-livechat-avoid]";

export const setupPlacement = (w) => {
  const { root, doc } = w;
  let lift = 0, frame = 0;

  // Lifts the launcher (and the invitation above it) until no button of the
  // page is under it, a few steps at most.
  const avoid = () => {
    const launcher = w.launcher.view, r = launcher.getBoundingClientRect(), top = r.top + lift, bottom = r.bottom + lift;
    let l = 0, hit;
    frame = 0;
    if (launcher.hidden || root.hidden) return;
    const boxes = [...doc.querySelectorAll(AVOID)]
      .filter((e) => !root.contains(e))
      .map((e) => e.getBoundingClientRect())
      .filter((b) => b.width && b.left < r.right && b.right > r.left);
    for (let i = 0; i < 5 && (hit = boxes.find((b) => b.top < bottom - l + 8 && b.bottom > top - l - 8)); i++) {
      l = Math.min(bottom - hit.top + 8, top - 8);
    }
    if (l !== lift) root.style.setProperty("--lc-lift", -(lift = l) + "px");
  };
  const tick = () => frame || (frame = requestAnimationFrame(avoid));
  addEventListener("scroll", tick, { passive: true, capture: true });
  addEventListener("resize", tick);

  // Phones: keep the panel within what the on-screen keyboard leaves visible.
  const vv = window.visualViewport;
  const fit = () => {
    const phone = vv && innerWidth <= 480, panel = w.panel.view;
    panel.style.height = phone ? vv.height + "px" : "";
    panel.style.top = phone ? vv.offsetTop + "px" : "";
  };
  if (vv) vv.onresize = vv.onscroll = fit;

  w.avoid = avoid;
  w.fit = fit;
};
