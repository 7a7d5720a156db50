// patrol review UI: keyboard triage, and times in the analyst's time zone. Served from
// /static/ui.js (the CSP allows no other script). Every word it shows comes from the page, in the
// page's language: the JSON block #ui-text that ui.c renders (never run as script), so nothing
// here is translated.
"use strict";
(function () {
  var rows = [], cur = -1, help = null;
  var csrfMeta = document.querySelector('meta[name="csrf"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var one = document.getElementById("one");
  var statusOf = { c: "confirmed", d: "dismissed", e: "escalated" };
  var actionOf = { c: "confirm", d: "dismiss", e: "escalate" };
  var text = {};
  try {
    text = JSON.parse(document.getElementById("ui-text").textContent);
  } catch (e) { /* no block: the keys' names stay as they are */ }

  function tr(key, fallback) {
    return typeof text[key] === "string" ? text[key] : fallback;
  }

  // "Hit #%s is now %s." with its %s filled in order.
  function fill(fmt, args) {
    var i = 0;
    return fmt.replace(/%s/g, function () { return i < args.length ? args[i++] : ""; });
  }

  // <time datetime="...Z">UTC text</time> in the analyst's saved zone (meta tz), else the
  // browser's; the UTC text stays as the tooltip. An unknown zone falls back to the browser's.
  function localTimes() {
    var tzMeta = document.querySelector('meta[name="tz"]');
    var lang = document.documentElement.lang || "en";
    var opts = { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
      minute: "2-digit", hourCycle: "h23", timeZoneName: "short" };
    var fmt;
    try {
      if (tzMeta) opts.timeZone = tzMeta.getAttribute("content");
      fmt = new Intl.DateTimeFormat(lang, opts);
    } catch (e) {
      delete opts.timeZone;
      fmt = new Intl.DateTimeFormat(lang, opts);
    }
    document.querySelectorAll("time[datetime]").forEach(function (t) {
      var d = new Date(t.getAttribute("datetime"));
      if (isNaN(d.getTime())) return;
      var p = {};
      fmt.formatToParts(d).forEach(function (x) { p[x.type] = x.value; });
      t.title = t.textContent;
      // ISO order in every language, as the UTC text has it: 2026-11-28 19:05 GMT+8
      t.textContent = p.year + "-" + p.month + "-" + p.day + " " + p.hour + ":" + p.minute +
        (p.timeZoneName ? " " + p.timeZoneName : "");
    });
  }

  function flash(text) {
    var f = document.getElementById("flash");
    if (!f) {
      f = document.createElement("div");
      f.id = "flash";
      document.body.appendChild(f);
    }
    f.textContent = text;
    f.className = "show";
    setTimeout(function () { f.className = ""; }, 2500);
  }

  function move(to) {
    if (!rows.length) return;
    if (cur >= 0) rows[cur].classList.remove("cur");
    cur = Math.max(0, Math.min(rows.length - 1, to));
    rows[cur].classList.add("cur");
    rows[cur].scrollIntoView({ block: "nearest" });
  }

  function selected() {
    return document.querySelectorAll('#rows input[name="id"]:checked');
  }

  function act(key) {
    if (one) {
      one.querySelector('button[value="' + actionOf[key] + '"]').click();
      return;
    }
    if (selected().length) {
      document.querySelector('#bulk button[value="' + actionOf[key] + '"]').click();
      return;
    }
    if (cur < 0) return;
    var row = rows[cur], id = row.getAttribute("data-id");
    var body = new URLSearchParams();
    body.append("csrf", csrf);
    body.append("id", id);
    body.append("action", actionOf[key]);
    body.append("ajax", "1");
    fetch("/review", { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) {
        if (r.status !== 204) throw new Error("HTTP " + r.status);
        var cell = row.querySelector("td.st"), label = tr(statusOf[key], statusOf[key]);
        cell.textContent = label;
        cell.className = "st st-" + statusOf[key];
        flash(fill(tr("changed", "Hit #%s is now %s."), [id, label]));
        move(cur + 1);
      })
      .catch(function (e) {
        flash(fill(tr("failed", "Hit #%s was not changed: %s"), [id, e.message]));
      });
  }

  function toggleHelp() {
    if (!help) {
      help = document.createElement("div");
      help.id = "help";
      var lines = [
        ["j / k", "k_move"], ["x", "k_select"], ["o, Enter", "k_open"], ["c", "k_confirm"],
        ["d", "k_dismiss"], ["e", "k_escalate"], ["n", "k_note"], ["?", "k_help"],
        ["Esc", "k_close"]];
      var t = document.createElement("table");
      lines.forEach(function (l) {
        var line = t.insertRow(), k = line.insertCell(), v = line.insertCell();
        var kbd = document.createElement("kbd");
        kbd.textContent = l[0];
        k.appendChild(kbd);
        v.textContent = tr(l[1], l[1]);
      });
      var h = document.createElement("h2");
      h.textContent = tr("keys", "Keys");
      help.appendChild(h);
      help.appendChild(t);
      document.body.appendChild(help);
    } else {
      help.hidden = !help.hidden;
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    localTimes();
    rows = Array.prototype.slice.call(document.querySelectorAll("#rows tbody tr"));
    if (rows.length) move(0);
    rows.forEach(function (r, i) {
      r.addEventListener("click", function (ev) {
        if (ev.target.tagName !== "A" && ev.target.tagName !== "INPUT") move(i);
      });
    });
  });

  document.addEventListener("keydown", function (ev) {
    var t = ev.target.tagName;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (t === "INPUT" || t === "TEXTAREA" || t === "SELECT") {
      if (ev.key === "Escape") ev.target.blur();
      return;
    }
    var k = ev.key;
    if (k === "j") move(cur + 1);
    else if (k === "k") move(cur - 1);
    else if (k === "x" && cur >= 0) {
      var box = rows[cur].querySelector('input[name="id"]');
      box.checked = !box.checked;
    } else if ((k === "o" || k === "Enter") && cur >= 0) {
      window.location.href = rows[cur].querySelector("a.hl").getAttribute("href");
    } else if (k === "c" || k === "d" || k === "e") act(k);
    else if (k === "n") {
      var note = document.getElementById("note");
      if (note) note.focus();
    } else if (k === "?") toggleHelp();
    else if (k === "Escape" && help) help.hidden = true;
    else return;
    ev.preventDefault();
  });
})();
