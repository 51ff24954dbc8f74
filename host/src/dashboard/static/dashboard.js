// Portcullis dashboard: the little script the pages need, loaded from the
// dashboard itself (the Content-Security-Policy allows no inline script).
//
// 1. Every htmx request carries the session's CSRF token, read from
//    <meta name="csrf-token">, in the X-CSRF-Token header.
// 2. A table body with data-stream (the activity page) grows live: an
//    EventSource on that URL receives each new record as an `entry` event
//    whose data is one rendered <tr>, which is put on top.
"use strict";

(function () {
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : null;
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var token = csrfToken();
    if (token) {
      event.detail.headers["X-CSRF-Token"] = token;
    }
  });

  var MAX_ROWS = 500;

  function live(body) {
    if (body.dataset.live) {
      return;
    }
    body.dataset.live = "1";
    var status = document.getElementById("live-status");
    var source = new EventSource(body.dataset.stream);
    function say(text, tone) {
      if (status) {
        status.textContent = text;
        status.className = "badge " + tone;
      }
    }
    source.addEventListener("open", function () {
      say("live", "good");
    });
    source.addEventListener("error", function () {
      say(source.readyState === EventSource.CLOSED ? "stopped" : "reconnecting", "warn");
    });
    source.addEventListener("entry", function (event) {
      var holder = document.createElement("tbody");
      holder.innerHTML = event.data;
      var row = holder.firstElementChild;
      if (!row) {
        return;
      }
      row.classList.add("fresh");
      var empty = body.querySelector("tr.empty");
      if (empty) {
        empty.remove();
      }
      body.insertBefore(row, body.firstElementChild);
      while (body.rows.length > MAX_ROWS) {
        body.deleteRow(-1);
      }
    });
    window.addEventListener("pagehide", function () {
      source.close();
    });
  }

  function start() {
    document.querySelectorAll("tbody[data-stream]").forEach(live);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
