/* Business hours in the shopper's zone and language, and keeping availability fresh (polling, opening times). */

import { fill } from "../shared/format.js";

// "Mon–Fri 9:00–17:00; Sat 10:00–14:00" from the UTC periods of the next 7
// days (docs/protocol.md, "Availability"), with `f` = shared/format.js formats().
export const schedule = (week, f) => {
  const days = {}, groups = [];
  let group;
  for (const period of week) {
    const start = new Date(period.start), key = f.dateKey(start);
    const day = (days[f.weekday(start)] ||= { key, start, times: [] });
    // A weekday seen twice (today and in 7 days) counts once.
    if (day.key === key) day.times.push(f.time(start) + "–" + f.end(period.end));
  }
  for (const n of [1, 2, 3, 4, 5, 6, 0]) {
    const day = days[n], times = day && day.times.join(", ");
    if (group && times === group.times) group.last = day.start;
    else if ((group = times && { first: day.start, times })) groups.push(group);
  }
  return groups.map((g) => f.day(g.first) + (g.last ? "–" + f.day(g.last) : "") + " " + g.times).join("; ");
};

// The line under the greeting: when the store answers, in the shopper's
// zone and named so ("GMT+8", "CET"), and when it opens again.
export const hoursText = (availability, T, f) => {
  const week = availability.hours && availability.hours.week;
  if (!week) return "";
  return [
    week.length && fill(T.hours, { hours: schedule(week, f) + " (" + f.zone(week[0].start) + ")" }),
    !availability.open_now && availability.next_open && fill(T.next_open, { when: f.when(availability.next_open) }),
  ].filter((x) => x).join(" ");
};

// The next opening or closing instant after `now`, or Infinity.
export const nextEdge = (availability, now) => {
  const week = (availability.hours && availability.hours.week) || [];
  return Math.min(...week.flatMap((p) => [Date.parse(p.start), Date.parse(p.end)]).filter((t) => t > now));
};

export const setupHours = (w) => {
  const { config, doc } = w;
  let edgeTimer;

  const poll = (force) => {
    if (!config.status_url || doc.visibilityState !== "visible" || (!force && w.client.ready)) return;
    fetch(config.status_url, { credentials: "same-origin" })
      .then((r) => r.ok && r.json())
      .then((a) => a && w.setAvailability(a), () => {});
  };

  w.setAvailability = (a) => {
    w.availability = a;
    // Opening and closing times change the answer with no frame: ask again then.
    clearTimeout(edgeTimer);
    const now = Date.now(), edge = nextEdge(a, now);
    if (edge < Infinity) edgeTimer = setTimeout(poll, edge - now + 2000, true);
    w.render();
    w.avoid();
  };
  w.poll = poll;
  setInterval(poll, (config.poll || 20) * 1000);
};
