/* Attachments: the attach button and file picker, uploads over HTTP (docs/protocol.md, "Attachments"). */

import { button, h, icon } from "./dom.js";
import { newClientId } from "../shared/outbox.js";
import { fill } from "../shared/format.js";

const ACCEPT = "image/png,image/jpeg,image/gif,image/webp,application/pdf";

export const setupUploads = (w) => {
  const { T, config, token } = w;
  const picker = h("input", { type: "file", hidden: true, multiple: true, accept: ACCEPT });

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
          w.messages.fail(node, (answer && answer.code && answer.message) || T.failed);
        });
    if (!w.client.socket) w.client.reconnectNow();
  };

  picker.onchange = () => {
    [...picker.files].forEach(upload);
    picker.value = "";
  };

  w.uploads = {
    upload,
    // The attach button and its hidden file input, for the composer.
    controls: config.upload_url ? [button(icon("attach"), () => picker.click(), "lc-attach", { "aria-label": T.attach }), picker] : [],
  };
};
