// Instants in the reader's own timezone (seed 002: "the timezone is the one set in your browser").
// The server writes <time datetime="…Z" data-local-time>… UTC</time>; this replaces the text with the
// local date and time in the page's language and keeps the UTC text as a tooltip. Without
// JavaScript the UTC text stays. Runs on load and on every piece htmx swaps in.
(function () {
  "use strict";

  function rewrite(root) {
    var lang = document.documentElement.lang || undefined;
    var format = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
    root.querySelectorAll("time[data-local-time]").forEach(function (element) {
      var instant = new Date(element.getAttribute("datetime"));
      if (isNaN(instant.getTime())) {
        return;
      }
      element.title = element.textContent;
      element.textContent = format.format(instant);
      element.removeAttribute("data-local-time");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    rewrite(document);
  });
  document.addEventListener("htmx:load", function (event) {
    rewrite(event.target);
  });
})();
