// The web sandbox's Teams page: every card is rendered by Microsoft's Adaptive Cards renderer (vendored from
// npm, static/adaptivecards/README.md), its TextBlocks' markdown by markdown-it with raw HTML off, as
// Microsoft's samples do. A pressed Action.Execute / Action.Submit is posted through a hidden form (the
// action's type, id, title and verb, and the card's input values), which htmx's boost turns into a swap of the
// page; the server sends it to the bot as the signed activity Teams would. Cards are rendered again after each swap.
"use strict";
(() => {
  const markdown = window.markdownit({ html: false, linkify: false, breaks: true });
  AdaptiveCards.AdaptiveCard.onProcessMarkdown = (text, result) => {
    result.outputHtml = markdown.render(text);
    result.didProcess = true;
  };
  const hostConfig = new AdaptiveCards.HostConfig({
    fontFamily: "'Segoe UI', system-ui, -apple-system, Roboto, sans-serif",
    supportsInteractivity: true,
    actions: { maxActions: 12, buttonSpacing: 8, actionsOrientation: "horizontal", actionAlignment: "left" },
  });

  function inputsOf(card) {
    const values = {};
    for (const input of card.getAllInputs()) values[input.id] = input.value === undefined ? "" : String(input.value);
    return values;
  }

  function post(formId, fields) {
    const form = document.getElementById(formId);
    if (!form) return;
    for (const [name, value] of Object.entries(fields)) form.elements[name].value = value || "";
    if (window.htmx) htmx.process(form);
    form.requestSubmit();
  }

  function pressed(holder, card, action) {
    const kind = action.getJsonTypeName();
    if (kind === "Action.OpenUrl") {
      window.open(action.url, "_blank", "noopener,noreferrer");
      return;
    }
    const fields = { kind, title: action.title, verb: action.verb, action_id: action.id,
                     inputs: JSON.stringify(inputsOf(card)) };
    const where = holder.dataset.card;
    if (where === "dialog") post("dialog-press", fields);
    else post("card-press", { ...fields, message_id: where });
  }

  function render(holder) {
    if (holder.dataset.rendered) return;
    holder.dataset.rendered = "true";
    const card = new AdaptiveCards.AdaptiveCard();
    card.hostConfig = hostConfig;
    card.onExecuteAction = (action) => pressed(holder, card, action);
    card.parse(JSON.parse(holder.querySelector("script").textContent));
    const element = card.render();
    if (element) holder.appendChild(element);
  }

  const renderAll = (root) => root.querySelectorAll(".ac-holder").forEach(render);
  document.addEventListener("DOMContentLoaded", () => renderAll(document));
  document.addEventListener("htmx:load", (event) => renderAll(event.target));
})();
