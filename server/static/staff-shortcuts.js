/* khidma — keyboard shortcuts of the staff pages, and the task list's self-refresh pausing while hidden.
 *
 * On the task list (/staff/tasks): j / k move to the next / previous row (focus on the row's link, the
 * row highlighted), Enter or o opens it, / goes to the search box, ? opens the shortcut help.
 * On a staff ticket page (/staff/tickets/{id}): n opens the next ticket of the last list seen
 * (GET /staff/tasks/next?after={id}&<that list's filters>; the server answers with a redirect).
 * Keys typed into a field, or with Ctrl / Alt / Meta, are left alone. No inline script anywhere:
 * loaded with <script src=… defer>.
 */
(function () {
  "use strict";
  // loaded once, even when both the layout and a page include it
  if (window.khidmaStaffShortcuts) return;
  window.khidmaStaffShortcuts = true;

  var LIST_QUERY = "khidma.tasks.query";

  function typing(target) {
    if (!target || !target.closest) return false;
    return Boolean(target.closest("input, textarea, select, [contenteditable=''], [contenteditable=true]"));
  }

  function rowLinks() {
    return Array.prototype.slice.call(document.querySelectorAll("#task-list tbody tr a.number"));
  }

  function highlight(link) {
    rowLinks().forEach(function (other) {
      var row = other.closest("tr");
      if (row) row.classList.toggle("task-current", other === link);
    });
    link.focus();
    if (link.scrollIntoView) link.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var links = rowLinks();
    if (!links.length) return false;
    var at = links.indexOf(document.activeElement);
    if (at < 0) {
      var marked = document.querySelector("#task-list tr.task-current a.number");
      at = marked ? links.indexOf(marked) : -1;
    }
    var next = at < 0 ? (step > 0 ? 0 : links.length - 1) : Math.min(links.length - 1, Math.max(0, at + step));
    highlight(links[next]);
    return true;
  }

  function currentLink() {
    var links = rowLinks();
    if (links.indexOf(document.activeElement) >= 0) return document.activeElement;
    return document.querySelector("#task-list tr.task-current a.number");
  }

  function ticketId() {
    var main = document.querySelector("main[data-ticket-id]");
    if (main) return main.getAttribute("data-ticket-id");
    var match = /^\/staff\/tickets\/(\d+)\/?$/.exec(window.location.pathname);
    return match ? match[1] : null;
  }

  function rememberList() {
    if (window.location.pathname.replace(/\/$/, "") !== "/staff/tasks") return;
    try {
      window.sessionStorage.setItem(LIST_QUERY, window.location.search.replace(/^\?/, ""));
    } catch (e) {
      /* storage refused: "next" uses the default list */
    }
  }

  function nextTicket(id) {
    var query = "";
    try {
      query = window.sessionStorage.getItem(LIST_QUERY) || "";
    } catch (e) {
      query = "";
    }
    var kept = query
      .split("&")
      .filter(function (pair) {
        return pair && !/^(after|page)=/.test(pair);
      })
      .join("&");
    window.location.assign("/staff/tasks/next?after=" + encodeURIComponent(id) + (kept ? "&" + kept : ""));
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) return;
    var onList = Boolean(document.getElementById("task-list"));
    var key = event.key;
    if (onList && (key === "j" || key === "k")) {
      if (move(key === "j" ? 1 : -1)) event.preventDefault();
    } else if (onList && (key === "o" || (key === "Enter" && event.target === document.body))) {
      var link = currentLink();
      if (link) {
        event.preventDefault();
        link.click();
      }
    } else if (onList && key === "/") {
      var search = document.getElementById("filter-q");
      if (search) {
        event.preventDefault();
        search.focus();
        search.select();
      }
    } else if (onList && key === "?") {
      var help = document.getElementById("shortcut-help");
      if (help) {
        event.preventDefault();
        help.open = true;
        var summary = help.querySelector("summary");
        if (summary) summary.focus();
      }
    } else if (!onList && key === "n") {
      var id = ticketId();
      if (id) {
        event.preventDefault();
        nextTicket(id);
      }
    }
  });

  /* The list re-reads itself (#task-refresh, hx-trigger "every 30s"): not while the page is hidden,
     and once at once when it is shown again. */
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt && elt.id === "task-refresh" && document.visibilityState !== "visible") event.preventDefault();
  });
  document.addEventListener("visibilitychange", function () {
    var elt = document.getElementById("task-refresh");
    if (elt && document.visibilityState === "visible" && window.htmx) window.htmx.trigger(elt, "task-refresh-now");
  });

  /* Keep the highlighted row across a refresh (htmx keeps the focus by id; the class comes back here). */
  document.addEventListener("htmx:afterSettle", function () {
    rememberList();
    var active = document.activeElement;
    if (active && active.matches && active.matches("#task-list tbody tr a.number")) {
      var row = active.closest("tr");
      if (row) row.classList.add("task-current");
    }
  });

  document.addEventListener("htmx:pushedIntoHistory", rememberList);
  rememberList();
})();
