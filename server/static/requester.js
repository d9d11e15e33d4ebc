/* khidma — focus for the requester's pages (no inline script anywhere; loaded with defer).
 *
 * - A page that comes back with an error summary (a refused submission) moves focus to it, so a
 *   screen reader announces the problems and a keyboard user starts from them (GOV.UK pattern).
 * - After HTMX swaps a repeatable group (a row added or removed), focus goes to the element the server
 *   marked with `autofocus`: the first input of the new row, or the group's "add" button.
 * - While the pointer is down on a form's submit button, no other element of that form sends its
 *   request. Pressing the button takes focus from the field just typed in, and its `change` would send
 *   a check whose answer (an error above the button) can move the button from under the pointer before
 *   it comes up: the click, and the submission, would be lost. The submission checks every field anyway.
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

  var pressed = null; // the submit button the pointer is down on

  document.addEventListener("pointerdown", function (event) {
    var button = event.target.closest && event.target.closest("button, input[type=submit]");
    pressed = button && button.form && button.type === "submit" ? button : null;
  }, true);

  function release() {
    window.setTimeout(function () { pressed = null; }, 0);
  }
  document.addEventListener("pointerup", release, true);
  document.addEventListener("pointercancel", release, true);

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    var form = pressed && pressed.form;
    if (form && elt && elt !== pressed && elt !== form && form.contains(elt)) {
      event.preventDefault();
    }
  });

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
