// The panel's side: summary line, visitor details, this visit, the host's context.
import { renderChatActions } from "./chat-actions.js";
import { renderComposerMode } from "./composer.js";
import { renderContextHtml } from "./context.js";
import { ISO_DATETIME, OPEN_STATUSES, UNANSWERED } from "./constants.js";
import { el } from "./dom.js";
import { fmt, formatTime, humanizeKey, mailtoHref, parseDate, safeHref, shortPage, statusText, unreadText } from "./format.js";
import { handledByOther, shownUnread, state, tabLabel } from "./store.js";
import { S } from "./strings.js";
import { openConversation } from "./tabs.js";
import { updateMessageStatus } from "./transcript.js";

export function ratingNode(rating) {
  if (rating !== "good" && rating !== "bad") {
    return null;
  }
  return el(
    "span",
    { className: "livechat-rating__value livechat-rating__value--" + rating },
    el("span", { "aria-hidden": "true", text: rating === "good" ? "\uD83D\uDC4D" : "\uD83D\uDC4E" }),
    " ",
    rating === "good" ? S.rating_good : S.rating_bad
  );
}

export function updatePanel(view) {
  var dom = view.dom;
  if (!dom) {
    return;
  }
  var summary = state.summaries.get(view.id) || { status: "", visitor: {} };
  var name = tabLabel(view.id);
  dom.tabName.textContent = name;
  dom.title.textContent = name;
  dom.log.setAttribute("aria-label", fmt(S.transcript, { name: name }));
  dom.closeTab.setAttribute("aria-label", fmt(S.close_tab, { name: name }));
  var agentText = summary.agent
    ? summary.agent.id === state.me.id
      ? S.mine
      : fmt(S.assigned_to, { name: summary.agent.name })
    : S.unassigned;
  dom.status.textContent = summary.status ? statusText(summary.status) + " · " + agentText : "";
  dom.status.className = "livechat-panel__status livechat-status--" + (summary.status || "unknown");

  var open = OPEN_STATUSES.indexOf(summary.status) !== -1;
  var other = handledByOther(summary);
  // Who may act: the agent handling it (or anyone while nobody does);
  // supervisors may also transfer or close another agent's chat.
  var mayManage = open && (!other || state.supervisor);
  dom.claim.hidden = !(state.answersChats && open && !summary.agent && UNANSWERED.indexOf(summary.status) !== -1);
  if (dom.claim.hidden) {
    dom.claimPrompt.hidden = true;
  }
  dom.transfer.hidden = !mayManage;
  dom.close.hidden = !mayManage;
  dom.claim.disabled = dom.close.disabled = dom.transfer.disabled = !state.ready;
  var closed = !!summary.status && !open;
  dom.closedNote.hidden = !closed;
  dom.composer.hidden = closed;
  renderComposerMode(view, other ? summary.agent.name : "");
  renderSummaryExtras(view, summary);
  renderVisitorFacts(view, state.summaries.get(view.id));
  renderChatActions(view, summary);

  dom.loading.hidden = !(view.loading && view.messages.size === 0);
  dom.error.hidden = !view.error;
  dom.error.textContent = view.error;

  var unread = shownUnread(summary);
  var showBadge = unread > 0 && state.active !== view.id;
  dom.tabBadge.hidden = !showBadge;
  dom.tabBadge.textContent = "";
  if (showBadge) {
    dom.tabBadge.append(
      el("span", { "aria-hidden": "true", text: String(unread) }),
      el("span", { className: "visually-hidden", text: unreadText(unread) })
    );
  }
  view.messages.forEach(function (message) {
    if (message.sender === "agent") {
      updateMessageStatus(view, message);
    }
  });
}

