// Progressive enhancement: with JavaScript on, "Delete" and "Release all" open an in-page
// <dialog> that posts the same form the no-JavaScript confirmation page would.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const dialog = document.getElementById("confirm-dialog");
  if (!dialog || typeof dialog.showModal !== "function") {
    return; // old web view: the links keep going to the confirmation pages
  }
  const form = document.getElementById("confirm-form");
  const text = document.getElementById("confirm-text");
  const cancel = document.getElementById("confirm-cancel");

  document.querySelectorAll("a[data-confirm]").forEach((link) => {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      form.action = link.getAttribute("href");
      text.textContent =
        link.dataset.confirm === "release-all"
          ? "Every pony leaves the stable. This cannot be undone."
          : `${link.dataset.ponyName} will be removed from the stable. This cannot be undone.`;
      dialog.showModal();
    });
  });
  cancel.addEventListener("click", () => dialog.close());
});
