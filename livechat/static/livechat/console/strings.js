// The console's UI text, translated by Django into <template id="livechat-console-strings">.

// One element per string: <span data-string="key">text</span>; "%(name)s" placeholders are
// filled in by format.fmt(). Outside a browser (unit tests) it starts empty.
function readStrings() {
  var strings = {};
  var node = typeof document !== "undefined" ? document.getElementById("livechat-console-strings") : null;
  if (node && node.content) {
    Array.prototype.forEach.call(node.content.querySelectorAll("[data-string]"), function (item) {
      strings[item.getAttribute("data-string")] = item.textContent;
    });
  }
  return strings;
}

export var S = readStrings();
