// Progressive enhancements of the aspectfile web admin. Every page works without
// this file: a form marked data-confirm then posts without "confirmed" and the
// server answers with a confirmation page instead.
(function () {
  "use strict";

  var dialog = document.getElementById("confirm-dialog");
  var pendingForm = null;

  function submitConfirmed(form) {
    var field = document.createElement("input");
    field.type = "hidden";
    field.name = "confirmed";
    field.value = "yes";
    form.appendChild(field);
    form.submit();
  }

  if (dialog && typeof dialog.showModal === "function") {
    dialog.addEventListener("close", function () {
      var form = pendingForm;
      pendingForm = null;
      if (form && dialog.returnValue === "confirm") {
        submitConfirmed(form);
      }
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) {
      return;
    }
    if (form.hasAttribute("data-confirm")) {
      if (!dialog || typeof dialog.showModal !== "function") {
        return; // The server asks for confirmation instead.
      }
      event.preventDefault();
      pendingForm = form;
      dialog.querySelector(".confirm-dialog-message").textContent = form.getAttribute("data-confirm");
      dialog.returnValue = "cancel";
      dialog.showModal();
      return;
    }
    var busy = form.querySelector("button[data-busy-label]");
    if (busy) {
      // Keep the first submission only; a second click would queue another run.
      window.setTimeout(function () {
        busy.disabled = true;
        busy.textContent = busy.getAttribute("data-busy-label");
      }, 0);
    }
  });
})();
