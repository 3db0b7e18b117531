/* The chat panel: header, the view of the moment (offline, pre-chat, chat), status line, opening and closing. */

import { picture, say, show, visible } from "../dom.js";
import { fill, safeUrl } from "../../shared/format.js";
import { hoursText } from "../hours.js";

export const setupPanel = (w) => {
  const { T, store, config, doc } = w, S = store.state;
  const view = w.ui(".lc-panel"), header = view.querySelector(".lc-header");
  const sub = view.querySelector(".lc-sub"), [avatar, agentName] = sub.children;
  avatar.onerror = () => (avatar.hidden = true);
  const closer = view.querySelector(".lc-close");
  closer.onclick = () => w.close();
  if (safeUrl(config.logo)) {
    const logo = picture("lc-logo", config.logo);
    logo.alt = T.title;
    header.prepend(logo);
  }
  const scroller = view.querySelector(".lc-scroll"), [info, greeting] = scroller.children;
  const chat = w.ui(".lc-chat");
  w.scroller = scroller;
  const typing = view.querySelector(".lc-typing"), status = view.querySelector(".lc-status");
  let shown, typingTimer;

  // Which view the panel shows: the chat once there is one (or a message on
  // its way), else the offline form when nobody can answer, else the
  // pre-chat form unless there is nothing to ask.
  const current = () => {
    if (S.sentOff) return w.offline.view;
    if (S.conv != null || w.messages.pending.size) return chat;
    if (!w.availability.available) return w.offline.view;
    return config.skip_prechat || S.pre || w.prechat.empty() ? chat : w.prechat.view;
  };

  w.render = () => {
    const v = (shown = current()), focused = doc.activeElement, agent = S.agent;
    for (const x of [w.offline.view, w.prechat.view, chat]) show(x, x === v);
    view.querySelectorAll("form").forEach(w.fill);
    say(greeting, v !== w.offline.view && (S.inv || T.greeting));
    // In a live chat the hours are beside the point.
    say(info, !(S.status === "active" || store.answered()) && hoursText(w.availability, T, w.formats));
    w.launcher.render();
    w.offline.render();
    w.waiting.render();
    w.rating.render();
    show(w.composer.view, v === chat && !store.isClosed());
    show(sub, agent);
    agentName.textContent = agent ? agent.name : "";
    show(avatar, agent && safeUrl(agent.avatar));
    if (!avatar.hidden) avatar.src = agent.avatar;
    // What had the focus went away with the view: give it to the new one.
    if (w.isOpen && view.contains(focused) && !visible(focused)) w.focusFirst();
  };

  w.focusFirst = () => {
    const target = w.composer.view.hidden
      ? [...shown.querySelectorAll("input,textarea,button,[tabindex]")].find(visible) || closer
      : w.composer.input;
    target.focus();
  };

  // The status line under the log: connection state, sending, errors.
  w.note = (text, error) => {
    say(status, text);
    status.classList.toggle("lc-err", !!error);
  };

  w.typing = {
    show(active, name) {
      typing.textContent = name ? fill(T.typing_name, { name }) : T.typing;
      typing.hidden = !active;
      clearTimeout(typingTimer);
      // A lost "stopped typing" frame must not leave it on.
      if (active) typingTimer = setTimeout(() => (typing.hidden = true), 6000);
    },
    hide: () => (typing.hidden = true),
  };

  w.open = (focus = true) => {
    w.isOpen = true;
    w.launcher.view.hidden = true;
    w.invitation.clear();
    view.hidden = false;
    w.launcher.view.setAttribute("aria-expanded", "true");
    store.session.set("livechat:open", 1);
    w.client.start();
    w.render();
    w.fit();
    w.composer.autosize();
    w.messages.scrollDown();
    if (focus) w.focusFirst();
    w.markRead();
    w.avoid();
  };

  // `minimise`: closed for this page only (a checkout page), to open again
  // on the next one.
  w.close = (minimise) => {
    const hadFocus = view.contains(doc.activeElement);
    w.isOpen = false;
    view.hidden = true;
    w.launcher.view.hidden = false;
    w.launcher.view.setAttribute("aria-expanded", "false");
    if (!minimise) store.session.set("livechat:open", 0);
    S.sentOff = null;
    store.persist();
    if (hadFocus) w.launcher.view.focus();
    w.launcher.updateBadge();
    w.fit();
    w.avoid();
  };

  view.onkeydown = (event) => {
    if (event.key === "Escape") {
      event.stopPropagation();
      w.close();
    }
  };

  w.panel = { view, typing };
};
