// Sending files: checks, upload requests, progress, retry and removal.
import { UPLOAD_EXTENSIONS, UPLOAD_TYPES } from "./constants.js";
import { checkGap } from "./conversation.js";
import { config, el } from "./dom.js";
import { fmt, humanSize } from "./format.js";
import { newClientId } from "./outbox.js";
import { state } from "./store.js";
import { S } from "./strings.js";
import { messageNode, renderPendingAll, scrollIfSticky } from "./transcript.js";

// Upload nodes are rebuilt only when their state changes, so an error is
// announced once, not again whenever another message arrives.
export function renderUploads(view) {
  var dom = view.dom;
  if (!dom) {
    return;
  }
  var wanted = view.uploads.map(function (item) {
    var key = item.state + "|" + item.error;
    if (!item.node || item.nodeKey !== key) {
      item.node = uploadNode(view, item);
      item.nodeKey = key;
    }
    return item.node;
  });
  Array.prototype.slice.call(dom.uploads.children).forEach(function (child) {
    if (wanted.indexOf(child) === -1) {
      child.remove();
    }
  });
  wanted.forEach(function (node, index) {
    if (dom.uploads.children[index] !== node) {
      dom.uploads.insertBefore(node, dom.uploads.children[index] || null);
    }
  });
}

export function uploadNode(view, item) {
  var failed = item.state === "failed";
  var size = humanSize(item.size);
  var file = el(
    "div",
    { className: "livechat-attachment livechat-attachment--pending" },
    item.previewUrl
      ? el("img", {
          className: "livechat-attachment__image",
          src: item.previewUrl,
          alt: item.name,
          onload: function () {
            scrollIfSticky(view);
          },
        })
      : null,
    el("span", { className: "livechat-attachment__name", text: item.name }),
    size ? el("span", { className: "livechat-attachment__size", text: " (" + size + ")" }) : null
  );
  var node = messageNode(
    view,
    { sender: "agent", author: { name: state.me.name }, body: "", created: item.created },
    failed ? " livechat-msg--failed" : " livechat-msg--pending",
    file
  );
  if (!failed) {
    node.statusNode.textContent = item.state === "uploaded" ? S.uploaded : S.uploading;
    return node;
  }
  // Shown where the file is, and announced: the agent may be typing elsewhere.
  node.appendChild(
    el("p", { className: "livechat-msg__error", role: "alert", text: fmt(S.upload_failed, { error: item.error }) })
  );
  var actions = el("div", { className: "livechat-msg__actions" });
  if (item.retriable && item.file) {
    actions.append(
      el("button", {
        type: "button",
        className: "livechat-msg__dismiss",
        text: S.retry,
        onclick: function () {
          sendUpload(view, item);
        },
      }),
      " "
    );
  }
  actions.append(
    el("button", {
      type: "button",
      className: "livechat-msg__dismiss",
      text: S.dismiss,
      onclick: function () {
        removeUpload(view, item.client_id);
      },
    })
  );
  node.appendChild(actions);
  return node;
}

export function removeUpload(view, clientId) {
  for (var i = 0; i < view.uploads.length; i++) {
    var item = view.uploads[i];
    if (item.client_id === clientId) {
      view.uploads.splice(i, 1);
      if (item.previewUrl) {
        URL.revokeObjectURL(item.previewUrl);
      }
      renderPendingAll(view);
      return item;
    }
  }
  return null;
}

export function fileProblem(file) {
  var typeKnown = UPLOAD_TYPES.indexOf(file.type) !== -1;
  if (!typeKnown && (file.type || !UPLOAD_EXTENSIONS.test(file.name))) {
    return S.upload_bad_type;
  }
  if (file.size > config.maxUpload) {
    return fmt(S.upload_too_big, { size: humanSize(config.maxUpload) });
  }
  return "";
}

export function startUploads(view, files) {
  Array.prototype.forEach.call(files || [], function (file) {
    var problem = fileProblem(file);
    var item = {
      client_id: newClientId(),
      conversation: view.id,
      file: file,
      name: file.name || "file",
      size: file.size,
      created: new Date().toISOString(),
      previewUrl: !problem && /^image\//.test(file.type) ? URL.createObjectURL(file) : "",
      state: problem ? "failed" : "uploading",
      error: problem,
      retriable: false,
    };
    view.uploads.push(item);
    if (!problem) {
      sendUpload(view, item);
    }
  });
  view.stickToBottom = true;
  renderPendingAll(view);
  scrollIfSticky(view);
}

export function sendUpload(view, item) {
  item.state = "uploading";
  item.error = "";
  renderPendingAll(view);
  var body = new FormData();
  body.append("file", item.file, item.name);
  // The same client id on a retry: the server never stores the file twice.
  body.append("client_id", item.client_id);
  body.append("conversation", String(item.conversation));
  fetch(config.uploadUrl, {
    method: "POST",
    body: body,
    headers: { "X-CSRFToken": config.csrfToken },
    credentials: "same-origin",
  }).then(
    function (response) {
      return response
        .json()
        .catch(function () {
          // A proxy's or Django's own HTML error page (CSRF failure, 413).
          return null;
        })
        .then(function (data) {
          if (response.ok && data && data.type === "ack") {
            uploadDone(view, item, data);
          } else {
            uploadFailed(
              view,
              item,
              (data && typeof data.message === "string" && data.message) ||
                fmt(S.upload_http_error, { status: response.status }),
              response.status >= 500 || !!(data && data.retriable)
            );
          }
        });
    },
    function () {
      uploadFailed(view, item, S.upload_network, true);
    }
  );
}

export function uploadDone(view, item, ack) {
  if (view.uploads.indexOf(item) === -1) {
    return; // its message frame came first
  }
  item.state = "uploaded";
  var summary = state.summaries.get(view.id);
  if (summary && typeof ack.seq === "number") {
    summary.last_seq = Math.max(summary.last_seq || 0, ack.seq);
  }
  if (typeof ack.seq === "number" && view.messages.has(ack.seq)) {
    removeUpload(view, item.client_id);
    return;
  }
  renderPendingAll(view);
  // The message frame carries the stored file's URLs; fetch it if it got lost.
  checkGap(view, 1500);
}

export function uploadFailed(view, item, error, retriable) {
  if (view.uploads.indexOf(item) === -1) {
    return;
  }
  item.state = "failed";
  item.error = error;
  item.retriable = retriable;
  renderPendingAll(view);
  scrollIfSticky(view);
}
