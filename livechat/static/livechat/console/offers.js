// Suggested offers (the context panel's "Suggested offers" card): put into the composer, sent with their code.
import { onComposerInput } from "./composer.js";
import { setCannedStatus } from "./saved-replies.js";
import { S } from "./strings.js";

// The card's buttons (rendered by the server, livechat/context/offers.html)
// are handled once per panel, by delegation: the cards are replaced whenever
// the conversation is opened again.
export function bindOffers(view) {
  view.dom.context.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-offer-code]");
    if (button && view.dom.context.contains(button)) {
      useOffer(view, button.getAttribute("data-offer-code"), button.getAttribute("data-offer-text") || "");
    }
  });
}

// The offer's text goes into the reply box, like a saved reply: the agent may
// edit it before sending. The reply then carries the offer's code; the server
// counts the offer only while the code is still in the text sent.
export function useOffer(view, code, text) {
  var textarea = view.dom.textarea;
  if (textarea.disabled || !code) {
    return;
  }
  var before = textarea.value.trim();
  textarea.value = before ? before + " " + text : text;
  textarea.setSelectionRange(textarea.value.length, textarea.value.length);
  view.offer = code;
  onComposerInput(view);
  setCannedStatus(view, S.offer_inserted);
  textarea.focus();
}

// What the reply being sent was written from: {offer, canned}, forgotten once sent.
export function takeSource(view, body) {
  var source = {};
  if (view.offer) {
    source.offer = view.offer;
  }
  if (view.cannedUsed && body.length) {
    source.canned = view.cannedUsed;
  }
  view.offer = null;
  view.cannedUsed = null;
  return source;
}
