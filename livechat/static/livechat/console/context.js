// The shopper's context cards (the server's context_html) and the page they are on (visitor_page).
import { renderDetails } from "./details.js";
import { scheduleInboxRender } from "./paging.js";
import { state } from "./store.js";

// Puts the cards the server rendered (livechat/context/*.html, autoescaped by
// Django) into the panel. Parsed by a <template>, whose content is inert: no
// script runs and nothing loads until it is in the page, and no client data
// is ever joined into this HTML. False when the server sent none (an older
// server): details.js then shows the raw context instead.
export function renderContextHtml(view) {
  var html = typeof view.contextHtml === "string" ? view.contextHtml.trim() : "";
  if (!html) {
    return false;
  }
  var template = document.createElement("template");
  template.innerHTML = html;
  // The server says what opens elsewhere; every such link opens safely.
  Array.prototype.forEach.call(template.content.querySelectorAll("a[target=_blank]"), function (link) {
    var rel = (link.getAttribute("rel") || "").split(/\s+/);
    if (rel.indexOf("noopener") === -1) {
      link.setAttribute("rel", rel.concat("noopener").join(" ").trim());
    }
  });
  view.dom.context.replaceChildren(template.content);
  return true;
}

// The shopper moved on: the summary's current page, the open panel's
// "Current page" and this visit's pages follow.
export function onVisitorPage(frame) {
  var id = frame.conversation;
  var url = typeof frame.url === "string" ? frame.url : "";
  var summary = state.summaries.get(id);
  if (!summary || !url) {
    return;
  }
  // A new object, so the inbox entry sees the change.
  var visitor = Object.assign({}, summary.visitor || {}, { current_page: url });
  state.summaries.set(id, Object.assign({}, summary, { visitor: visitor }));
  var view = state.views.get(id);
  if (view && view.visit && Array.isArray(view.visit.pages)) {
    // The visit lists paths (docs/protocol.md, opened.visit).
    var path = url;
    try {
      var parsed = new URL(url, window.location.href);
      path = parsed.pathname + parsed.search;
    } catch (error) {
      // Not a URL: listed as it came (shown as text, never as a link).
    }
    var pages = view.visit.pages;
    var last = pages[pages.length - 1];
    if (!last || last.path !== path) {
      pages.push({ path: path, at: new Date().toISOString() });
    }
  }
  if (view && view.dom) {
    renderDetails(view);
  }
  scheduleInboxRender();
}
