/* Building the widget's DOM: elements from data, as text and attributes, never HTML. */

let doc = globalThis.document;
export const useDocument = (d) => (doc = d);

// h("button", {type: "button", onclick}, "Send"): attributes set one by one,
// children appended as nodes or text; null, undefined and false are skipped.
export const h = (tag, attributes, ...children) => {
  const e = doc.createElement(tag);
  for (const name in attributes) {
    const value = attributes[name];
    if (value == null || value === false) continue;
    if (name === "class") e.className = value;
    else if (name.startsWith("on")) e[name] = value;
    else e.setAttribute(name, value === true ? "" : value);
  }
  e.append(...children.filter((c) => c != null && c !== false && c !== ""));
  return e;
};

// An <img> that hides itself when the file is gone.
export const picture = (className, src) =>
  h("img", { class: className, alt: "", src, onerror() { this.hidden = true; } });

export const button = (label, onclick, className = "lc-btn", attributes) =>
  h("button", { type: "button", class: className, onclick, ...attributes }, label);

export const closeButton = (onclick, label) =>
  button(h("span", { "aria-hidden": "true" }, "\u00d7"), onclick, "lc-close", { "aria-label": label });

export const show = (e, on) => {
  e.hidden = !on;
};

// Text in an element that hides when there is none.
export const say = (e, text) => {
  e.textContent = text || "";
  show(e, text);
};

export const visible = (e) => e.getClientRects().length > 0;
