/* New replies while the shopper looks elsewhere: a short sound, and the count in the tab's title. */

export const setupNotify = (w) => {
  const { doc, store } = w;
  let pageTitle = null, audio = null;

  const away = () => !w.isOpen || doc.visibilityState !== "visible";

  // One soft note, made on the spot: no sound file to download. Browsers
  // allow it once the shopper has used the page; before that it stays silent.
  const chime = () => {
    try {
      audio ||= new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") audio.resume();
      const now = audio.currentTime, note = audio.createOscillator(), volume = audio.createGain();
      note.frequency.value = 880;
      volume.gain.setValueAtTime(0.12, now);
      volume.gain.exponentialRampToValueAtTime(0.001, now + 0.3);
      note.connect(volume);
      volume.connect(audio.destination);
      note.start(now);
      note.stop(now + 0.3);
    } catch (error) {
      // No audio here: the title and the badge still say it.
    }
  };

  // "(2) Checkout · Corner Shop" while replies wait unread; the page's own
  // title back once the shopper reads them.
  const update = () => {
    const n = away() ? store.unread() : 0;
    if (n) {
      if (pageTitle === null) pageTitle = doc.title;
      doc.title = "(" + n + ") " + pageTitle;
    } else if (pageTitle !== null) {
      doc.title = pageTitle;
      pageTitle = null;
    }
  };

  doc.addEventListener("visibilitychange", update);

  w.notify = {
    update,
    // A reply just arrived (live, not a replay).
    reply() {
      if (away()) chime();
      update();
    },
  };
};
