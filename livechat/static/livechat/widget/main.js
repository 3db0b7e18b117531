/* The shopper widget's entry point: reads what {% livechat_widget %} rendered, builds the widget, starts it. */
//
// Modules share one object `w` (the widget): each setup* adds its part (its
// DOM and functions) for the others to call at run time. Data enters the DOM
// as text and attributes, never HTML (see dom.js).

import { formats, pickLanguage } from "../shared/format.js";
import { jsonStore, webStorage } from "../shared/storage.js";
import { readStrings } from "./strings.js";
import { Store } from "./store.js";
import { setupForms } from "./forms.js";
import { setupOffline } from "./offline.js";
import { setupPrechat } from "./prechat.js";
import { setupWaiting } from "./waiting.js";
import { setupRating } from "./rating.js";
import { setupMessages } from "./view/messages.js";
import { setupUploads } from "./uploads.js";
import { setupComposer } from "./composer.js";
import { setupLauncher } from "./view/launcher.js";
import { setupInvitation } from "./invitation.js";
import { setupPanel } from "./view/panel.js";
import { setupHours } from "./hours.js";
import { setupPlacement } from "./placement.js";
import { setupSession } from "./session.js";
import { setupNotify } from "./notify.js";

const start = (doc, root, config) => {
  const data = root.dataset, token = data.token;
  const store = new Store({
    session: jsonStore(webStorage("sessionStorage")),
    local: jsonStore(webStorage("localStorage")),
    visitor: token.split(":")[0],
  });
  const lang = pickLanguage(data.lang, navigator.languages || []);
  const w = {
    doc, root, data, config, token, store,
    T: readStrings(doc),
    formats: formats(lang),
    availability: config.availability || {},
    queue: null,
    awaiting: null,
    isOpen: false,
  };
  // The fixed markup of widget.html; each setup* takes its parts before the
  // whole goes into the root.
  const ui = doc.getElementById("livechat-ui").content.cloneNode(true);
  w.ui = (selector) => ui.querySelector(selector);
  // CSSOM survives a strict CSP; inline style attributes do not.
  root.style.setProperty("--lc-accent", data.accent);
  root.style.setProperty("--lc-on-accent", data.onAccent);
  // Loaded from here so it never blocks rendering.
  const sheet = Object.assign(doc.createElement("link"), { rel: "stylesheet", href: data.css });
  let reopened = false;
  sheet.onload = sheet.onerror = () => {
    root.hidden = false;
    // A panel reopened on a checkout page stays only where it hides nothing.
    if (reopened && !w.placement.fitsHere()) w.close(true);
    w.fit();
    w.avoid();
  };
  store.known(config.visitor);

  setupForms(w);
  setupOffline(w);
  setupPrechat(w);
  setupWaiting(w);
  setupRating(w);
  setupMessages(w);
  setupUploads(w);
  setupComposer(w);
  setupLauncher(w);
  setupInvitation(w);
  setupPanel(w);
  setupHours(w);
  setupPlacement(w);
  setupSession(w);
  setupNotify(w);
  root.append(ui);
  // Early in the tab order, not after the whole page: right after a skip
  // link if the page starts with one, else first.
  const first = doc.body.firstElementChild;
  if (first && first.matches("a[href^='#']")) first.after(root);
  else doc.body.prepend(root);
  doc.head.append(sheet);

  const S = store.state;
  S.msgs.forEach(w.messages.display);
  store.outbox.items().forEach(w.messages.showPending);
  w.setAvailability(w.availability);
  w.messages.updateMeta();
  w.launcher.updateBadge();
  w.waiting.check();
  w.invitation.start();
  // Open on the last page stays open, except on a checkout page for a
  // shopper who is not mid-chat: there it waits, minimised.
  const midChat = S.conv != null && !store.isClosed();
  if (store.session.get("livechat:open", 0) && (!w.placement.checkout || midChat)) {
    w.open(false);
    reopened = true;
  } else if (data.openConversation === "1" || w.messages.pending.size || store.offline) w.client.start();

  // Any element of the page with data-livechat-open opens the chat (the
  // {% livechat_chat_button %} tag renders one); added later ones too.
  doc.addEventListener("click", (event) => {
    const opener = event.target.closest && event.target.closest("[data-livechat-open]");
    if (!opener || root.contains(opener)) return;
    event.preventDefault();
    w.open();
  });
  // The store's colours for those buttons too (widget.css styles them).
  doc.documentElement.style.setProperty("--lc-accent", data.accent);
  doc.documentElement.style.setProperty("--lc-on-accent", data.onAccent);

  window.livechat = {
    open: (focus) => w.open(focus),
    close: () => w.close(),
    state: () => ({ ...S, open: w.isOpen, connected: w.client.ready, availability: w.availability }),
  };
};

const root = document.getElementById("livechat"), configScript = document.getElementById("livechat-config");
if (root && configScript && document.getElementById("livechat-ui") && !root.dataset.ready) {
  root.dataset.ready = 1;
  start(document, root, JSON.parse(configScript.textContent));
}
