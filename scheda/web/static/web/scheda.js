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

// Record page sections: a collapsed or expanded section, and a section dragged (or moved with
// the arrow keys on its handle) to a new place, are kept for this user by the server.
function csrfToken() {
  try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; } catch { return ""; }
}

function remember(container, fields) {
  const body = new URLSearchParams();
  Object.entries(fields).forEach(([name, value]) => [].concat(value).forEach((item) => body.append(name, item)));
  return fetch(container.dataset.rememberUrl, { method: "POST", body, headers: { "X-CSRFToken": csrfToken() } });
}

function saveOrder(container) {
  const order = [...container.querySelectorAll(":scope > .sidebar-section")].map((section) => section.dataset.key);
  return remember(container, { side: container.dataset.side, order });
}

document.addEventListener("click", (event) => {
  const toggle = event.target instanceof Element ? event.target.closest("[data-remember-section]") : null;
  const container = toggle && toggle.closest("[data-remember-url]");
  if (container) {
    remember(container, { section: toggle.dataset.rememberSection, collapsed: toggle.getAttribute("aria-expanded") === "true" ? "0" : "1" });
  }
});

let dragged = null;
document.addEventListener("dragstart", (event) => {
  const handle = event.target instanceof Element ? event.target.closest("[data-move]") : null;
  const section = handle && handle.closest(".sidebar-section");
  if (!section) return;
  dragged = section;
  section.classList.add("dragging");
  event.dataTransfer.effectAllowed = "move";
  event.dataTransfer.setData("text/plain", section.dataset.key);
  event.dataTransfer.setDragImage(section, 10, 10);
});
document.addEventListener("dragover", (event) => {
  const over = event.target instanceof Element ? event.target.closest(".sidebar-section") : null;
  if (!dragged || !over || over === dragged || over.parentElement !== dragged.parentElement) return;
  event.preventDefault();
  const box = over.getBoundingClientRect();
  over.parentElement.insertBefore(dragged, event.clientY < box.top + box.height / 2 ? over : over.nextSibling);
});
document.addEventListener("dragend", () => {
  if (!dragged) return;
  const section = dragged;
  dragged = null;
  section.classList.remove("dragging");
  saveOrder(section.parentElement);
});
document.addEventListener("keydown", (event) => {
  const handle = event.target instanceof Element ? event.target.closest("[data-move]") : null;
  const section = handle && handle.closest(".sidebar-section");
  if (!section || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
  event.preventDefault();
  const sibling = event.key === "ArrowUp" ? section.previousElementSibling : section.nextElementSibling;
  if (!sibling) return;
  section.parentElement.insertBefore(section, event.key === "ArrowUp" ? sibling : sibling.nextSibling);
  handle.focus();
  saveOrder(section.parentElement);
});

// A refusal (403: a permission or the tier; 413: a request too large) is shown where the
// answer was to go, so the user reads why instead of seeing nothing happen.
document.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.xhr.status === 403 || event.detail.xhr.status === 413) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
