/* One conversation's message sequence: in-order delivery, duplicates ignored, gaps fetched. */

// The server numbers each conversation's messages 1, 2, 3... (docs/protocol.md).
// `seq` is the highest contiguous one shown; later ones wait in `hold` until
// the gap before them is filled by a `fetch`. One Timeline per conversation a
// client follows (the widget one, the console many).
//
//   const timeline = new Timeline({
//     conversation: 7, seq: 0,                 // resume from what was shown
//     show: (message) => {},                    // called once per seq, in order
//     fetch: (frame) => client.send(frame),     // returns true if it went out
//   });
//   timeline.take(message)      queue a live or replayed message (false if old)
//   timeline.drain()            show what is contiguous; fetch a gap
//   timeline.page(frame)        a `messages` frame answering hello/open/fetch
//   timeline.expectReplay()     hello/open was answered: its replay follows
//   timeline.reconnected()      a new socket: nothing asked is still coming
//   timeline.behind(lastSeq)    the server has more than shown: fetch it
//   timeline.fill()             fetch whatever follows what is shown
export class Timeline {
  constructor({ conversation, seq = 0, show, fetch }) {
    this.conversation = conversation;
    this.seq = seq;
    this.show = show;
    this.fetch = fetch;
    this.hold = new Map();
    this.fetching = false;
    this.asked = Infinity;
  }

  take(message) {
    if (!message || typeof message.seq !== "number" || message.conversation !== this.conversation) return false;
    if (message.seq <= this.seq || this.hold.has(message.seq)) return false;
    this.hold.set(message.seq, message);
    return true;
  }

  request(after, before) {
    const frame = { type: "fetch", conversation: this.conversation, after_seq: after };
    if (before !== undefined && before !== Infinity) frame.before_seq = before;
    if (this.fetch(frame)) {
      this.fetching = true;
      this.asked = before === undefined ? Infinity : before;
    }
  }

  drain() {
    for (let message; (message = this.hold.get(this.seq + 1)); ) {
      this.hold.delete(message.seq);
      this.seq = message.seq;
      this.show(message);
    }
    if (this.hold.size && !this.fetching) this.request(this.seq, Math.min(...this.hold.keys()));
  }

  page(frame) {
    this.fetching = false;
    const messages = frame.messages || [];
    messages.forEach((m) => this.take(m));
    if (frame.more) {
      this.drain();
      const last = messages.length ? messages[messages.length - 1].seq : 0;
      if (!this.fetching) this.request(Math.max(last, this.seq), this.asked);
      return;
    }
    // A complete answer is authoritative for its range: a seq still missing
    // was deleted (privacy erasure) and will never come.
    const first = this.hold.size ? Math.min(...this.hold.keys()) : 0;
    if (first && !this.hold.has(this.seq + 1) && first <= this.asked) this.seq = first - 1;
    this.drain();
  }

  expectReplay() {
    this.fetching = true;
    this.asked = Infinity;
  }

  reconnected() {
    this.fetching = false;
    this.hold.clear();
  }

  // Ask for everything after what is shown (e.g. a message posted over HTTP).
  fill() {
    if (!this.fetching) this.request(this.seq);
  }

  // The last live frame may have been lost, with nothing after it to show a gap.
  behind(lastSeq) {
    if (this.seq < lastSeq && !this.fetching && !this.hold.size) this.request(this.seq);
  }
}
