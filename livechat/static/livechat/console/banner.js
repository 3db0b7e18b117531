// The connection banner (live region) and the short-lived alert line.
import { config, el, els } from "./dom.js";
import { state } from "./store.js";
import { S } from "./strings.js";

var bannerTimer = null;

export function showBanner(text, kind) {
  clearTimeout(bannerTimer);
  els.banner.textContent = text;
  els.banner.className = "livechat-console__banner" + (kind ? " livechat-console__banner--" + kind : "");
  els.banner.hidden = false;
}

// The session is gone (logged out, expired, password changed): reconnecting
// cannot help, logging in again can, and brings the agent back here.
export function sessionEnded() {
  clearTimeout(bannerTimer);
  els.banner.textContent = S.session_ended + " ";
  els.banner.append(el("a", { href: config.loginUrl || window.location.href, text: S.log_in_again }));
  els.banner.className = "livechat-console__banner livechat-console__banner--error";
  els.banner.hidden = false;
}

export function hideBanner() {
  // Keep the live region in the page (a status change is announced) but empty.
  els.banner.textContent = "";
  els.banner.className = "livechat-console__banner livechat-console__banner--ok";
}

var alertTimer = null;

export function showAlert(text) {
  els.alert.textContent = text;
  els.alert.hidden = false;
  clearTimeout(alertTimer);
  alertTimer = setTimeout(function () {
    els.alert.hidden = true;
    els.alert.textContent = "";
  }, 10000);
}

// Say so (the banner is a live region), then get out of the way.
export function showConnected() {
  showBanner(S.connected, "success");
  clearTimeout(bannerTimer);
  bannerTimer = setTimeout(function () {
    if (state.ready) {
      hideBanner();
    }
  }, 3000);
}
