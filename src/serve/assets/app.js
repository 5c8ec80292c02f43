// huizong serve: optional helpers. Every page works without this script;
// it only adds drag-and-drop, an upload progress bar, job progress and
// the receipt's print button.
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.addEventListener("click", function () { window.print(); });
  });

  document.querySelectorAll("[data-drop]").forEach(function (zone) {
    var input = zone.querySelector("input[type=file]");
    ["dragenter", "dragover"].forEach(function (ev) {
      zone.addEventListener(ev, function (e) { e.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (ev) {
      zone.addEventListener(ev, function (e) { e.preventDefault(); zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (e) {
      if (e.dataTransfer && e.dataTransfer.files.length === 1) {
        input.files = e.dataTransfer.files;
      }
    });
  });

  document.querySelectorAll("form.upload").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      if (!window.XMLHttpRequest || !window.FormData) { return; }
      e.preventDefault();
      var bar = form.querySelector(".progress");
      var fill = form.querySelector(".progress .bar");
      bar.hidden = false;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.upload.onprogress = function (p) {
        if (p.lengthComputable) { fill.style.width = Math.round(90 * p.loaded / p.total) + "%"; }
      };
      xhr.onload = function () {
        fill.style.width = "100%";
        if (xhr.responseURL && xhr.responseURL.indexOf("/uploads/") >= 0) {
          window.location.href = xhr.responseURL;
        } else {
          document.open(); document.write(xhr.responseText); document.close();
        }
      };
      xhr.onerror = function () { form.submit(); };
      xhr.send(new FormData(form));
    });
  });

  var job = document.querySelector("[data-job]");
  if (job && job.getAttribute("data-state") === "running") {
    var id = job.getAttribute("data-job");
    var fill = job.querySelector("progress.job");
    var stage = job.querySelector("p.stage");
    var tick = function () {
      fetch("/api/jobs/" + id, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (j) {
          if (fill && j.progress) { fill.value = j.progress; }
          if (stage && j.stage) { stage.textContent = j.stage + "……"; }
          if (j.state !== "running") { window.location.reload(); } else { setTimeout(tick, 1500); }
        })
        .catch(function () { setTimeout(tick, 3000); });
    };
    setTimeout(tick, 1500);
  }
})();
