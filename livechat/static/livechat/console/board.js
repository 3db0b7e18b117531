// The supervisors' board of agents: presence, connection, open chats per agent.
import { renderTransferChoices } from "./dialogs.js";
import { el, els } from "./dom.js";
import { fmt } from "./format.js";
import { state } from "./store.js";
import { S } from "./strings.js";

export function onAgents(frame) {
  if (!Array.isArray(frame.agents)) {
    return;
  }
  state.board = frame.agents;
  renderBoard();
  if (els.transferDialog && els.transferDialog.open && !state.transfer) {
    renderTransferChoices();
  }
}

export function renderBoard() {
  els.agents.hidden = !state.supervisor;
  if (!state.supervisor) {
    return;
  }
  els.agentsBody.textContent = "";
  state.board.forEach(function (agent) {
    if (!agent || typeof agent.id !== "number") {
      return;
    }
    var open = Number(agent.open_chats) || 0;
    var max = Number(agent.max_chats) || 0;
    var presence = S["presence_" + agent.presence] || agent.presence || "";
    var bar = el("span", { className: "livechat-load", "aria-hidden": "true" }, el("span", { className: "livechat-load__fill" }));
    bar.firstChild.style.width = (max ? Math.min(100, Math.round((open / max) * 100)) : 0) + "%";
    els.agentsBody.append(
      el(
        "tr",
        { className: "livechat-agents__row" + (agent.present ? " livechat-agents__row--present" : "") },
        el("th", { scope: "row", text: agent.name + (agent.id === state.me.id ? " (" + S.you + ")" : "") }),
        el(
          "td",
          null,
          el("span", { className: "livechat-agents__dot livechat-agents__dot--" + (agent.present ? "present" : agent.presence) }),
          presence,
          el("br"),
          // "At the console" is whether it is open, whatever status they chose
          // (present, also online and not idle, only picks transfer targets).
          el("span", { className: "livechat-agents__present", text: agent.connected ? S.agent_connected : S.not_connected })
        ),
        el(
          "td",
          { className: "livechat-agents__load" + (max && open >= max ? " livechat-agents__load--full" : "") },
          fmt(S.transfer_load, { open: open, max: max || "?" }),
          // Someone took chats past their limit (or the limit was lowered).
          max && open > max ? " " : null,
          max && open > max ? el("span", { className: "livechat-tag livechat-tag--long", text: S.agents_over_limit }) : null,
          bar
        )
      )
    );
  });
}

