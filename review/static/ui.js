// patrol review UI: keyboard triage. Served from /static/ui.js (the CSP allows no other script).
"use strict";
(function () {
  var rows = [], cur = -1, help = null;
  var csrfMeta = document.querySelector('meta[name="csrf"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var one = document.getElementById("one");
  var statusOf = { c: "confirmed", d: "dismissed", e: "escalated" };
  var actionOf = { c: "confirm", d: "dismiss", e: "escalate" };

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
        var cell = row.querySelector("td.st");
        cell.textContent = statusOf[key];
        cell.className = "st st-" + statusOf[key];
        flash("#" + id + " " + statusOf[key]);
        move(cur + 1);
      })
      .catch(function (e) { flash("#" + id + " not changed: " + e.message); });
  }

  function toggleHelp() {
    if (!help) {
      help = document.createElement("div");
      help.id = "help";
      var lines = [
        ["j / k", "next / previous hit"], ["x", "select the hit"], ["o, Enter", "open the hit"],
        ["c", "confirm"], ["d", "dismiss"], ["e", "escalate"], ["n", "write a note"],
        ["?", "this help"], ["Esc", "close"]];
      var t = document.createElement("table");
      lines.forEach(function (l) {
        var tr = t.insertRow(), k = tr.insertCell(), v = tr.insertCell();
        var kbd = document.createElement("kbd");
        kbd.textContent = l[0];
        k.appendChild(kbd);
        v.textContent = l[1];
      });
      var h = document.createElement("h2");
      h.textContent = "Keys";
      help.appendChild(h);
      help.appendChild(t);
      document.body.appendChild(help);
    } else {
      help.hidden = !help.hidden;
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
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
