/* Regulars — the few behaviours the pages need without a framework.
 *   <button data-copy="#id">            copies the value/text of #id to the clipboard
 *   <form data-confirm="Revoke?">        asks before submitting (htmx forms: use hx-confirm)
 *   <button data-dismiss=".flash">       removes the closest matching element
 */
(function () {
  "use strict";

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } finally { document.body.removeChild(area); }
    return Promise.resolve();
  }

  document.addEventListener("click", function (event) {
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      var source = document.querySelector(copy.getAttribute("data-copy"));
      if (!source) return;
      var text = "value" in source ? source.value : source.textContent;
      copyText(text.trim()).then(function () {
        var label = copy.querySelector("[data-copy-label]");
        var done = copy.getAttribute("data-copied") || "Copied";
        if (label) {
          var before = label.textContent;
          label.textContent = done;
          setTimeout(function () { label.textContent = before; copy.classList.remove("is-done"); }, 2000);
        }
        copy.classList.add("is-done");
      });
      return;
    }
    var dismiss = event.target.closest("[data-dismiss]");
    if (dismiss) {
      var target = dismiss.closest(dismiss.getAttribute("data-dismiss"));
      if (target) target.remove();
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
})();
