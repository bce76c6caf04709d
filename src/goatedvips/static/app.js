// Shows every <time data-utc> in the viewer's own time zone; countdowns tick once a second.
(function () {
  function localise(root) {
    root.querySelectorAll("time[datetime]:not([data-done])").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (!isNaN(d)) { el.textContent = d.toLocaleString(); el.title = el.getAttribute("datetime"); el.dataset.done = "1"; }
    });
  }
  function tick() {
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var left = Math.max(0, new Date(el.dataset.countdown) - new Date());
      var s = Math.floor(left / 1000), d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600),
          m = Math.floor(s % 3600 / 60), sec = s % 60;
      el.textContent = (d ? d + "d " : "") + h + "h " + m + "m " + sec + "s";
    });
  }
  document.addEventListener("DOMContentLoaded", function () { localise(document); tick(); setInterval(tick, 1000); });
  document.addEventListener("htmx:afterSwap", function (e) { localise(e.target); });
})();
