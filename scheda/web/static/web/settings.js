// The settings pages: a button marked data-open-dialog opens its dialog as a modal (a page
// asked for with ?invite=1 comes with it open); "Copy" puts a token on the clipboard.
document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  if (!target) return;
  const opener = target.closest("[data-open-dialog]");
  if (opener) {
    const dialog = document.getElementById(opener.getAttribute("data-open-dialog"));
    if (dialog instanceof HTMLDialogElement) {
      event.preventDefault();
      if (dialog.open) dialog.close();
      dialog.showModal();
    }
    return;
  }
  const closer = target.closest("a[data-close-dialog]");
  if (closer) event.preventDefault();  // shell.js closes the dialog; the link is for no-script
  const copy = target.closest("[data-copy]");
  if (copy) {
    const field = document.getElementById(copy.getAttribute("data-copy"));
    field.select();
    const done = () => { copy.textContent = copy.dataset.copied || "Copied"; };
    if (navigator.clipboard) navigator.clipboard.writeText(field.value).then(done, () => document.execCommand("copy"));
    else { document.execCommand("copy"); done(); }
  }
});

// A dialog the server rendered open (a form with errors) becomes a modal.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("dialog[open][data-modal]").forEach((dialog) => {
    dialog.close();
    dialog.showModal();
  });
});
