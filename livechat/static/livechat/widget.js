/* livechat shopper widget (docs/protocol.md): no build step, compact as it loads
 * on every page. Data enters the DOM as text and attributes, never innerHTML. */
(() => {
"use strict";
const doc = document, R = doc.getElementById("livechat"), CE = doc.getElementById("livechat-config");
if (!R || !CE || R.dataset.ready) return;
R.dataset.ready = 1;
const C = JSON.parse(CE.textContent), T = C.strings, D = R.dataset, token = D.token, PRE = C.prechat || {};
const CLOSED = ["closed", "missed"], FATAL = { 4400: "forbidden", 4401: "auth", 4403: "forbidden" };
const vis = () => doc.visibilityState == "visible", now = () => Date.now();
// CSSOM survives a strict CSP; inline style attributes do not.
R.style.setProperty("--lc-accent", D.accent);
R.style.setProperty("--lc-on-accent", D.onAccent);
// Loaded from here so it never blocks rendering.
const sheet = Object.assign(doc.createElement("link"), { rel: "stylesheet", href: D.css });
sheet.onload = sheet.onerror = () => { R.hidden = false; avoid() };
doc.head.append(sheet);

let LS, SS;
try { LS = localStorage; SS = sessionStorage } catch (e) {}
const load = (s, k, d) => { try { return JSON.parse(s.getItem(k)) ?? d } catch (e) { return d } };
const save = (s, k, v) => { try { v == null || v.length === 0 ? s.removeItem(k) : s.setItem(k, JSON.stringify(v)) } catch (e) {} };
// Per visitor key: identities sharing a browser stay apart.
const K = (n) => "livechat:" + n + ":" + token.split(":")[0];
const S = Object.assign({ conv: null, seq: 0, msgs: [], agent: null, status: null, agentRead: 0, readSent: 0 }, load(SS, K("state"), {}));
const persist = () => { S.msgs = S.msgs.slice(-200); save(SS, K("state"), S) };
const outbox = () => load(LS, K("outbox"), []), setOutbox = (l) => save(LS, K("outbox"), l);
const F = load(SS, K("form"), {}), keepF = () => save(SS, K("form"), F);
// S.mail: the email the store has for this visitor, as the server says.
const known = (v) => { for (const k in v) if (v[k] && !F[k]) F[k] = v[k]; keepF(); if (v && v.email) S.mail = v.email };
known(C.visitor);
let A = C.availability || {}, Q = null, awaiting = null, queued = null;

const newId = () => [...crypto.getRandomValues(new Uint8Array(16))].map((b) => (b + 256).toString(16).slice(1)).join("");
const safeUrl = (u) => { try { return !!u && /^https?:$/.test(new URL(u, location.href).protocol) } catch (e) { return false } };
const fmt = (s, o) => s.replace(/%\((\w+)\)s/g, (_, k) => o[k]);
// The browser's variant of the page's language: en-GB writes 17:00, "en" 5:00 PM.
const base = (l) => (l || "").split("-")[0].toLowerCase();
let lang = (navigator.languages || []).find((l) => base(l) == base(D.lang)) || D.lang || undefined;
try { new Intl.DateTimeFormat(lang) } catch (e) { lang = undefined }
const DF = (o) => new Intl.DateTimeFormat(lang, o), TIME = DF({ hour: "numeric", minute: "2-digit" }), DAY = DF({ weekday: "short" }), STAMP = DF({ dateStyle: "medium", timeStyle: "short" });
const num = (n, unit, o) => new Intl.NumberFormat(lang, { style: "unit", unit, ...o }).format(n);
const size = (b) => b < 1048576 ? num(Math.ceil(b / 1024), "kilobyte") : num(b / 1048576, "megabyte", { maximumFractionDigits: 1 });
const when = (s) => DAY.format(new Date(s)) + " " + TIME.format(new Date(s));

const h = (t, a, ...kids) => {
  const e = doc.createElement(t);
  for (const n in a) {
    const v = a[n];
    if (v == null || v === false) continue;
    if (n == "class") e.className = v;
    else if (n.startsWith("on")) e[n] = v;
    else e.setAttribute(n, v === true ? "" : v);
  }
  e.append(...kids.filter((k) => k));
  return e;
};
const svg = (body) => { const s = h("span", { class: "lc-ic", "aria-hidden": "true" }); s.innerHTML = `<svg viewBox="0 0 24 24" width="24" height="24" focusable="false">${body}</svg>`; return s };
const pic = (c, src) => h("img", { class: c, alt: "", src, onerror() { this.hidden = true } });
const btn = (label, onclick, cls = "lc-btn", a) => h("button", { type: "button", class: cls, onclick, ...a }, label);
const xBtn = (onclick, label) => btn(h("span", { "aria-hidden": "true" }, "\u00d7"), onclick, "lc-close", { "aria-label": label });
const show = (e, on) => (e.hidden = !on);
const say = (e, t) => { e.textContent = t || ""; show(e, t) };
const note = (t, error) => { say(status, t); status.classList.toggle("lc-err", !!error) };

const dot = h("span", { class: "lc-dot" }), ltext = h("span"), badge = h("span", { class: "lc-badge", "aria-hidden": "true", hidden: true });
const launcher = h("button", { type: "button", class: "lc-launcher", "aria-controls": "lc-panel", "aria-expanded": "false", onclick: () => open() },
  svg('<path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/>'),
  h("span", { class: "lc-sr" }, T.open + ", "), dot, ltext, badge);
const avatar = pic("lc-avatar"), agentName = h("span"), sub = h("p", { class: "lc-sub", hidden: true }, avatar, agentName);
const closeBtn = xBtn(() => close(), T.close), logo = safeUrl(C.logo) && pic("lc-logo", C.logo);
if (logo) logo.alt = T.title;

let uid = 0;
const opt = (req) => !req && h("span", { class: "lc-opt" }, " " + T.optional);
const err = () => h("p", { class: "lc-err", id: "lc-e" + ++uid, hidden: true });
const field = (n, req, type) => {
  const id = "lc-f" + ++uid, a = { id, name: n, required: req, autocomplete: { name: "name", email: "email", phone: "tel" }[n], dir: "auto" };
  return h("div", { class: "lc-field", "data-n": n }, h("label", { for: id }, T[n], opt(req)),
    type ? h("input", { ...a, type }) : h("textarea", { ...a, rows: 3, maxlength: D.maxLength }), err());
};
const TYPES = { name: "text", email: "email", phone: "tel" };
const profile = (modes) => Object.keys(TYPES).filter((n) => modes[n] && modes[n] != "hidden").map((n) => field(n, modes[n] == "required", TYPES[n]));
const form = (kids, label, go) => {
  const f = h("form", { class: "lc-fm", novalidate: true }, ...kids, h("p", { class: "lc-err lc-gerr", role: "alert", hidden: true }), h("button", { class: "lc-btn lc-main" }, label));
  f.onsubmit = (e) => {
    e.preventDefault();
    const errs = {};
    for (const i of f.elements) if (i.name && !errs[i.name] && !i.validity.valid) errs[i.name] = i.validity.valueMissing ? T.required : T.bad_email;
    if (!invalid(f, errs)) go(f);
  };
  f.oninput = (e) => { if (e.target.name) F[e.target.name] = e.target.value; keepF() };
  return f;
};
const fill = (f) => { for (const i of f.elements) if (i.type == "radio") i.checked = F.topic == i.value; else if (i.name) i.value = F[i.name] || "" };
const invalid = (f, errs) => {
  const rest = { ...errs };
  let first;
  for (const box of f.querySelectorAll("[data-n]")) {
    const m = errs[box.dataset.n], p = box.lastChild;
    delete rest[box.dataset.n];
    say(p, m);
    for (const i of box.querySelectorAll("input,textarea")) {
      i.setAttribute("aria-invalid", !!m);
      m ? i.setAttribute("aria-describedby", p.id) : i.removeAttribute("aria-describedby");
      first = first || (m && i);
    }
  }
  const g = f.querySelector(".lc-gerr");
  say(g, Object.values(rest).join(" "));
  if (first) first.focus();
  return first || !g.hidden;
};
const values = (f, names) => Object.fromEntries(names.filter((n) => f.elements.namedItem(n)).map((n) => [n, F[n] || ""]));
const want = (f, frame) => { awaiting = f; note(T.sending); ready ? frame && send(frame) : ((queued = frame), connect()) };

const offForm = form([...profile({ name: "optional", email: "required" }), field("body", true)], T.send_message, (f) => {
  const item = { ...values(f, ["name", "email"]), client_id: newId(), body: F.body, topic: F.topic };
  save(LS, K("off"), item);
  want(f, ready && { type: "offline_message", ...item });
});
const thanks = h("p", { class: "lc-thanks", tabindex: -1 }), offNote = h("p", { class: "lc-note" });
const vOff = h("div", {}, h("h3", {}, T.leave_title), offNote, offForm, thanks);
const preForm = form([...profile(PRE), PRE.topic && PRE.topic != "hidden" && C.topics.length &&
  h("fieldset", { class: "lc-field", "data-n": "topic" }, h("legend", {}, T.topic, opt(PRE.topic == "required")),
    ...C.topics.map(([k, l]) => h("label", { class: "lc-radio" }, h("input", { type: "radio", name: "topic", value: k, required: PRE.topic == "required" }), l)), err())],
  T.start, (f) => {
    const v = values(f, ["name", "email", "phone"]);
    // A customer we know is asked the topic alone: it goes with the first message.
    Object.keys(v).length ? want(f, { type: "profile", prechat: true, ...v }) : ((awaiting = f), (S.pre = 1), answered());
  });
const vPre = h("div", {}, preForm);

const log = h("div", { class: "lc-log", role: "log", "aria-live": "polite", "aria-relevant": "additions" });
const queue = h("p", { class: "lc-note" }), busyText = h("p");
const busyForm = form([field("email", true, "email")], T.save, (f) => want(f, { type: "profile", email: F.email }));
let editMail = 0;
const busyEdit = btn(T.other_email, () => { editMail = 1; render(); busyForm.elements.email.focus() });
const busy = h("div", { class: "lc-busy" }, busyText, busyForm, busyEdit);
const goodBad = ["good", "bad"].map((r) => btn(T[r], () => { F.rating = r; invalid(rateForm, {}); render() }, "lc-btn", { "data-r": r }));
const rateForm = form([h("div", { class: "lc-row", role: "group", "aria-label": T.how }, ...goodBad), field("comment")], T.send_rating, (f) =>
  F.rating ? want(f, { type: "rate", conversation: S.conv, rating: F.rating, comment: F.comment || "" }) : invalid(f, { rating: T.choose }));
const mailForm = form([field("email", true, "email")], T.transcript, (f) => want(f, { type: "transcript", conversation: S.conv, email: F.email }));
const rated = h("p", { class: "lc-thanks" }, T.rated), mailed = h("p", { class: "lc-thanks" }), howTitle = h("h3", {}, T.how), endNote = h("p", { class: "lc-note" }, T.ended);
const end = h("div", { class: "lc-end" }, endNote, howTitle, rateForm, rated, mailForm, mailed, btn(T.new_chat, () => { reset(); render(); focusFirst() }));
const greeting = h("p", { class: "lc-greeting", dir: "auto" }), typing = h("p", { class: "lc-typing", hidden: true }, T.typing);
const vChat = h("div", {}, log, h("div", { "aria-live": "polite" }, queue, busy), end);
const info = h("p", { class: "lc-info" }), scroller = h("div", { class: "lc-scroll" }, info, greeting, vOff, vPre, vChat);
const status = h("p", { class: "lc-status", role: "status", hidden: true });
const input = h("textarea", { id: "lc-input", class: "lc-input", dir: "auto", rows: 1, placeholder: T.input, maxlength: D.maxLength });
input.value = load(SS, K("draft"), "");
const file = h("input", { type: "file", hidden: true, multiple: true, accept: "image/png,image/jpeg,image/gif,image/webp,application/pdf", onchange() { [...file.files].forEach(upload); file.value = "" } });
const composer = h("form", { class: "lc-form" },
  C.upload_url && btn(svg('<path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" d="M20 11l-8 8a5 5 0 0 1-7-7l8-8a3.5 3.5 0 0 1 5 5l-8 8a2 2 0 0 1-3-3l7-7"/>'), () => file.click(), "lc-attach", { "aria-label": T.attach }),
  file, h("label", { class: "lc-sr", for: "lc-input" }, T.input), input, h("button", { class: "lc-send" }, T.send));
const panel = h("div", { class: "lc-panel", id: "lc-panel", role: "dialog", "aria-label": T.title, hidden: true },
  h("div", { class: "lc-header" }, logo, h("div", { class: "lc-heading" }, h("h2", { class: "lc-title" }, T.title), sub), closeBtn),
  scroller, typing, status, composer);
// Empty, not hidden: a live region must exist before it speaks.
const bubble = h("div", { class: "lc-invite", role: "status" });
R.append(bubble, launcher, panel);
const nearBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
const scrollDown = () => (scroller.scrollTop = scroller.scrollHeight);
const autosize = () => { input.style.height = "auto"; input.style.height = Math.min(input.scrollHeight, 120) + "px" };

// "Mon–Fri 9:00–17:00; Sat 10:00–14:00" in the shopper's zone, from UTC periods.
const schedule = (week) => {
  const days = {}, out = [];
  let g;
  for (const p of week) {
    const s = new Date(p.start), d = (days[s.getDay()] ||= { k: s.toDateString(), s, t: [] });
    // A weekday seen twice (today and in 7 days) counts once.
    if (d.k == s.toDateString()) d.t.push(TIME.format(s) + "–" + TIME.format(new Date(p.end)));
  }
  for (const n of [1, 2, 3, 4, 5, 6, 0]) {
    const d = days[n], t = d && d.t.join(", ");
    if (g && t == g.t) g.b = d.s;
    else if ((g = t && { a: d.s, t })) out.push(g);
  }
  return out.map((g) => DAY.format(g.a) + (g.b ? "–" + DAY.format(g.b) : "") + " " + g.t).join("; ");
};
let edgeTimer;
const setAvail = (a) => {
  const w = a.hours && a.hours.week, t = now();
  A = a;
  show(dot, a.available);
  ltext.textContent = a.available ? T.online : T.leave;
  say(info, w && [w.length && fmt(T.hours, { hours: schedule(w) }), !a.open_now && a.next_open && fmt(T.next_open, { when: when(a.next_open) })].filter((x) => x).join(" "));
  say(offNote, !a.available && a.note);
  // Opening and closing times change the answer with no frame: ask again then.
  clearTimeout(edgeTimer);
  const edge = Math.min(...(w || []).flatMap((p) => [Date.parse(p.start), Date.parse(p.end)]).filter((x) => x > t));
  if (edge < Infinity) edgeTimer = setTimeout(poll, edge - t + 2000, 1);
  render();
  avoid();
};
const poll = (force) => C.status_url && vis() && (force || !ready) &&
  fetch(C.status_url, { credentials: "same-origin" }).then((r) => r.ok && r.json()).then((a) => a && setAvail(a), () => {});
setInterval(poll, (C.poll || 20) * 1000);

const isClosed = () => CLOSED.includes(S.status);
const view = () => S.sentOff ? vOff : S.conv != null || pend.size ? vChat : !A.available ? vOff
  : C.skip_prechat || S.pre || !preForm.querySelector("[data-n]") ? vChat : vPre;
let shown;
const render = () => {
  const v = (shown = view()), focused = doc.activeElement, closed = isClosed(), rate = S.status == "closed", a = S.agent, last = S.msgs[S.msgs.length - 1];
  const q = S.status == "waiting" && Q && Q.conversation == S.conv && Q, mins = q && q.expected_wait != null && num(Math.max(1, Math.round(q.expected_wait / 60)), "minute", { unitDisplay: "long" });
  for (const x of [vOff, vPre, vChat]) show(x, x == v);
  panel.querySelectorAll("form").forEach(fill);
  say(greeting, v != vOff && (S.inv || T.greeting));
  show(offForm, !S.sentOff);
  say(thanks, S.sentOff && T.thanks + (S.sentOff.n ? " " + fmt(T.next_open, { when: when(S.sentOff.n) }) : ""));
  show(composer, v == vChat && !closed);
  show(end, closed);
  show(endNote, !last || last.sender != "system");
  show(howTitle, rate && !S.rated);
  show(rateForm, rate && !S.rated);
  show(rated, rate && S.rated);
  goodBad.forEach((b) => b.setAttribute("aria-pressed", F.rating == b.dataset.r));
  show(mailForm, !S.sentTo);
  say(mailed, S.sentTo && fmt(T.sent_to, { email: S.sentTo }));
  say(queue, q && (q.position < 2 ? T.next : fmt(mins ? T.queue_wait : T.queue, { position: q.position, wait: mins })));
  show(busy, waitedTooLong);
  const mail = S.busyMail || S.mail, asking = !mail || editMail;
  say(busyText, asking ? T.busy : fmt(S.busyMail ? T.busy_saved : T.busy_known, { email: mail }));
  show(busyForm, asking);
  show(busyEdit, !asking);
  show(sub, a);
  agentName.textContent = a ? a.name : "";
  show(avatar, a && safeUrl(a.avatar));
  if (!avatar.hidden) avatar.src = a.avatar;
  if (isOpen && panel.contains(focused) && !focused.getClientRects().length) focusFirst();
};
const focusFirst = () => (composer.hidden ? [...shown.querySelectorAll("input,textarea,button,[tabindex]")].find((e) => e.getClientRects().length) || closeBtn : input).focus();

let waitedTooLong = false, busyTimer;
const checkWait = () => {
  let since = 0;
  clearTimeout(busyTimer);
  if (!isClosed()) for (const m of S.msgs) if (m.conversation == S.conv) since = m.sender == "agent" ? 0 : since || (m.sender == "visitor" && (Date.parse(m.created) || now()));
  const left = since && since + C.no_reply * 1000 - now();
  waitedTooLong = !!since && left <= 0;
  if (left > 0) busyTimer = setTimeout(checkWait, left + 100);
  render();
};

const nodes = new Map();
const pend = new Map();
let metaNode;
const link = (f, kid) => h("a", { href: f.url, target: "_blank", rel: "noopener", class: "lc-file" }, kid);
const msgNode = (m) => {
  const a = m.author || {}, f = m.attachment, ok = f && safeUrl(f.url);
  return h("div", { class: "lc-msg lc-" + m.sender },
    m.sender == "agent" ? h("div", { class: "lc-who" }, safeUrl(a.avatar) && pic("lc-av", a.avatar), h("span", {}, a.name || T.support)) : m.sender == "visitor" && h("span", { class: "lc-sr" }, T.you + ": "),
    h("div", { class: "lc-body", dir: "auto", title: m.created && STAMP.format(new Date(m.created)) },
      ok && link(f, /^image\//.test(f.content_type) ? h("img", { src: safeUrl(f.thumbnail) ? f.thumbnail : f.url, alt: f.name, width: f.width, height: f.height }) : f.name + " (" + size(f.size) + ")"),
      (!ok || m.body != f.name) && m.body),
    h("div", { class: "lc-meta" }));
};
// A new role=alert node is announced even inside the quiet log.
const setMeta = (n, t, error) => n.lastChild.replaceChildren(error ? h("span", { role: "alert" }, t) : t || "");
const pending = (key, m, t) => { const n = msgNode(m); n.classList.add("lc-pending"); setMeta(n, t); nodes.set("p:" + key, n); log.append(n); scrollDown(); return n };
const place = (n) => { const ref = log.querySelector(".lc-pending"); if (n.parentNode != log || n.nextSibling != ref) log.insertBefore(n, ref) };
const forget = (cid) => {
  const l = outbox();
  pend.delete(cid);
  nodes.delete("p:" + cid);
  if (l.some((i) => i.client_id == cid)) setOutbox(l.filter((i) => i.client_id != cid));
};
const display = (m) => {
  const stick = nearBottom();
  let n = m.client_id && nodes.get("p:" + m.client_id);
  if (m.client_id && m.sender == "visitor") forget(m.client_id);
  if (n && m.attachment) n.replaceWith((n = msgNode(m)));
  else if (n) { n.classList.remove("lc-pending"); setMeta(n, "") }
  else n = msgNode(m);
  nodes.set(m.conversation + ":" + m.seq, n);
  place(n);
  if (m.sender != "visitor") typing.hidden = true;
  if (stick || m.sender == "visitor") scrollDown();
};
const showPending = (i) => { if (!pend.has(i.client_id)) { pend.set(i.client_id, i); pending(i.client_id, { sender: "visitor", body: i.body }, T.sending) } };
const updateMeta = () => {
  const last = S.msgs.filter((m) => m.conversation == S.conv && m.sender == "visitor").pop(), n = last && nodes.get(last.conversation + ":" + last.seq);
  if (metaNode && metaNode != n) setMeta(metaNode, "");
  if ((metaNode = n)) setMeta(n, last.seq <= S.agentRead ? T.read : T.sent);
};
const unread = () => S.msgs.filter((m) => m.conversation == S.conv && m.sender != "visitor" && m.seq > S.readSent).length;
const updateBadge = () => { const n = isOpen ? 0 : unread(); badge.hidden = !n; badge.textContent = n > 9 ? "9+" : n };

// S.seq: highest contiguous seq shown; later ones wait in `hold` for the gap.
const hold = new Map();
let fetching = false, asked = Infinity;
const reset = () => {
  for (const n of [...log.children]) if (!n.classList.contains("lc-pending")) n.remove();
  for (const k of nodes.keys()) if (!k.startsWith("p:")) nodes.delete(k);
  S.msgs = [];
  S.agent = S.inv = F.rating = F.comment = null;
  switchTo(null);
};
const switchTo = (id) => {
  Object.assign(S, { conv: id, seq: 0, agentRead: 0, readSent: 0, status: null, rated: 0, sentTo: 0, busyMail: 0 });
  hold.clear();
  persist();
  checkWait();
};
const follows = (id) => id === S.conv || (typeof id == "number" && !(S.conv != null && id < S.conv) && (switchTo(id), true));
const take = (m) => m && typeof m.seq == "number" && follows(m.conversation) && m.seq > S.seq && hold.set(m.seq, m);
const fetchGap = (after, before) => { fetching = true; asked = before || Infinity; send({ type: "fetch", conversation: S.conv, after_seq: after, before_seq: before }) };
const drain = () => {
  for (let m; (m = hold.get(S.seq + 1)); ) { hold.delete(m.seq); S.seq = m.seq; display(m); S.msgs.push(m) }
  if (hold.size && !fetching && ready) fetchGap(S.seq, Math.min(...hold.keys()));
  persist();
  updateMeta();
  markRead();
  checkWait();
};
const applyConv = (c) => {
  if (!follows(c.id)) return;
  S.status = c.status;
  S.agent = c.agent || null;
  S.agentRead = Math.max(S.agentRead, c.agent_read_seq || 0);
  updateMeta();
  persist();
  checkWait();
  // The last live frame may have been dropped, with nothing after it to show the gap.
  setTimeout(() => ready && S.conv == c.id && S.seq < c.last_seq && !fetching && !hold.size && fetchGap(S.seq), 2000);
};
const markRead = () => {
  if (ready && isOpen && vis() && S.conv && unread()) { S.readSent = S.seq; send({ type: "read", conversation: S.conv, seq: S.seq }); persist() }
  updateBadge();
};

const upload = (f) => {
  if (f.size > C.max_upload) return note(fmt(T.file_too_big, { size: size(C.max_upload) }), 1);
  const cid = newId(), n = pending(cid, { sender: "visitor", body: f.name }, T.uploading), body = new FormData();
  body.append("file", f);
  body.append("client_id", cid);
  body.append("token", token);
  fetch(C.upload_url, { method: "POST", body, credentials: "same-origin", headers: { "X-CSRFToken": C.csrf } })
    .then((r) => r.json().then((j) => (r.ok ? j : Promise.reject(j))))
    .then((ack) => setTimeout(() => ready && nodes.has("p:" + cid) && follows(ack.conversation) && !fetching && fetchGap(S.seq), 1500),
      (j) => { nodes.delete("p:" + cid); n.classList.replace("lc-pending", "lc-failed"); setMeta(n, (j && j.code && j.message) || T.failed, 1) });
  if (!ws) asap();
};

let ws = null, ready = false, stopped = false, wanted = false, attempt = 0;
let retryTimer, resendTimer, pingTimer, typingTimer, welcomeTimer, parts = null, awaitingPong = false;
// A frame too big for one WebSocket message comes in parts (docs/protocol.md).
const joined = (f) => {
  if (f.type != "part") return f;
  if (f.index === 0) parts = { id: f.id, data: [] };
  if (!parts || parts.id !== f.id || parts.data.length !== f.index || typeof f.data != "string") return (parts = null);
  parts.data.push(f.data);
  if (parts.data.length < f.count) return null;
  const text = parts.data.join("");
  parts = null;
  try { return JSON.parse(text) } catch (x) { return null }
};
const send = (f) => ready && ws.send(JSON.stringify(f));
const offline = () => navigator.onLine === false;
const connect = () => {
  wanted = true;
  if (ws || stopped) return;
  clearTimeout(retryTimer);
  retryTimer = null;
  note(offline() ? T.offline : attempt ? T.reconnecting : T.connecting);
  let sock;
  try { sock = new WebSocket((location.protocol == "https:" ? "wss://" : "ws://") + location.host + D.wsPath + "visitor/") } catch (e) { return retry() }
  ws = sock;
  sock.onopen = () => {
    sock.send(JSON.stringify({ type: "hello", v: 1, token, conversation: S.conv, last_seq: S.seq, page: location.href, locale: D.lang }));
    // No welcome in time: try again, as after a lost connection.
    clearTimeout(welcomeTimer);
    welcomeTimer = setTimeout(() => ws == sock && !ready && drop(), 15000);
  };
  sock.onmessage = (e) => {
    let f;
    try { f = JSON.parse(e.data) } catch (x) { return }
    awaitingPong = false;
    if (ws == sock && f && typeof f == "object" && (f = joined(f))) handle(f);
  };
  sock.onclose = (e) => {
    if (ws != sock) return;
    down();
    if (FATAL[e.code]) { stopped = true; note(T[FATAL[e.code]], 1) } else retry();
  };
};
const down = () => { ws = null; parts = null; ready = fetching = false; clearInterval(pingTimer); clearTimeout(welcomeTimer); typing.hidden = true };
const retry = () => {
  if (stopped || retryTimer) return;
  const delay = Math.min(30000, 1000 * 2 ** attempt++);
  note(offline() ? T.offline : T.reconnecting);
  retryTimer = setTimeout(connect, delay / 2 + (Math.random() * delay) / 2);
};
// A socket that stopped answering may take minutes to report its close.
const drop = () => { const sock = ws; if (sock) { down(); try { sock.close() } catch (e) {} retry() } };
const asap = () => { attempt = 0; clearTimeout(retryTimer); retryTimer = null; connect() };
const resend = () => {
  const off = load(LS, K("off"));
  clearTimeout(resendTimer);
  resendTimer = null;
  for (const i of outbox()) { showPending(i); send({ type: "message", ...i }) }
  if (off) send({ type: "offline_message", ...off });
};
const later = () => resendTimer || (resendTimer = setTimeout(resend, 3000 + Math.random() * 4000));
const answered = () => { const f = awaiting; awaiting = null; note(); keepF(); persist(); render(); if (f == preForm) focusFirst() };

const handle = (f) => {
  const c = f.conversation, off = load(LS, K("off"));
  switch (f.type) {
    case "welcome":
      ready = true;
      attempt = 0;
      fetching = false;
      hold.clear();
      note();
      if (!c || c.id != S.conv) reset();
      Q = f.queue;
      known(f.visitor);
      if (f.availability) setAvail(f.availability);
      if (c) {
        applyConv(c);
        fetching = true;
        asked = Infinity;
        log.setAttribute("aria-busy", true); // the replay: don't read it all out
      }
      resend();
      if (queued) { send(queued); note(T.sending) }
      queued = null;
      clearInterval(pingTimer);
      pingTimer = setInterval(() => { if (awaitingPong) return drop(); awaitingPong = true; send({ type: "ping" }) }, 25000);
      markRead();
      render();
      break;
    case "messages": {
      fetching = false;
      if (c != S.conv) break;
      const l = f.messages || [];
      l.forEach(take);
      if (f.more) {
        drain();
        if (!fetching) fetchGap(Math.max(l.length ? l[l.length - 1].seq : 0, S.seq), asked);
        break;
      }
      // Authoritative for its range: a seq still missing was deleted.
      const first = hold.size ? Math.min(...hold.keys()) : 0;
      if (first && !hold.has(S.seq + 1) && first <= asked) S.seq = first - 1;
      drain();
      log.removeAttribute("aria-busy");
      break;
    }
    case "message":
      take(f.message);
      drain();
      break;
    case "ack": {
      const cid = f.client_id, item = pend.get(cid) || outbox().find((i) => i.client_id == cid), n = nodes.get("p:" + cid);
      if (item && S.conv != null && c < S.conv) {
        forget(cid);
        if (n) { n.classList.remove("lc-pending"); setMeta(n, T.sent) }
      } else if (item) {
        take({ conversation: c, seq: f.seq, sender: "visitor", body: item.body, client_id: cid, created: f.created });
        drain();
      }
      break;
    }
    case "conversation":
      if (c) applyConv(c);
      break;
    case "typing":
      if (f.sender == "agent" && c == S.conv) {
        typing.hidden = !f.active;
        clearTimeout(typingTimer);
        if (f.active) typingTimer = setTimeout(() => (typing.hidden = true), 6000);
      }
      break;
    case "read":
      if (c != S.conv) break;
      if (f.reader == "agent") S.agentRead = Math.max(S.agentRead, f.seq);
      else S.readSent = Math.max(S.readSent, f.seq);
      updateMeta();
      updateBadge();
      persist();
      break;
    case "availability":
      setAvail(f);
      break;
    case "queue":
      Q = f;
      render();
      break;
    case "profile":
      known(f.visitor);
      if (awaiting == preForm) S.pre = 1;
      if (awaiting == busyForm) { S.busyMail = (f.visitor || {}).email || F.email; editMail = 0 }
      answered();
      break;
    case "offline_ack":
      if (!off || off.client_id != f.client_id) break;
      save(LS, K("off"));
      S.sentOff = { n: f.next_open };
      F.body = "";
      awaiting = offForm;
      answered();
      thanks.focus();
      break;
    case "rated":
      S.rated = 1;
      answered();
      break;
    case "transcript_sent":
      S.sentTo = f.email;
      answered();
      break;
    case "error": {
      const cid = f.client_id, item = cid && pend.get(cid), n = nodes.get("p:" + cid);
      if (item) {
        if (f.retriable) return setMeta(n, T.retrying), later();
        forget(cid);
        n.classList.replace("lc-pending", "lc-failed");
        setMeta(n, T[f.code] || T.failed, 1);
        if (!input.value.trim()) { input.value = item.body; save(SS, K("draft"), input.value); autosize() }
      } else if (off && (cid == off.client_id || awaiting == offForm)) {
        if (f.retriable) return later();
        save(LS, K("off"));
        awaiting = offForm;
      }
      if (!item && awaiting) { invalid(awaiting, f.fields || { _: f.message || T.failed }); awaiting = null; note() }
    }
  }
};

let typingSent = 0, idleTimer, isOpen = false;
const stopTyping = () => { clearTimeout(idleTimer); if (typingSent) send({ type: "typing", active: false, draft: !!input.value.trim() }); typingSent = 0 };
const submit = () => {
  const body = input.value.trim();
  if (!body) return;
  const item = { client_id: newId(), body, topic: S.conv == null ? F.topic : undefined };
  setOutbox(outbox().concat(item));
  showPending(item);
  input.value = "";
  save(SS, K("draft"), "");
  autosize();
  stopTyping();
  if (ready) send({ type: "message", ...item });
  else if (!ws) asap();
  render();
};
const open = (focus = true) => {
  isOpen = true;
  launcher.hidden = true;
  bubble.replaceChildren();
  panel.hidden = false;
  launcher.setAttribute("aria-expanded", "true");
  save(SS, "livechat:open", 1);
  connect();
  render();
  fit();
  autosize();
  scrollDown();
  if (focus) focusFirst();
  markRead();
};
const close = () => {
  const hadFocus = panel.contains(doc.activeElement);
  isOpen = false;
  panel.hidden = true;
  launcher.hidden = false;
  launcher.setAttribute("aria-expanded", "false");
  save(SS, "livechat:open", 0);
  S.sentOff = null;
  persist();
  if (hadFocus) launcher.focus();
  updateBadge();
  avoid();
};
panel.onkeydown = (e) => { if (e.key == "Escape") { e.stopPropagation(); close() } };
composer.onsubmit = (e) => { e.preventDefault(); submit(); input.focus() };
input.onkeydown = (e) => {
  // Enter also confirms an IME candidate (Chinese, Japanese...).
  if (e.key == "Enter" && !e.shiftKey && !e.isComposing && e.keyCode != 229) { e.preventDefault(); submit() }
};
input.oninput = () => {
  const t = now();
  save(SS, K("draft"), input.value);
  autosize();
  if (!input.value.trim()) return stopTyping();
  if (ready && S.conv && !isClosed() && t - typingSent > 3000) { typingSent = t; send({ type: "typing", active: true }) }
  clearTimeout(idleTimer);
  idleTimer = setTimeout(stopTyping, 4000);
};
addEventListener("online", () => (wanted && !ws ? asap() : ws || note()));
addEventListener("offline", () => { if (!stopped) { note(T.offline); drop() } });
doc.addEventListener("visibilitychange", () => {
  if (!vis()) return;
  if (wanted && !ws && !stopped) asap();
  poll();
  markRead();
});

let lift = 0, frame = 0;
function avoid() {
  const r = launcher.getBoundingClientRect(), top = r.top + lift, bottom = r.bottom + lift;
  let l = 0, hit;
  frame = 0;
  if (launcher.hidden || R.hidden) return;
  const boxes = [...doc.querySelectorAll("button[type=submit],input[type=submit],form button:not([type]),[data-livechat-avoid]")]
    .filter((e) => !R.contains(e)).map((e) => e.getBoundingClientRect()).filter((b) => b.width && b.left < r.right && b.right > r.left);
  for (let i = 0; i < 5 && (hit = boxes.find((b) => b.top < bottom - l + 8 && b.bottom > top - l - 8)); i++) l = Math.min(bottom - hit.top + 8, top - 8);
  if (l != lift) R.style.setProperty("--lc-lift", -(lift = l) + "px");
}
const tick = () => frame || (frame = requestAnimationFrame(avoid));
addEventListener("scroll", tick, { passive: true, capture: true });
addEventListener("resize", tick);
// Phones: keep the panel within what the on-screen keyboard leaves visible.
const vv = window.visualViewport;
const fit = () => { const m = vv && innerWidth <= 480; panel.style.height = m ? vv.height + "px" : ""; panel.style.top = m ? vv.offsetTop + "px" : "" };
if (vv) vv.onresize = vv.onscroll = fit;

// A bubble, only while someone can answer, once per cooldown, never once dismissed.
const inv = C.invitation;
if (inv) setTimeout(() => {
  const gone = "livechat:dismissed:" + inv.id;
  if (isOpen || S.conv != null || !A.available || load(LS, gone) || now() - load(LS, "livechat:invited", 0) < inv.cooldown_days * 864e5) return;
  save(LS, "livechat:invited", now());
  bubble.replaceChildren(h("p", { dir: "auto" }, inv.message),
    btn(T.open, () => { S.inv = inv.message; open() }, "lc-btn lc-main"),
    xBtn(() => { save(LS, gone, 1); bubble.replaceChildren(); launcher.focus() }, T.dismiss));
  connect();
}, inv.delay * 1000);

S.msgs.forEach(display);
outbox().forEach(showPending);
setAvail(A);
updateMeta();
updateBadge();
checkWait();
if (load(SS, "livechat:open", 0)) open(false);
else if (D.openConversation == "1" || pend.size || load(LS, K("off"))) connect();

window.livechat = { open, close, state: () => ({ ...S, open: isOpen, connected: ready, availability: A }) };
})();
