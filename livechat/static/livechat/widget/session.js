/* The widget's side of the protocol: its Client and Timeline, and one handler per frame the server sends. */

import { Client } from "../shared/client.js";
import { Timeline } from "../shared/timeline.js";

// Close codes after which reconnecting cannot help.
const FATAL = { 4400: "forbidden", 4401: "auth", 4403: "forbidden" };

export const setupSession = (w) => {
  const { T, store, data, doc } = w, S = store.state;
  let queued = null;
  const online = () => navigator.onLine !== false;
  const visible = () => doc.visibilityState === "visible";

  const client = new Client({
    url: (location.protocol === "https:" ? "wss://" : "ws://") + location.host + data.wsPath + "visitor/",
    WebSocket,
    hello: () => ({ type: "hello", v: 1, token: w.token, conversation: S.conv, last_seq: S.seq, page: location.href, locale: data.lang }),
    fatal: Object.keys(FATAL).map(Number),
    outbox: store.outbox,
    onFrame: (frame) => handle(frame),
    onState: ({ state, attempt, code }) => {
      if (state === "connecting") w.note(!online() ? T.offline : attempt ? T.reconnecting : T.connecting);
      else if (state === "ready") w.note();
      else if (state === "waiting" || state === "stopped") {
        w.timeline.reconnected();
        w.typing.hide();
        if (state === "waiting") w.note(online() ? T.reconnecting : T.offline);
        else if (code) w.note(T[FATAL[code]], true);
      }
    },
    // Messages of the outbox go again as the client resends them; so does an
    // offline message still waiting for its offline_ack.
    onResend: () => {
      store.outbox.items().forEach(w.messages.showPending);
      const off = store.offline;
      if (off) client.send({ type: "offline_message", ...off });
    },
  });
  w.client = client;

  const newTimeline = () => {
    w.timeline = new Timeline({
      conversation: S.conv,
      seq: S.seq,
      fetch: (frame) => client.send(frame),
      show: (m) => {
        S.seq = m.seq;
        w.messages.display(m);
        S.msgs.push(m);
      },
    });
  };
  newTimeline();

  // Frames of a newer conversation (another tab started one) switch to it.
  w.follows = (id) => {
    const before = S.conv;
    if (!store.follows(id)) return false;
    if (S.conv !== before) {
      newTimeline();
      w.waiting.check();
    }
    return true;
  };

  w.resetChat = () => {
    w.messages.clear();
    store.reset();
    newTimeline();
    w.waiting.check();
  };

  const afterDrain = () => {
    store.persist();
    w.messages.updateMeta();
    w.markRead();
    w.waiting.check();
  };
  const drain = () => {
    w.timeline.drain();
    afterDrain();
  };

  const applyConversation = (c) => {
    if (!w.follows(c.id)) return;
    store.applyConversation(c);
    w.messages.updateMeta();
    w.waiting.check();
    setTimeout(() => client.ready && S.conv === c.id && w.timeline.behind(c.last_seq), 2000);
  };

  w.markRead = () => {
    if (client.ready && w.isOpen && visible() && S.conv && store.unread()) {
      S.readSent = S.seq;
      client.send({ type: "read", conversation: S.conv, seq: S.seq });
      store.persist();
    }
    w.launcher.updateBadge();
  };

  // A form waits for its answer frame; sent now, or on the welcome.
  w.want = (form, frame) => {
    w.awaiting = form;
    w.note(T.sending);
    if (client.ready) {
      if (frame) client.send(frame);
    } else {
      queued = frame;
      client.start();
    }
  };

  w.answered = () => {
    const form = w.awaiting;
    w.awaiting = null;
    w.note();
    store.keepForm();
    store.persist();
    w.render();
    if (form === w.prechat.form) w.focusFirst();
  };

  const handlers = {
    welcome(f) {
      const c = f.conversation;
      w.timeline.reconnected();
      // The server's chat is not ours: start afresh. With no chat on either
      // side there is nothing to forget: an invitation accepted before this
      // welcome arrived (its greeting, S.invId) stays.
      if (c ? c.id !== S.conv : S.conv != null) w.resetChat();
      w.queue = f.queue;
      store.known(f.visitor);
      if (f.availability) w.setAvailability(f.availability);
      if (c) {
        applyConversation(c);
        w.timeline.expectReplay();
        w.messages.log.setAttribute("aria-busy", true); // the replay: don't read it all out
      }
      if (queued) {
        client.send(queued);
        w.note(T.sending);
      }
      if (w.shown) client.send(w.shown);
      queued = w.shown = null;
      w.markRead();
      w.render();
    },
    messages(f) {
      if (f.conversation !== S.conv) return;
      w.timeline.page(f);
      afterDrain();
      if (!f.more) w.messages.log.removeAttribute("aria-busy");
    },
    message(f) {
      const m = f.message;
      const fresh = m && typeof m.seq === "number" && w.follows(m.conversation) && w.timeline.take(m);
      drain();
      if (fresh && m.sender === "agent") w.notify.reply();
    },
    ack(f) {
      const id = f.client_id, item = w.messages.pending.get(id) || store.outbox.find(id), node = w.messages.node(id);
      if (!item) return;
      if (S.conv != null && f.conversation < S.conv) {
        // Sent to a chat that has since ended: it is stored, not shown again.
        w.messages.forget(id);
        if (node) {
          node.classList.remove("lc-pending");
          w.messages.setMeta(node, T.sent);
        }
      } else if (w.follows(f.conversation)) {
        w.timeline.take({ conversation: f.conversation, seq: f.seq, sender: "visitor", body: item.body, client_id: id, created: f.created });
        drain();
      }
    },
    conversation(f) {
      if (f.conversation) applyConversation(f.conversation);
    },
    typing(f) {
      // The frame names the agent; else the agent the conversation has.
      if (f.sender === "agent" && f.conversation === S.conv) w.typing.show(f.active, f.name || (S.agent && S.agent.name));
    },
    read(f) {
      if (f.conversation !== S.conv) return;
      if (f.reader === "agent") S.agentRead = Math.max(S.agentRead, f.seq);
      else S.readSent = Math.max(S.readSent, f.seq);
      w.messages.updateMeta();
      w.launcher.updateBadge();
      store.persist();
    },
    availability(f) {
      w.setAvailability(f);
    },
    queue(f) {
      w.queue = f;
      w.render();
    },
    profile(f) {
      store.known(f.visitor);
      if (w.awaiting === w.prechat.form) S.pre = 1;
      if (w.awaiting === w.waiting.form) w.waiting.saved(f.visitor);
      w.answered();
    },
    offline_ack(f) {
      w.offline.acknowledged(f);
    },
    rated() {
      S.rated = 1;
      w.answered();
    },
    transcript_sent(f) {
      S.sentTo = f.email;
      w.answered();
    },
    error(f) {
      const id = f.client_id, item = id && w.messages.pending.get(id), off = store.offline;
      if (item) {
        const node = w.messages.node(id);
        if (f.retriable) {
          w.messages.setMeta(node, T.retrying);
          return client.resendSoon();
        }
        w.messages.forget(id);
        w.messages.fail(node, T[f.code] || T.failed);
        // The words come back to the box, to edit and send again.
        if (!w.composer.input.value.trim()) w.composer.setText(item.body);
      } else if (off && (id === off.client_id || w.awaiting === w.offline.form)) {
        if (f.retriable) return client.resendSoon();
        store.offline = null;
        w.awaiting = w.offline.form;
      }
      if (!item && w.awaiting) {
        w.invalid(w.awaiting, f.fields || { _: f.message || T.failed });
        w.awaiting = null;
        w.note();
      }
    },
  };

  const handle = (frame) => {
    const handler = Object.hasOwn(handlers, frame.type) && handlers[frame.type];
    if (handler) handler(frame);
  };

  addEventListener("online", () => {
    if (client.wanted && !client.socket) client.reconnectNow();
    else if (!client.socket) w.note();
  });
  addEventListener("offline", () => {
    if (client.state === "stopped") return;
    w.note(T.offline);
    client.drop();
  });
  doc.addEventListener("visibilitychange", () => {
    if (!visible()) return;
    if (client.wanted && !client.socket) client.reconnectNow();
    w.poll();
    w.markRead();
  });
};
