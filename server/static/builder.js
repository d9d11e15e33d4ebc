/* khidma — the form and workflow builders (templates/admin/builder/*.html). Loaded with defer; no
 * inline script. htmx swaps no 4xx answer by default: a builder operation refused (422) answers the
 * builder again with each error beside its input — that answer, and only one holding the builder,
 * is swapped in, and the focus goes to the first error.
 */
(function () {
  "use strict";

  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (detail.xhr.status === 422 && detail.xhr.responseText.indexOf('id="builder"') >= 0) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var region = event.target;
    if (!(region instanceof Element) || region.id !== "builder") return;
    var first = region.querySelector("#editor-errors, #builder-refusal");
    if (first) {
      first.setAttribute("tabindex", "-1");
      first.focus();
    }
  });
})();
