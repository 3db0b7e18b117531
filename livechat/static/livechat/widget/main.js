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
  // CSSOM survives a strict CSP; inline style attributes do not.
  root.style.setProperty("--lc-accent", data.accent);
  root.style.setProperty("--lc-on-accent", data.onAccent);
  // Loaded from here so it never blocks rendering.
  const sheet = Object.assign(doc.createElement("link"), { rel: "stylesheet", href: data.css });
  sheet.onload = sheet.onerror = () => {
    root.hidden = false;
    w.avoid();
  };
  doc.head.append(sheet);
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
  root.append(w.invitation.view, w.launcher.view, w.panel.view);

  const S = store.state;
  S.msgs.forEach(w.messages.display);
  store.outbox.items().forEach(w.messages.showPending);
  w.setAvailability(w.availability);
  w.messages.updateMeta();
  w.launcher.updateBadge();
  w.waiting.check();
  w.invitation.start();
  if (store.session.get("livechat:open", 0)) w.open(false);
  else if (data.openConversation === "1" || w.messages.pending.size || store.offline) w.client.start();

  window.livechat = {
    open: w.open,
    close: w.close,
    state: () => ({ ...S, open: w.isOpen, connected: w.client.ready, availability: w.availability }),
  };
};

const root = document.getElementById("livechat"), configScript = document.getElementById("livechat-config");
if (root && configScript && !root.dataset.ready) {
  root.dataset.ready = 1;
  start(document, root, JSON.parse(configScript.textContent));
}
