/* khidma — focus for the requester's pages (no inline script anywhere; loaded with defer).
 *
 * - A page that comes back with an error summary (a refused submission) moves focus to it, so a
 *   screen reader announces the problems and a keyboard user starts from them (GOV.UK pattern).
 * - After HTMX swaps a repeatable group (a row added or removed), focus goes to the element the server
 *   marked with `autofocus`: the first input of the new row, or the group's "add" button.
 */
(function () {
  "use strict";

  function focusSummary() {
    var summary = document.querySelector(".error-summary, .kh-error-summary");
    if (summary && !document.querySelector("main [autofocus]")) {
      summary.focus();
    }
  }

  function focusMarked(root) {
    var scope = root && root.querySelector ? root : document;
    var target = (scope.matches && scope.matches("[autofocus]")) ? scope : scope.querySelector("[autofocus]");
    if (target) {
      target.focus();
      target.removeAttribute("autofocus");
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusSummary);
  } else {
    focusSummary();
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.elt;
    var group = document.querySelector("[data-group] [autofocus]");
    if (group) {
      focusMarked(group.closest("[data-group]"));
    } else if (target && target.isConnected) {
      focusMarked(target);
    }
  });
})();
