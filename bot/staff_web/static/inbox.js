// The staff inbox's few shortcuts (/ search, j/k next/previous, ? help) and the notice that
// new tickets arrived. No framework, nothing fetched from elsewhere (CSP default-src 'self').
(function () {
  "use strict";
  function typing(target) {
    var tag = (target && target.tagName) || "";
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }
  var selected = -1;
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#queue .row")); }
  function select(index) {
    var all = rows();
    if (!all.length) return;
    selected = Math.max(0, Math.min(all.length - 1, index));
    all.forEach(function (row, i) { row.classList.toggle("selected", i === selected); });
    var link = all[selected].querySelector("a.ref");
    if (link) link.focus();
  }
  document.addEventListener("keydown", function (event) {
    var help = document.getElementById("help");
    if (event.key === "Escape" && help && !help.hidden) { help.hidden = true; return; }
    if (typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "/") {
      var search = document.getElementById("q");
      if (search) { event.preventDefault(); search.focus(); }
    } else if (event.key === "j") {
      select(selected + 1);
    } else if (event.key === "k") {
      select(selected - 1);
    } else if (event.key === "?") {
      if (help) help.hidden = !help.hidden;
    }
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  var news = document.getElementById("news");
  if (news && window.fetch) {
    var latest = parseInt(news.getAttribute("data-latest") || "0", 10);
    setInterval(function () {
      fetch("/api/latest", { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data && data.latest > latest) news.hidden = false; })
        .catch(function () {});
    }, 30000);
  }
})();
