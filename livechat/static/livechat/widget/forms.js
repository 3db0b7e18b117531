/* The widget's forms (pre-chat, offline, rating, emails): validation messages by their fields, values kept per tab. */

import { say } from "./dom.js";

// The forms themselves are markup of widget.html (<template id="livechat-ui">);
// this wires them.
export const setupForms = (w) => {
  const { T, store } = w, F = store.form;

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

  // Validation in the shopper's language, then `submit(form)`.
  const form = (f, submit) => {
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

  Object.assign(w, { form, fill, values, invalid });
};
