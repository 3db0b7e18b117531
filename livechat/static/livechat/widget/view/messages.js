/* The conversation log: message bubbles, pending and failed ones, "Sent"/"Read" under the last, the unread badge. */

import { h, picture } from "../dom.js";
import { linkParts, safeUrl } from "../../shared/format.js";

export const setupMessages = (w) => {
  const { T, store } = w, S = store.state;
  const log = w.ui(".lc-log");
  // "p:<client id>" for a message not yet stored, "<conversation>:<seq>" after.
  const nodes = new Map();
  const pending = new Map();
  let metaNode;

  const fileLink = (file, child) => h("a", { href: file.url, target: "_blank", rel: "noopener", class: "lc-file" }, child);
  const attachment = (file) => fileLink(file, /^image\//.test(file.content_type)
    ? h("img", { src: safeUrl(file.thumbnail) ? file.thumbnail : file.url, alt: file.name, width: file.width, height: file.height })
    : file.name + " (" + w.formats.size(file.size) + ")");

  // Text with its links made clickable: built as nodes, never as HTML, and
  // only web and mail addresses (format.js) become links.
  const text = (body) => linkParts(body).map((part) => part.href
    ? h("a", { href: part.href, target: "_blank", rel: "noopener nofollow" }, part.text)
    : part.text);

  // Today's messages say the time; older ones the date too.
  const time = (created) => h("time", { datetime: created }, w.formats.timeOf(created));

  const bubble = (m) => {
    const author = m.author || {}, file = m.attachment, hasFile = file && safeUrl(file.url);
    return h("div", { class: "lc-msg lc-" + m.sender },
      m.sender === "agent"
        ? h("div", { class: "lc-who" }, safeUrl(author.avatar) && picture("lc-av", author.avatar), h("span", {}, author.name || T.support))
        : m.sender === "visitor" && h("span", { class: "lc-sr" }, T.you + ": "),
      h("div", { class: "lc-body", dir: "auto" },
        hasFile && attachment(file),
        ...(!hasFile || m.body !== file.name ? text(m.body) : [])),
      h("div", { class: "lc-foot" },
        m.created && time(m.created),
        h("span", { class: "lc-meta" })));
  };

  // A new role=alert node is announced even inside the quiet log.
  const setMeta = (node, text, error) =>
    node.querySelector(".lc-meta").replaceChildren(error ? h("span", { role: "alert" }, text) : text || "");

  const nearBottom = () => w.scroller.scrollHeight - w.scroller.scrollTop - w.scroller.clientHeight < 80;
  const scrollDown = () => {
    w.scroller.scrollTop = w.scroller.scrollHeight;
  };

  const addPending = (key, m, text) => {
    const node = bubble(m);
    node.classList.add("lc-pending");
    setMeta(node, text);
    nodes.set("p:" + key, node);
    log.append(node);
    scrollDown();
    return node;
  };

  // Stored messages go before the pending ones, in seq order.
  const place = (node) => {
    const first = log.querySelector(".lc-pending");
    if (node.parentNode !== log || node.nextSibling !== first) log.insertBefore(node, first);
  };

  const forget = (clientId) => {
    pending.delete(clientId);
    nodes.delete("p:" + clientId);
    store.outbox.remove(clientId);
  };

  const display = (m) => {
    const stick = nearBottom();
    let node = m.client_id && nodes.get("p:" + m.client_id);
    if (m.client_id && m.sender === "visitor") forget(m.client_id);
    if (node && m.attachment) node.replaceWith((node = bubble(m)));
    else if (node) {
      // The same node, not a new one: the log must not announce it twice.
      node.classList.remove("lc-pending");
      setMeta(node, "");
      if (m.created) node.querySelector(".lc-foot").prepend(time(m.created));
    } else node = bubble(m);
    nodes.set(m.conversation + ":" + m.seq, node);
    place(node);
    if (m.sender !== "visitor") w.typing.hide();
    if (stick || m.sender === "visitor") scrollDown();
  };

  const showPending = (item) => {
    if (pending.has(item.client_id)) return;
    pending.set(item.client_id, item);
    addPending(item.client_id, { sender: "visitor", body: item.body }, T.sending);
  };

  // "Sent" or "Read" under the shopper's last stored message only.
  const updateMeta = () => {
    const last = store.lastVisitorMessage(), node = last && nodes.get(last.conversation + ":" + last.seq);
    if (metaNode && metaNode !== node) setMeta(metaNode, "");
    if ((metaNode = node)) setMeta(node, last.seq <= S.agentRead ? T.read : T.sent);
  };

  const fail = (node, text) => {
    node.classList.replace("lc-pending", "lc-failed");
    setMeta(node, text, true);
  };

  // A new chat: stored messages go, pending ones stay (they open it).
  const clear = () => {
    for (const node of [...log.children]) if (!node.classList.contains("lc-pending")) node.remove();
    for (const key of nodes.keys()) if (!key.startsWith("p:")) nodes.delete(key);
  };

  w.messages = {
    log, nodes, pending, display, nearBottom, showPending, addPending, updateMeta, setMeta, forget, fail, clear, scrollDown,
    node: (clientId) => nodes.get("p:" + clientId),
  };
};
