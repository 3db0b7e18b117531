// The console's outbox of replies and notes: the shared Outbox (shared/outbox.js) over the agent's storage.
// The shared client sends, resends after each welcome and retries its items;
// what it reports of each becomes the item's line under the transcript
// ("Sending…", "Queued", "will retry", or moved to the view's failed list).
import { Outbox, newClientId } from "../shared/outbox.js";
import { load, save, storageKey, store } from "./storage.js";
import { state } from "./store.js";
import { renderPendingAll } from "./transcript.js";

export { newClientId };

// Set by initOutbox() at boot, before the client is made.
export var outbox = null;

// client_id -> {state: "queued" | "sending", error}, for the items pending on screen.
export var itemStates = new Map();

function onItemState(item, itemState, error) {
  var view = state.views.get(item.conversation);
  if (itemState === "queued" || itemState === "sending") {
    itemStates.set(item.client_id, { state: itemState, error: error || "" });
  } else {
    itemStates.delete(item.client_id);
    if (itemState === "failed" && view) {
      view.failed.push({ note: item.type === "note", body: item.body, created: item.created, failed: error });
    }
  }
  if (view) {
    renderPendingAll(view);
  }
}

function valid(item) {
  return !!item && typeof item.conversation === "number" && typeof item.client_id === "string";
}

// Items left unacknowledged when the page was left are kept (notes used to have
// their own list: they join the one outbox) and sent again after the welcome.
export function initOutbox() {
  var notes = (load("notes", []) || []).map(function (item) {
    return Object.assign({}, item, { type: "note" });
  });
  var items = load("outbox", []);
  save("outbox", (Array.isArray(items) ? items : []).concat(notes).filter(valid));
  save("notes", null);
  outbox = new Outbox(store, storageKey("outbox"), onItemState);
}

// The items of one conversation, in the order they were written.
export function pendingItems(conversationId) {
  return outbox
    ? outbox.items().filter(function (item) {
        return item.conversation === conversationId;
      })
    : [];
}
