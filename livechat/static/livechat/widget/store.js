/* The widget's state: the conversation it follows, its messages, form values, and where each is kept. */

import { Outbox } from "../shared/outbox.js";

export const CLOSED = ["closed", "missed"];
const FRESH = { conv: null, seq: 0, msgs: [], agent: null, status: null, agentRead: 0, readSent: 0 };
const KEEP_MESSAGES = 200;

// `session` and `local` are jsonStores (shared/storage.js) over sessionStorage
// and localStorage. Keys carry the visitor's id (the token's first part), so
// identities sharing a browser stay apart. The tab's conversation lives in
// sessionStorage; the outbox and an unsent offline message in localStorage,
// so that a closed tab loses nothing.
export class Store {
  constructor({ session, local, visitor }) {
    this.session = session;
    this.local = local;
    this.key = (name) => "livechat:" + name + ":" + visitor;
    this.state = { ...FRESH, ...session.get(this.key("state"), {}) };
    this.form = session.get(this.key("form"), {});
    this.outbox = new Outbox(local, this.key("outbox"));
  }

  persist() {
    this.state.msgs = this.state.msgs.slice(-KEEP_MESSAGES);
    this.session.set(this.key("state"), this.state);
  }

  keepForm() {
    this.session.set(this.key("form"), this.form);
  }

  // What the server knows of the visitor fills empty form fields; `mail` is
  // the email the store has for them.
  known(visitor) {
    if (!visitor) return;
    for (const name in visitor) if (visitor[name] && !this.form[name]) this.form[name] = visitor[name];
    this.keepForm();
    if (visitor.email) this.state.mail = visitor.email;
  }

  get draft() {
    return this.session.get(this.key("draft"), "");
  }

  set draft(text) {
    this.session.set(this.key("draft"), text);
  }

  // The offline message waiting for its offline_ack, if any.
  get offline() {
    return this.local.get(this.key("off"), null);
  }

  set offline(item) {
    this.local.set(this.key("off"), item);
  }

  isClosed() {
    return CLOSED.includes(this.state.status);
  }

  switchTo(id) {
    Object.assign(this.state, { conv: id, seq: 0, agentRead: 0, readSent: 0, status: null, rated: 0, sentTo: 0, busyMail: 0 });
    this.persist();
  }

  // A new chat started: forget the last one's messages and agent.
  reset() {
    this.state.msgs = [];
    this.state.agent = this.state.inv = this.state.invId = this.form.rating = this.form.comment = null;
    this.switchTo(null);
  }

  // Whether a frame of conversation `id` is for us: ours, or a newer one
  // (another tab started a chat), which we then follow. Never an older one.
  follows(id) {
    const current = this.state.conv;
    if (id === current) return true;
    if (typeof id !== "number" || (current != null && id < current)) return false;
    this.switchTo(id);
    return true;
  }

  // A conversation summary of ours: status, agent, how far the agent read.
  applyConversation(c) {
    if (!this.follows(c.id)) return false;
    this.state.status = c.status;
    this.state.agent = c.agent || null;
    this.state.agentRead = Math.max(this.state.agentRead, c.agent_read_seq || 0);
    this.persist();
    return true;
  }

  messages() {
    return this.state.msgs.filter((m) => m.conversation === this.state.conv);
  }

  // Replies (agent and system) the shopper has not read yet.
  unread() {
    return this.messages().filter((m) => m.sender !== "visitor" && m.seq > this.state.readSent).length;
  }

  lastVisitorMessage() {
    return this.messages().filter((m) => m.sender === "visitor").pop();
  }

  // An agent has answered in this conversation: the chat is live.
  answered() {
    return !this.isClosed() && this.messages().some((m) => m.sender === "agent");
  }

  // Milliseconds left before the shopper has waited `limit` ms for a reply
  // to their first unanswered message: null when nobody waits, <= 0 once past.
  waitLeft(now, limit) {
    if (this.isClosed()) return null;
    let since = 0;
    for (const m of this.messages()) {
      if (m.sender === "agent") since = 0;
      else if (!since && m.sender === "visitor") since = Date.parse(m.created) || now;
    }
    return since ? since + limit - now : null;
  }
}
