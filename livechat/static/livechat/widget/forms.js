/* The widget's forms (pre-chat, offline, rating, emails): fields, validation messages, values kept per tab. */

import { h, say } from "./dom.js";

const TYPES = { name: "text", email: "email", phone: "tel" };
const AUTOCOMPLETE = { name: "name", email: "email", phone: "tel" };

export const setupForms = (w) => {
  const { T, store } = w, F = store.form;
  let uid = 0;

  const optional = (required) => !required && h("span", { class: "lc-opt" }, " " + T.optional);
  const error = () => h("p", { class: "lc-err", id: "lc-e" + ++uid, hidden: true });

  // A labelled input (or, without a type, a textarea) with its error line.
  const field = (name, required, type) => {
    const id = "lc-f" + ++uid;
    const a = { id, name, required, autocomplete: AUTOCOMPLETE[name], dir: "auto" };
    return h("div", { class: "lc-field", "data-n": name },
      h("label", { for: id }, T[name], optional(required)),
      type ? h("input", { ...a, type }) : h("textarea", { ...a, rows: 3, maxlength: w.data.maxLength }),
      error());
  };

  // The name, email and phone fields asked in `modes` ({name: "optional"...}).
  const profile = (modes) =>
    Object.keys(TYPES).filter((n) => modes[n] && modes[n] !== "hidden").map((n) => field(n, modes[n] === "required", TYPES[n]));

  // Errors by field name next to their field; any other under the form.
  // Returns true when something is wrong (the first wrong field has focus).
  const invalid = (form, errors) => {
    const rest = { ...errors };
    let first;
    for (const box of form.querySelectorAll("[data-n]")) {
      const message = errors[box.dataset.n], line = box.lastChild;
      delete rest[box.dataset.n];
      say(line, message);
      for (const input of box.querySelectorAll("input,textarea")) {
        input.setAttribute("aria-invalid", !!message);
        if (message) input.setAttribute("aria-describedby", line.id);
        else input.removeAttribute("aria-describedby");
        first = first || (message && input);
      }
    }
    const general = form.querySelector(".lc-gerr");
    say(general, Object.values(rest).join(" "));
    if (first) first.focus();
    return !!first || !general.hidden;
  };

  const form = (children, label, submit) => {
    const f = h("form", { class: "lc-fm", novalidate: true }, ...children,
      h("p", { class: "lc-err lc-gerr", role: "alert", hidden: true }),
      h("button", { class: "lc-btn lc-main" }, label));
    f.onsubmit = (event) => {
      event.preventDefault();
      const errors = {};
      for (const input of f.elements) {
        if (input.name && !errors[input.name] && !input.validity.valid) {
          errors[input.name] = input.validity.valueMissing ? T.required : T.bad_email;
        }
      }
      if (!invalid(f, errors)) submit(f);
    };
    // Typed values survive a page change: kept per tab, put back by fill().
    f.oninput = (event) => {
      if (event.target.name) F[event.target.name] = event.target.value;
      store.keepForm();
    };
    return f;
  };

  const fill = (f) => {
    for (const input of f.elements) {
      if (input.type === "radio") input.checked = F.topic === input.value;
      else if (input.name) input.value = F[input.name] || "";
    }
  };

  const values = (f, names) => Object.fromEntries(names.filter((n) => f.elements.namedItem(n)).map((n) => [n, F[n] || ""]));

  Object.assign(w, { field, profile, form, fill, values, invalid, optional, error });
};
