// The little behaviour the server-rendered pages need beyond htmx: menus that open, the
// timeline's type tabs, "Expand all"/"Collapse all" and dismissing a form.
document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  if (!target) return;
  const toggle = target.closest("button[aria-controls][aria-expanded]");
  if (toggle) {
    const panel = document.getElementById(toggle.getAttribute("aria-controls"));
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    if (panel) panel.hidden = !open;
    return;
  }
  const tab = target.closest('[role="tab"][data-type]');
  if (tab) {
    const form = tab.closest("form");
    form.querySelector('input[name="type"]').value = tab.dataset.type;
    form.querySelectorAll('[role="tab"]').forEach((other) => other.setAttribute("aria-selected", String(other === tab)));
    htmx.trigger(form, "submit");
    return;
  }
  const expand = target.closest("button[data-expand]");
  if (expand) {
    const open = expand.dataset.expand === "all";
    document.querySelectorAll("#timeline details.activity-details").forEach((details) => { details.open = open; });
    return;
  }
  const dismiss = target.closest("button[data-dismiss]");
  if (dismiss) document.querySelector(dismiss.dataset.dismiss).replaceChildren();
});