// Where the chat came from and how the shopper rated it.
export function renderSummaryExtras(view, summary) {
  var dom = view.dom;
  var offline = summary.source === "offline";
  dom.sourceTag.hidden = !offline;
  var visitor = summary.visitor || {};
  var email = typeof visitor.email === "string" ? visitor.email : "";
  var showNotice = offline && !!email;
  dom.offlineNotice.hidden = !showNotice;
  if (showNotice && dom.offlineEmail.getAttribute("data-email") !== email) {
    dom.offlineEmail.setAttribute("data-email", email);
    var href = mailtoHref(email);
    dom.offlineEmail.textContent = "";
    dom.offlineEmail.append(href ? el("a", { href: href, text: email }) : email);
  }
  var ratingNodeNow = ratingNode(summary.rating);
  dom.rating.hidden = !ratingNodeNow;
  var key = (summary.rating || "") + "|" + (summary.rating_comment || "");
  if (ratingNodeNow && dom.rating.getAttribute("data-key") !== key) {
    dom.rating.setAttribute("data-key", key);
    dom.ratingValue.textContent = "";
    dom.ratingValue.append(ratingNodeNow);
    var comment = typeof summary.rating_comment === "string" ? summary.rating_comment.trim() : "";
    dom.ratingComment.textContent = comment ? fmt(S.rating_comment, { comment: comment }) : "";
    dom.ratingComment.hidden = !comment;
  }
}

// The visitor's facts; redrawn only when they change, as a conversation
// frame may bring new ones (a shopper who logs in mid-chat has their
// account's email, the one typed before becomes the other).
function renderVisitorFacts(view, summary) {
  var dom = view.dom;
  var visitor = (summary && summary.visitor) || {};
  var values = [visitor.name, visitor.email, visitor.other_email, visitor.phone, visitor.current_page, visitor.locale, summary && summary.topic, summary && summary.created];
  var key = JSON.stringify(values);
  if (dom.details.getAttribute("data-key") === key) {
    return;
  }
  dom.details.setAttribute("data-key", key);
  dom.details.textContent = "";
  var page = visitor.current_page;
  var pageHref = safeHref(page);
  var rows = [
    [S.name, visitor.name],
    [S.email, emailNode(visitor.email)],
    // An address they typed that is not their account's: the same person.
    visitor.other_email ? [S.other_email, emailNode(visitor.other_email)] : null,
    visitor.phone ? [S.phone, visitor.phone] : null,
    [
      S.page,
      pageHref
        ? el("a", { href: pageHref, target: "_blank", rel: "noopener noreferrer", text: shortPage(page), title: page })
        : page,
    ],
    [S.locale, visitor.locale],
    [S.topic, summary && summary.topic],
    [S.started, summary && formatTime(summary.created)],
  ];
  rows.forEach(function (row) {
    if (!row) {
      return;
    }
    dom.details.append(el("dt", { text: row[0] }), el("dd", null, row[1] ? row[1] : S.none));
  });
}

export function renderDetails(view) {
  var dom = view.dom;
  if (!dom) {
    return;
  }
  renderVisitorFacts(view, state.summaries.get(view.id));

  dom.context.textContent = "";
  dom.visit.textContent = "";
  dom.past.textContent = "";
  if (view.context === null) {
    dom.visit.append(el("p", { className: "livechat-aside__quiet", text: S.loading }));
    return;
  }
  // The server's cards include the past chats: the list below would repeat them.
  var cards = renderContextHtml(view);
  dom.pastTitle.hidden = dom.past.hidden = cards;
  if (!cards) {
    var keys = Object.keys(view.context);
    dom.context.append(keys.length ? renderValue(view.context, 0) : el("p", { text: S.no_context }));
  }
  renderVisit(view);
}

function emailNode(email) {
  var href = mailtoHref(email);
  return href ? el("a", { href: href, text: email }) : email;
}

