/* Attachments: the attach button and file picker, uploads over HTTP (docs/protocol.md, "Attachments"). */

import { button, h } from "./dom.js";
import { newClientId } from "../shared/outbox.js";
import { fill } from "../shared/format.js";

export const setupUploads = (w) => {
  const { T, config, token } = w;
  // Both in the template only when uploads are on (config.upload_url).
  const attach = w.ui(".lc-attach"), picker = w.ui(".lc-form input[type=file]");

  // A refused file keeps its bubble with the reason, to retry or remove.
  const refused = (node, file, reason) => {
    w.messages.fail(node, reason);
    const again = () => {
      node.remove();
      upload(file);
    };
    const remove = () => {
      node.remove();
      w.composer.input.focus();
    };
    node.append(h("div", { class: "lc-row" }, button(T.retry, again), button(T.remove, remove)));
  };

  // The answer is the ack of a message; its live frame may not reach this
  // tab, so the message is fetched after a moment if it has not come.
  const upload = (file) => {
    if (file.size > config.max_upload) return w.note(fill(T.file_too_big, { size: w.formats.size(config.max_upload) }), true);
    const clientId = newClientId(), body = new FormData();
    const node = w.messages.addPending(clientId, { sender: "visitor", body: file.name }, T.uploading);
    body.append("file", file);
    body.append("client_id", clientId);
    body.append("token", token);
    fetch(config.upload_url, { method: "POST", body, credentials: "same-origin", headers: { "X-CSRFToken": config.csrf } })
      .then((r) => r.json().then((answer) => (r.ok ? answer : Promise.reject(answer))))
      .then(
        (ack) => setTimeout(() => w.client.ready && w.messages.nodes.has("p:" + clientId) && w.follows(ack.conversation) && w.timeline.fill(), 1500),
        (answer) => {
          w.messages.nodes.delete("p:" + clientId);
          refused(node, file, (answer?.code && answer.message) || T.failed);
        });
    if (!w.client.socket) w.client.reconnectNow();
  };

  if (attach) {
    attach.onclick = () => picker.click();
    picker.onchange = () => {
      [...picker.files].forEach(upload);
      picker.value = "";
    };
  }

  w.uploads = { upload };
};
