// The board's drag and drop: a card dropped on another stage's column submits the card's own
// "Move to stage" form with that stage, so a drag and the keyboard take the same path. The
// server answers with the whole board as stored: a refused move comes back where it was.
(() => {
  let dragged = null;
  document.addEventListener("dragstart", (event) => {
    const card = event.target instanceof Element ? event.target.closest(".board-card") : null;
    if (!card) return;
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.record);
    card.classList.add("is-dragged");
  });
  document.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("is-dragged");
    document.querySelectorAll(".board-column.is-target").forEach((column) => column.classList.remove("is-target"));
    dragged = null;
  });
  document.addEventListener("dragover", (event) => {
    const column = event.target instanceof Element ? event.target.closest(".board-column") : null;
    if (!column || !dragged) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    column.classList.add("is-target");
  });
  document.addEventListener("dragleave", (event) => {
    const column = event.target instanceof Element ? event.target.closest(".board-column") : null;
    if (column && !column.contains(event.relatedTarget)) column.classList.remove("is-target");
  });
  document.addEventListener("drop", (event) => {
    const column = event.target instanceof Element ? event.target.closest(".board-column") : null;
    if (!column || !dragged) return;
    event.preventDefault();
    const form = dragged.querySelector("form.move-card");
    const stage = column.dataset.stage;
    if (!form || form.elements.stage.value === stage) return;
    form.elements.stage.value = stage;
    column.querySelector(".board-cards").prepend(dragged);  // shown at once; the answer redraws the board
    htmx.trigger(form, "submit");
  });
})();
