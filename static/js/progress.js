// The progress page of long work (templates/tasks/progress.html): polls the task's JSON status
// and shows its stage and how far it is; once it is done or failed, it loads the page again,
// which is then the result (or the error). Without scripts the page refreshes itself
// (<meta http-equiv="refresh"> in <noscript>) and offers a link.
(function () {
  "use strict";
  var box = document.querySelector("[data-progress-url]");
  if (!box) { return; }
  var statusUrl = box.getAttribute("data-progress-url");
  var pageUrl = box.getAttribute("data-page-url");
  var every = parseInt(box.getAttribute("data-poll-ms") || "1000", 10);
  var stage = box.querySelector("[data-testid=task-stage]");
  var bar = box.querySelector("progress");
  var percent = box.querySelector("[data-testid=task-percent]");
  var failures = 0;

  function show(state) {
    if (stage && state.stage) { stage.textContent = state.stage; }
    if (bar) {
      if (state.fraction === null || state.fraction === undefined) {
        bar.removeAttribute("value");
      } else {
        bar.value = state.fraction;
      }
    }
    if (percent) {
      percent.textContent = (state.fraction === null || state.fraction === undefined)
        ? "" : Math.round(state.fraction * 100) + "%";
    }
  }

  function poll() {
    fetch(statusUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}, cache: "no-store"})
      .then(function (response) {
        if (!response.ok || (response.headers.get("Content-Type") || "").indexOf("json") < 0) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (state) {
        failures = 0;
        show(state);
        if (state.status === "done" || state.status === "failed") {
          window.location.replace(pageUrl);
          return;
        }
        window.setTimeout(poll, every);
      })
      .catch(function () {
        failures += 1;
        if (failures >= 5) { window.location.replace(pageUrl); return; }
        window.setTimeout(poll, every * 2);
      });
  }

  window.setTimeout(poll, every);
}());
