/* The pre-chat form: who the shopper is and the topic, as LIVECHAT_PRECHAT_FIELDS asks, before the first message. */

import { h } from "./dom.js";

export const setupPrechat = (w) => {
  const { T, config, store } = w, S = store.state, modes = config.prechat || {};
  const topics = config.topics || [];
  const topicRequired = modes.topic === "required";
  const topicField = modes.topic && modes.topic !== "hidden" && topics.length &&
    h("fieldset", { class: "lc-field", "data-n": "topic" },
      h("legend", {}, T.topic, w.optional(topicRequired)),
      ...topics.map(([key, label]) => h("label", { class: "lc-radio" },
        h("input", { type: "radio", name: "topic", value: key, required: topicRequired }), label)),
      w.error());

  const preForm = w.form([...w.profile(modes), topicField], T.start, (f) => {
    const v = w.values(f, ["name", "email", "phone"]);
    if (Object.keys(v).length) return w.want(f, { type: "profile", prechat: true, ...v });
    // A customer we know is asked the topic alone: it goes with the first message.
    w.awaiting = f;
    S.pre = 1;
    w.answered();
  });

  w.prechat = {
    view: h("div", {}, preForm),
    form: preForm,
    // Nothing to ask: the form is skipped.
    empty: () => !preForm.querySelector("[data-n]"),
  };
};
