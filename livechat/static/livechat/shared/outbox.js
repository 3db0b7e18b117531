/* The outbox: frames sent but not yet acknowledged (messages, notes), kept with their client ids across reloads. */

// Items are frames keyed by client_id: a `message` without its type
// ({client_id, body, ...}; the console's also carry `conversation`), or any
// other frame that names its type (the console's notes, {type: "note", ...}).
// Kept in a jsonStore (storage.js) under one key, so every tab of the shopper
// and a reload see the same list; the server's idempotency by client_id makes
// resending them always safe. `onState(item, state, error)` hears each item
// become "queued", "sending", "failed" (refused for good, with the error) or
// "acked": the console shows it on the item, the widget has no use for it.
export class Outbox {
  constructor(store, key, onState = () => {}) {
    this.store = store;
    this.key = key;
    this.onState = onState;
  }

  items() {
    const items = this.store.get(this.key, []);
    return Array.isArray(items) ? items : [];
  }

  find(clientId) {
    return this.items().find((item) => item.client_id === clientId);
  }

  add(item) {
    this.store.set(this.key, this.items().filter((i) => i.client_id !== item.client_id).concat(item));
  }

  // Acknowledged, or refused for good ("failed", with the error); true if it was there.
  remove(clientId, state = "acked", error) {
    const items = this.items(), item = items.find((i) => i.client_id === clientId);
    if (item) {
      this.store.set(this.key, items.filter((i) => i !== item));
      this.onState(item, state, error);
    }
    return !!item;
  }
}

// A client id: 32 hex digits from the platform's random source.
export const newClientId = (crypto = globalThis.crypto) =>
  [...crypto.getRandomValues(new Uint8Array(16))].map((b) => (b + 256).toString(16).slice(1)).join("");
