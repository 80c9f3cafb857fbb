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
