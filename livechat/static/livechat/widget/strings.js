/* The widget's words: read from the <template id="livechat-strings"> the tag renders, translated by Django. */

// Each string is an element with data-key (widget.html): its text is the
// translation, with "%(name)s" placeholders that shared/format.js fills.
export const readStrings = (doc) => {
  const strings = {}, template = doc.getElementById("livechat-strings");
  if (template) for (const e of template.content.querySelectorAll("[data-key]")) strings[e.dataset.key] = e.textContent;
  return strings;
};
