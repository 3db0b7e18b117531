/* Fakes for the Node tests: timers run by hand, a WebSocket the test drives, Map-backed storage. */

export class FakeTimers {
  constructor() {
    this.now = 0;
    this.queue = new Map();
    this.next = 1;
    this.setTimeout = (fn, ms = 0, ...args) => this.add(fn, ms, args, 0);
    this.setInterval = (fn, ms = 0, ...args) => this.add(fn, ms, args, ms);
    this.clearTimeout = this.clearInterval = (id) => this.queue.delete(id);
  }

  add(fn, ms, args, every) {
    const id = this.next++;
    this.queue.set(id, { fn, at: this.now + ms, args, every });
    return id;
  }

  pending() {
    return [...this.queue.values()].map((t) => t.at - this.now);
  }

  // Runs every timer due within `ms`, in time order.
  tick(ms) {
    const end = this.now + ms;
    for (;;) {
      let first = null;
      for (const [id, t] of this.queue) if (t.at <= end && (!first || t.at < first[1].at)) first = [id, t];
      if (!first) break;
      const [id, t] = first;
      this.now = t.at;
      if (t.every) t.at += t.every;
      else this.queue.delete(id);
      t.fn(...t.args);
    }
    this.now = end;
  }
}

export const fakeWebSocket = () => {
  const sockets = [];
  class FakeSocket {
    constructor(url) {
      this.url = url;
      this.sent = [];
      this.closed = false;
      sockets.push(this);
    }
    send(text) {
      this.sent.push(JSON.parse(text));
    }
    close() {
      this.closed = true;
    }
    // What the server does:
    open() {
      this.onopen();
    }
    receive(frame) {
      this.onmessage({ data: typeof frame === "string" ? frame : JSON.stringify(frame) });
    }
    lose(code = 1006) {
      this.onclose({ code });
    }
  }
  return { FakeSocket, sockets };
};

export const memoryStorage = () => {
  const map = new Map();
  return {
    map,
    getItem: (k) => (map.has(k) ? map.get(k) : null),
    setItem: (k, v) => map.set(k, String(v)),
    removeItem: (k) => map.delete(k),
  };
};
