// asnsql report: the membership grid and the filters. Text from the pool reaches the page
// only through textContent, never as markup.
(function () {
  "use strict";
  var started = performance.now();
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var X = data.exposures, A = data.associations, M = data.members;
  var NS = "http://www.w3.org/2000/svg";
  var fCandidate = document.getElementById("f-candidate");
  var fType = document.getElementById("f-type");
  var fChanged = document.getElementById("f-changed");
  var host = document.getElementById("grid");
  var readout = document.getElementById("readout");
  var asnRows = document.querySelectorAll("#associations tbody tr[data-a]");
  var orphanRows = document.querySelectorAll("#orphans tbody tr[data-x]");

  // What each association holds: its members and their exposure types.
  var membersOf = A.map(function () { return []; });
  var typesOf = A.map(function () { return new Set(); });
  var roleOf = new Map();
  M.forEach(function (m) {
    membersOf[m[0]].push(m);
    typesOf[m[0]].add(X[m[1]][1]);
    roleOf.set(m[0] * X.length + m[1], m[2]);
  });

  function choice(select, values) {
    // The first option is "all"; the others follow `values` in order.
    return select && select.selectedIndex > 0 ? values[select.selectedIndex - 1] : undefined;
  }

  function shown() {
    var candidate = choice(fCandidate, data.candidates);
    var type = choice(fType, data.types);
    var changed = fChanged && fChanged.checked;
    var cols = [], inCols = new Set();
    A.forEach(function (a, i) {
      if (candidate !== undefined && a[3] !== candidate) return;
      if (type !== undefined && !typesOf[i].has(type)) return;
      if (changed && !a[5]) return;
      cols.push(i);
      membersOf[i].forEach(function (m) { inCols.add(m[1]); });
    });
    var rows = [];
    X.forEach(function (x, j) {
      if (type !== undefined && x[1] !== type) return;
      var filtered = candidate !== undefined || changed;
      var listed = candidate !== undefined && !changed && x[2].indexOf(candidate) >= 0;
      if (filtered && !listed && !inCols.has(j)) return;
      rows.push(j);
    });
    return { cols: cols, rows: rows };
  }

  function node(name, attrs, text) {
    var el = document.createElementNS(NS, name);
    for (var key in attrs) el.setAttribute(key, attrs[key]);
    if (text !== undefined) el.textContent = text;
    return el;
  }

  var view = null;

  function draw(cols, rows) {
    var nc = cols.length, nr = rows.length;
    var s = Math.max(4, Math.min(16, Math.floor(1600 / Math.max(nc, 1))));
    var labels = s >= 12 && nr <= 400;
    // Room for the longest label, at about 6.1 px a character of the 10 px monospace font.
    function room(names) {
      return 16 + 6.1 * names.reduce(function (most, n) { return Math.max(most, String(n).length); }, 0);
    }
    var left = labels ? room(rows.map(function (j) { return X[j][0]; })) : 10;
    var top = labels ? room(cols.map(function (a) { return A[a][0]; })) : 10;
    var svg = node("svg", {
      width: left + nc * s + 2, height: top + nr * s + 2, role: "img",
      "aria-label": "membership grid: " + nr + " exposures by " + nc + " associations",
    });
    svg.appendChild(node("rect", { x: left, y: top, width: nc * s, height: nr * s, "class": "bg" }));
    var colAt = new Map(), rowAt = new Map();
    cols.forEach(function (a, i) {
      colAt.set(a, i);
      if (A[a][5]) {
        svg.appendChild(node("rect", { x: left + i * s, y: top - 7, width: s, height: 5, "class": "chg " + A[a][5] }));
      }
      if (labels) {
        var x = left + i * s + s / 2 + 3, y = top - 10;
        svg.appendChild(node("text", { x: x, y: y, transform: "rotate(-90 " + x + " " + y + ")" }, A[a][0]));
      }
    });
    rows.forEach(function (j, r) {
      rowAt.set(j, r);
      if (X[j][3]) {
        svg.appendChild(node("rect", { x: left - 8, y: top + r * s, width: 5, height: s, "class": "orph" }));
      }
      if (labels) {
        svg.appendChild(node("text", { x: left - 11, y: top + r * s + s / 2 + 3, "text-anchor": "end" }, X[j][0]));
      }
    });
    var gap = s > 5 ? 1 : 0;
    M.forEach(function (m) {
      var i = colAt.get(m[0]), r = rowAt.get(m[1]);
      if (i === undefined || r === undefined) return;
      svg.appendChild(node("rect", {
        x: left + i * s, y: top + r * s, width: s - gap, height: s - gap,
        fill: data.colours[m[2]], "class": "cell", "data-a": m[0], "data-x": m[1],
      }));
    });
    host.replaceChildren(svg);
    view = { svg: svg, cols: cols, rows: rows, s: s, left: left, top: top };
  }

  function under(event) {
    var box = view.svg.getBoundingClientRect();
    var i = Math.floor((event.clientX - box.left - view.left) / view.s);
    var r = Math.floor((event.clientY - box.top - view.top) / view.s);
    if (i < 0 || r < 0 || i >= view.cols.length || r >= view.rows.length) return null;
    return { a: view.cols[i], x: view.rows[r] };
  }

  host.addEventListener("mousemove", function (event) {
    var at = view && under(event);
    if (!at) { readout.textContent = "\u00a0"; return; }
    var x = X[at.x], a = A[at.a], role = roleOf.get(at.a * X.length + at.x);
    readout.textContent = x[0] + " (" + x[1] + ")  \u00d7  " + a[0] + " (" + a[1] + ", " + a[3] + "): " +
      (role === undefined ? "not a member" : data.roles[role]) + (x[3] ? "; an orphan" : "");
  });

  host.addEventListener("click", function (event) {
    var at = view && under(event);
    if (!at) return;
    var row = asnRows[at.a];
    document.querySelectorAll("tr.picked").forEach(function (tr) { tr.classList.remove("picked"); });
    row.classList.add("picked");
    row.scrollIntoView({ block: "center" });
  });

  function apply() {
    var view = shown();
    var cols = new Set(view.cols), rows = new Set(view.rows);
    asnRows.forEach(function (tr, i) { tr.hidden = !cols.has(i); });
    var orphansShown = 0;
    orphanRows.forEach(function (tr) {
      var on = rows.has(Number(tr.getAttribute("data-x")));
      tr.hidden = !on;
      orphansShown += on ? 1 : 0;
    });
    document.getElementById("asn-shown").textContent =
      view.cols.length === A.length ? String(A.length) : view.cols.length + " of " + A.length;
    var orphansCount = document.getElementById("orphans-shown");
    if (orphansCount) {
      orphansCount.textContent = orphansShown === orphanRows.length ? String(orphansShown) :
        orphansShown + " of " + orphanRows.length;
    }
    document.getElementById("shown").textContent =
      view.rows.length + " exposures \u00d7 " + view.cols.length + " associations";
    draw(view.cols, view.rows);
  }

  [fCandidate, fType, fChanged].forEach(function (control) {
    if (control) control.addEventListener("change", apply);
  });
  apply();
  // How long the script took to read the data and draw: tests and people can see it.
  document.body.setAttribute("data-ready", Math.round(performance.now() - started) + " ms");
})();
