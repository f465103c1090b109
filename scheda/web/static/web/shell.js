// The app shell's behaviour: the create dialog opens as a modal when htmx brings it and empties
// its container when closed; the search results and the user menu work from the keyboard.
document.addEventListener("htmx:afterSwap", (event) => {
  const target = event.detail.target;
  if (target && target.id === "dialog") {
    const dialog = target.querySelector("dialog");
    if (dialog && !dialog.open) dialog.showModal();
  }
});

document.addEventListener("close", (event) => {
  const dialog = event.target;
  if (dialog instanceof HTMLDialogElement && dialog.parentElement && dialog.parentElement.id === "dialog") {
    dialog.parentElement.replaceChildren();
  }
}, true);

document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  const close = target && target.closest("[data-close-dialog]");
  if (close) close.closest("dialog").close();
});

function searchLinks() {
  return Array.from(document.querySelectorAll("#search-results a"));
}

document.addEventListener("keydown", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  if (!target) return;
  const input = document.getElementById("global-search");
  const inResults = target.closest("#search-results");
  if (target === input || inResults) {
    const links = searchLinks();
    const at = links.indexOf(target);
    if (event.key === "ArrowDown" && links.length) {
      event.preventDefault();
      links[Math.min(at + 1, links.length - 1)].focus();
    } else if (event.key === "ArrowUp" && inResults) {
      event.preventDefault();
      if (at <= 0) input.focus(); else links[at - 1].focus();
    } else if (event.key === "Escape") {
      document.getElementById("search-results").replaceChildren();
      input.focus();
    }
    return;
  }
  const menu = target.closest(".user-menu");
  if (menu && event.key === "Escape") {
    const toggle = menu.querySelector("button[aria-expanded]");
    toggle.setAttribute("aria-expanded", "false");
    document.getElementById(toggle.getAttribute("aria-controls")).hidden = true;
    toggle.focus();
  }
});

// A click elsewhere closes the user's menu and the search results, as HubSpot's do.
document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  if (!target) return;
  const toggle = document.querySelector('.user-menu button[aria-expanded="true"]');
  if (toggle && !target.closest(".user-menu")) {
    toggle.setAttribute("aria-expanded", "false");
    document.getElementById(toggle.getAttribute("aria-controls")).hidden = true;
  }
  const results = document.getElementById("search-results");
  if (results && !target.closest(".global-search")) results.replaceChildren();
});
