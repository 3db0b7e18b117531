/* The pre-chat form: who the shopper is and the topic, as LIVECHAT_PRECHAT_FIELDS asks, before the first message. */

export const setupPrechat = (w) => {
  const S = w.store.state, view = w.ui(".lc-prechat"), preForm = view.firstElementChild;

  w.form(preForm, (f) => {
    const v = w.values(f, ["name", "email", "phone"]);
    if (Object.keys(v).length) return w.want(f, { type: "profile", prechat: true, ...v });
    // A customer we know is asked the topic alone: it goes with the first message.
    w.awaiting = f;
    S.pre = 1;
    w.answered();
  });

  w.prechat = {
    view,
    form: preForm,
    // Nothing to ask: the form is skipped.
    empty: () => !preForm.querySelector("[data-n]"),
  };
};
