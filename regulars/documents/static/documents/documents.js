/* The card's document viewer (<dialog> with previous / next) and click-to-zoom on the fill-in page. */
(function () {
  "use strict";
  var items = [];
  var index = 0;

  function viewer() { return document.getElementById("doc-viewer"); }

  function show(i) {
    var dialog = viewer();
    if (!dialog || !items.length) return;
    index = (i + items.length) % items.length;
    var item = items[index];
    var body = dialog.querySelector("[data-viewer-body]");
    body.textContent = "";
    var node;
    if (item.type === "application/pdf") {
      node = document.createElement("iframe");
      node.title = item.title;
    } else {
      node = document.createElement("img");
      node.alt = item.title;
      node.setAttribute("data-zoom", "");
    }
    node.src = item.src;
    body.appendChild(node);
    dialog.querySelector("[data-viewer-title]").textContent = item.title;
    dialog.querySelector("[data-viewer-count]").textContent = (index + 1) + " / " + items.length;
    dialog.querySelector("[data-viewer-download]").href = item.src;
    var several = items.length > 1;
    dialog.querySelector("[data-viewer-prev]").disabled = !several;
    dialog.querySelector("[data-viewer-next]").disabled = !several;
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    var opener = target.closest && target.closest("[data-doc-open]");
    if (opener) {
      var group = opener.closest("[data-doc-group]") || document;
      var all = Array.prototype.slice.call(group.querySelectorAll("[data-doc-open]"));
      items = all.map(function (el) {
        return { src: el.getAttribute("data-src"), type: el.getAttribute("data-type"), title: el.getAttribute("data-title") };
      });
      var dialog = viewer();
      if (!dialog) return;
      show(all.indexOf(opener));
      if (!dialog.open) dialog.showModal();
      return;
    }
    if (target.closest && target.closest("[data-viewer-prev]")) { show(index - 1); return; }
    if (target.closest && target.closest("[data-viewer-next]")) { show(index + 1); return; }
    if (target.closest && target.closest("[data-viewer-close]")) { viewer().close(); return; }
    if (target.matches && target.matches("dialog.doc-viewer")) { target.close(); return; }  // a click on the backdrop
    if (target.matches && target.matches("img[data-zoom]")) { target.classList.toggle("is-zoomed"); }
  });

  document.addEventListener("keydown", function (event) {
    var dialog = viewer();
    if (!dialog || !dialog.open) return;
    if (event.key === "ArrowLeft") show(index - 1);
    if (event.key === "ArrowRight") show(index + 1);
  });

  document.addEventListener("close", function (event) {  // stop a PDF or a big image when the viewer closes
    if (event.target === viewer()) viewer().querySelector("[data-viewer-body]").textContent = "";
  }, true);
})();
