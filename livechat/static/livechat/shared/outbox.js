/* The outbox: messages sent but not yet acknowledged, kept with their client ids across reloads. */

// Items are the `message` frame without its type ({client_id, body, ...}; the
// console's also carry `conversation`). Kept in a jsonStore (storage.js) under
// one key, so every tab of the shopper and a reload see the same list; the
// server's idempotency by client_id makes resending them always safe.
export class Outbox {
  constructor(store, key) {
    this.store = store;
    this.key = key;
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

  // True if it was there.
  remove(clientId) {
    const items = this.items();
    const rest = items.filter((item) => item.client_id !== clientId);
    if (rest.length !== items.length) this.store.set(this.key, rest);
    return rest.length !== items.length;
  }
}

// A client id: 32 hex digits from the platform's random source.
export const newClientId = (crypto = globalThis.crypto) =>
  [...crypto.getRandomValues(new Uint8Array(16))].map((b) => (b + 256).toString(16).slice(1)).join("");
