// The web sandbox's only script besides htmx: inputs that act as soon as they change (a select in a message,
// an input with dispatch_action in a modal) submit their form; the DM pane shows its newest message.
"use strict";
document.addEventListener("change", (event) => {
  const control = event.target.closest("[data-submit-on-change]");
  if (!control || !control.form) return;
  if (control.dataset.op && control.form.elements.op_change) control.form.elements.op_change.value = control.dataset.op;
  control.form.requestSubmit();
});
function showNewest() {
  for (const id of ["dm", "log"]) {
    const pane = document.getElementById(id);
    if (pane) pane.scrollTop = pane.scrollHeight;
  }
}
document.addEventListener("DOMContentLoaded", showNewest);
document.addEventListener("htmx:afterSettle", showNewest);
// Live refresh: every few seconds the page asks for its fingerprint (the clock, the person's conversation, what
// is open); when it differs, a DM arrived or the clock moved elsewhere (another tab, the terminal), and the page
// fetches itself again. Never while a modal or dialog is open or a command is half typed: nothing typed is lost.
const LIVE_EVERY_MS = 2000;
let requestsInFlight = 0;  // a click's request under way: its own answer brings the page, none is fetched over it
let refreshing = null;  // the element a refresh's request belongs to, while it is under way
document.addEventListener("htmx:beforeRequest", (event) => {
  requestsInFlight += 1;
  // A click wins over a refresh still waiting for its page (it may be waiting for the click's own work).
  if (refreshing && event.detail.elt !== refreshing) htmx.trigger(refreshing, "htmx:abort");
});
document.addEventListener("htmx:afterRequest", (event) => {
  requestsInFlight = Math.max(0, requestsInFlight - 1);
  if (event.detail.elt === refreshing) refreshing = null;
});
function quiet() {
  const typing = document.getElementById("command-text");
  return !document.hidden && requestsInFlight === 0 && !document.querySelector(".overlay") && !(typing && typing.value);
}
async function refreshIfChanged() {
  const live = document.getElementById("live");
  if (!live || !quiet()) return;
  try {
    const answer = await fetch(live.dataset.changes, { cache: "no-store" });
    const now = (await answer.text()).trim();
    // Asked again after the answer: a click made meanwhile, or its page already shown, wins.
    if (answer.ok && now !== live.dataset.fingerprint && document.getElementById("live") === live && quiet()) {
      live.dataset.fingerprint = now;
      refreshing = live;
      htmx.ajax("GET", location.pathname + location.search, { source: live, target: "body", swap: "innerHTML" });
    }
  } catch (_) { /* the sandbox stopped: try again later */ }
}
setInterval(refreshIfChanged, LIVE_EVERY_MS);
