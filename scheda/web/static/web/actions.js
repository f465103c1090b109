// The record page's "Actions" menu (scheda/records/actions.py): an item that opens a dialog
// closes the menu; "View all properties" filters its rows as one types; a property picker
// shows its choice at once.
document.addEventListener("click", (event) => {
  if (event.target instanceof Element && event.target.id === "record-action-dialog") {
    event.target.replaceChildren();  // a click on the backdrop, outside the dialog
    return;
  }
  const item = event.target instanceof Element ? event.target.closest("#record-actions-menu [data-action-dialog]") : null;
  if (!item) return;
  const menu = document.getElementById("record-actions-menu");
  menu.hidden = true;
  document.querySelector('[aria-controls="record-actions-menu"]')?.setAttribute("aria-expanded", "false");
});

function filterProperties(form) {
  const query = form.querySelector('input[name="q"]').value.trim().toLowerCase();
  const hideBlank = form.querySelector('input[name="hide_blank"]').checked;
  let shown = 0;
  document.querySelectorAll(".property-group").forEach((group) => {
    let inGroup = 0;
    group.querySelectorAll(".property-row").forEach((row) => {
      const visible = (!query || row.dataset.label.includes(query)) && !(hideBlank && row.dataset.blank === "true");
      row.hidden = !visible;
      if (visible) inGroup += 1;
    });
    group.hidden = inGroup === 0;
    shown += inGroup;
  });
  document.querySelector("[data-no-match]").hidden = shown > 0;
}

document.addEventListener("input", (event) => {
  const form = event.target instanceof Element ? event.target.closest("form[data-property-filters]") : null;
  if (form) filterProperties(form);
});
document.addEventListener("change", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  const form = target?.closest("form[data-property-filters]");
  if (form) filterProperties(form);
  if (target?.matches("select[data-autosubmit]")) target.form.requestSubmit();
});
document.addEventListener("submit", (event) => {
  if (event.target.matches("form[data-property-filters]")) { event.preventDefault(); filterProperties(event.target); }
});
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-property-filters]");
  if (form) filterProperties(form);
});

// A dialog that opens takes the focus (its first field, else its heading); Escape closes it.
document.addEventListener("htmx:afterSwap", (event) => {
  if (event.detail.target.id !== "record-action-dialog") return;
  const dialog = event.detail.target.querySelector(".action-dialog");
  if (!dialog) return;
  const first = dialog.querySelector("input:not([type=hidden]), select, textarea");
  const heading = dialog.querySelector("h2");
  if (first) first.focus();
  else if (heading) { heading.tabIndex = -1; heading.focus(); }
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const holder = document.getElementById("record-action-dialog");
  if (holder && holder.contains(document.activeElement)) {
    holder.replaceChildren();
    document.querySelector('[aria-controls="record-actions-menu"]')?.focus();
  }
});
