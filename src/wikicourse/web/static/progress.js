// Follows a running update on the manage page: polls its run every second, reloads when it ends.
(function () {
  var box = document.getElementById("update-progress");
  if (!box || box.dataset.status !== "running") return;
  function fmt(n) { return Number(n || 0).toLocaleString("en"); }
  function poll() {
    fetch(box.dataset.api, {headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (doc) {
        var run = doc.updates && doc.updates[0];
        if (!run) return setTimeout(poll, 1000);
        box.dataset.status = run.status;
        if (run.status !== "running") { window.location.reload(); return; }
        box.textContent = "Updating: " + (run.step || "starting") + ", " + fmt(run.done) + " of " +
          fmt(run.total) + " done, " + fmt(run.revisions) + " revisions so far.";
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
