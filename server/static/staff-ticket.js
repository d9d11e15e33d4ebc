/* khidma — the staff ticket page (templates/staff/ticket.html). Loaded with defer; no inline script.
 *
 * 1. "Insert" of a ready reply ([data-insert-reply]): the reply's body goes in at the cursor of the
 *    reply field named by data-target (event delegation: it works for replies loaded by HTMX too).
 * 2. Actions in place: htmx swaps no 4xx answer by default; an action refused (422, 403) or stale (409)
 *    answers with the ticket's main region marked "X-Khidma-Fragment: ticket-main" — that, and only
 *    that, is swapped (an error page is not).
 * 3. After the region is swapped, focus goes to what the user must read first: the failed action's
 *    error summary (its links lead to the fields), else the reason an action was refused (one the user
 *    may not take has no form left to show it in), else the notice (done / the ticket changed).
 */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-insert-reply]") : null;
    if (!button) return;
    var field = document.getElementById(button.getAttribute("data-target") || "");
    if (!field || typeof field.setRangeText !== "function") return;
    field.setRangeText(button.getAttribute("data-body") || "", field.selectionStart, field.selectionEnd, "end");
    field.dispatchEvent(new Event("input", { bubbles: true }));
    field.focus();
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    var status = detail.xhr.status;
    if (status >= 400 && status < 500 && detail.xhr.getResponseHeader("X-Khidma-Fragment") === "ticket-main") {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var region = event.target;
    if (!(region instanceof Element) || region.id !== "ticket-main") return; // not a ready-replies search
    var first =
      region.querySelector(".st-action[open] .error-summary") ||
      region.querySelector("#problem") ||
      region.querySelector("#notice");
    if (first) first.focus();
  });
})();