// livechat's own facts about the visit (docs/protocol.md, opened.visit).
export function renderVisit(view) {
  var dom = view.dom;
  var visit = view.visit || {};
  var device = typeof visit.mobile === "boolean" ? (visit.mobile ? S.mobile : S.desktop) : "";
  var facts = el("dl", { className: "livechat-details" });
  [
    [S.browser, visit.browser],
    [S.system_os, visit.system],
    [S.device, device],
  ].forEach(function (row) {
    facts.append(el("dt", { text: row[0] }), el("dd", { text: row[1] || S.none }));
  });
  dom.visit.append(facts);

  var pages = Array.isArray(visit.pages) ? visit.pages : [];
  var pagesTitleId = "livechat-pages-" + view.id;
  dom.visit.append(el("h4", { id: pagesTitleId, className: "livechat-aside__subtitle", text: S.pages_seen }));
  if (!pages.length) {
    dom.visit.append(el("p", { className: "livechat-aside__quiet", text: S.none }));
  } else {
    var list = el("ol", { className: "livechat-pages", "aria-labelledby": pagesTitleId });
    pages.forEach(function (page) {
      if (!page || typeof page.path !== "string") {
        return;
      }
      var href = safeHref(page.path);
      list.append(
        el(
          "li",
          null,
          el("time", { datetime: page.at || "", text: formatTime(page.at) }),
          " ",
          href
            ? el("a", { href: href, target: "_blank", rel: "noopener noreferrer", text: shortPage(page.path) })
            : page.path
        )
      );
    });
    dom.visit.append(list);
  }

  var past = Array.isArray(visit.past_conversations) ? visit.past_conversations : [];
  if (!past.length) {
    dom.past.append(el("p", { className: "livechat-aside__quiet", text: S.no_past }));
    return;
  }
  var pastList = el("ul", { className: "livechat-past__list" });
  past.forEach(function (item) {
    if (!item || typeof item.id !== "number") {
      return;
    }
    var parts = [formatTime(item.created), statusText(item.status)];
    var tag = tagLabel(item.tag);
    if (tag) {
      parts.push(tag);
    }
    if (item.topic) {
      parts.push(item.topic);
    }
    var line = el("span", { className: "livechat-past__line", text: parts.filter(Boolean).join(" · ") });
    var rated = ratingNode(item.rating);
    pastList.append(
      el(
        "li",
        { className: "livechat-past__item" },
        line,
        rated ? el("span", { className: "livechat-past__rating" }, " · ", rated) : null,
        " ",
        el("button", {
          type: "button",
          className: "livechat-link-button",
          text: S.open_past,
          "aria-label": S.open_past + " — " + parts.join(" · "),
          onclick: function () {
            openConversation(item.id);
          },
        })
      )
    );
  });
  dom.past.append(pastList);
}

export function tagLabel(key) {
  if (!key) {
    return "";
  }
  for (var i = 0; i < state.closeTags.length; i++) {
    if (state.closeTags[i] && state.closeTags[i].key === key) {
      return state.closeTags[i].label;
    }
  }
  return key;
}

export function isScalar(value) {
  return value === null || typeof value !== "object";
}

// Any JSON the host's adapter returns, readable: objects as definition lists.
export function renderValue(value, depth) {
  if (value === null || value === undefined || value === "") {
    return document.createTextNode(S.none);
  }
  if (typeof value === "boolean") {
    return document.createTextNode(value ? S.yes : S.no);
  }
  if (typeof value !== "object") {
    if (typeof value === "string" && ISO_DATETIME.test(value) && parseDate(value)) {
      return el("time", { datetime: value, title: value, text: formatTime(value) });
    }
    var href = typeof value === "string" ? safeHref(value) : null;
    if (href && /^(https?:)?\//.test(value)) {
      return el("a", { href: href, text: value });
    }
    return document.createTextNode(String(value));
  }
  if (depth > 6) {
    return document.createTextNode(JSON.stringify(value));
  }
  if (Array.isArray(value)) {
    if (!value.length) {
      return document.createTextNode(S.none);
    }
    var list = el("ul", { className: "livechat-context__list" });
    value.forEach(function (item) {
      list.append(el("li", null, renderValue(item, depth + 1)));
    });
    if (!value.every(isScalar)) {
      list.className += " livechat-context__list--records";
    }
    return list;
  }
  var keys = Object.keys(value);
  if (!keys.length) {
    return document.createTextNode(S.none);
  }
  var dl = el("dl", { className: "livechat-context__dl" });
  keys.forEach(function (key) {
    // Nested records get the full width under their label: the aside is narrow.
    var wide = !isScalar(value[key]) && Object.keys(value[key]).length > 0;
    var className = wide ? "livechat-context__wide" : null;
    dl.append(
      el("dt", { className: className, text: humanizeKey(key) }),
      el("dd", { className: className }, renderValue(value[key], depth + 1))
    );
  });
  return dl;
}

