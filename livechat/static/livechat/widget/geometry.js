/* Pure geometry of placement: lifting the launcher and invitation off the page's buttons, fitting the panel beside them. */

// Rects are {left, top, right, bottom} in viewport pixels (a DOMRect works).
const across = (a, b) => a.left < b.right && a.right > b.left;

export const overlap = (a, b, gap = 0) => across(a, b) && a.top < b.bottom + gap && a.bottom > b.top - gap;

export const shift = (r, dx, dy) => ({ left: r.left + dx, right: r.right + dx, top: r.top + dy, bottom: r.bottom + dy });

// How far up to move `rects` (which move together) so that none comes
// within `gap` px of a box; never so far that the top-most leaves the
// viewport's top `gap`. {lift, clear}: clear is false when no lift is enough.
export const liftFor = (rects, boxes, gap = 8) => {
  const top = Math.min(...rects.map((r) => r.top));
  let lift = 0;
  for (let i = 0; i < 10; i++) {
    const moved = rects.map((r) => shift(r, 0, -lift));
    const hit = boxes.find((b) => moved.some((r) => overlap(r, b, gap)));
    if (!hit) return { lift, clear: true };
    const bottom = Math.max(...rects.filter((r) => across(r, hit)).map((r) => r.bottom));
    const next = Math.min(bottom - hit.top + gap, top - gap);
    if (next <= lift) return { lift, clear: false };
    lift = next;
  }
  return { lift, clear: false };
};

// Where the open panel can sit without covering a box: on the preferred
// side, then the other, as tall as it may be, shrinking down to minHeight.
// {side, height}, or null when every place covers something.
export const placePanel = ({ width, height, minHeight, viewport, margin, boxes, side }) => {
  const sides = side === "left" ? ["left", "right"] : ["right", "left"];
  const bottom = viewport.height - margin;
  for (const s of sides) {
    const left = s === "right" ? viewport.width - margin - width : margin;
    for (let h = height; h >= minHeight; h -= 20) {
      const rect = { left, right: left + width, top: bottom - h, bottom };
      if (!boxes.some((b) => overlap(rect, b, 4))) return { side: s, height: h };
    }
  }
  return null;
};

// Whether an element styled like this looks like a button: a filled or
// bordered box with padding around its text (a link styled "btn").
const clear = (color) => color === "transparent" || /^rgba\(.*,\s*0\)$/.test(color);

export const buttonLike = (style) => {
  const filled = !clear(style.backgroundColor) || style.backgroundImage !== "none";
  const bordered = parseFloat(style.borderTopWidth) >= 1 && style.borderTopStyle !== "none" && !clear(style.borderTopColor);
  const padded = parseFloat(style.paddingLeft) >= 6 && parseFloat(style.paddingTop) >= 3;
  return (filled || bordered) && padded;
};
