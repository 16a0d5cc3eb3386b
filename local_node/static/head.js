/* The unit head's manual list: each member of the head's unit with today's status, a search
   box, and Datang/Pulang per member once a reason is typed; the result shows on the row used.
   Loaded by app.js when a head first opens the list (staff never download it). */
(function () {
  "use strict";
  var P = window.presensi;
  if (window.presensiHead) return;  // opened twice before it loaded
  var H = {
    id: {
      reason: "Alasan (wajib)", reason_ph: "Alasan, mis. HP rusak", nothing: "Belum presensi",
      you: "(Anda)", m_done: "Tercatat: {name}, {kind} {time} (No. {seq}).",
      search: "Cari nama atau NIP", none: "Tidak ada anggota yang cocok."
    },
    en: {
      reason: "Reason (required)", reason_ph: "Reason, e.g. phone broken",
      nothing: "Not checked in yet", you: "(you)",
      m_done: "Recorded: {name}, {kind} {time} (No. {seq}).",
      search: "Search name or NIP", none: "No member matches."
    }
  };
  // The unit as loaded, the reasons typed per NIP, the last result per NIP (shown on its row).
  var unit = null, reasons = {}, done = {}, mpend = null, ubusy = false, query = "";
  var list = document.getElementById("members"), search, empty;

  function $(id) { return document.getElementById(id); }
  function t(key, p) {
    var s = H[P.lang()][key];
    return s ? s.replace(/\{(\w+)\}/g, function (_, k) { return p[k]; }) : P.t(key, p);
  }
  function hhmm(ts) { return P.wita(ts).slice(0, 5); }
  function okReason(v) { v = v.trim(); return v.length >= 3 && v.length <= 200; }
  function status(m) {
    return m.records.map(function (x) {
      var s = P.t(x.kind) + " " + hhmm(x.ts);
      return x.method && x.method !== "app" ? s + " (" + P.t("m_" + x.method) + ")" : s;
    }).join(" · ") || t("nothing");
  }
  function matches(m) {
    var q = query.trim().toLowerCase();
    return !q || m.name.toLowerCase().indexOf(q) >= 0 || m.nip.indexOf(q.replace(/\s+/g, "")) >= 0;
  }

  /* Each member with today's status; a reason enables that member's Datang/Pulang. */
  function render() {
    var me = P.me(), shown = 0;
    list.textContent = "";
    $("unit-name").textContent = unit ? unit.unit + " · " + unit.day : "";
    search.placeholder = t("search");
    search.setAttribute("aria-label", t("search"));
    if (!unit) return;
    unit.members.forEach(function (m) {
      var li = P.el("li"), id = "rs-" + m.nip, lab, inp, row, ok;
      m.records = m.records || [];
      li.hidden = !matches(m);
      if (!li.hidden) shown++;
      li.appendChild(P.el("p", "name", m.name + (me && m.nip === me.nip ? " " + t("you") : "")));
      li.appendChild(P.el("p", "mono", m.nip));
      li.appendChild(P.el("p", "st", status(m)));
      if (!me || m.nip !== me.nip) {
        lab = P.el("label", "", t("reason"));
        lab.htmlFor = id;
        lab.appendChild(P.el("span", "sr", " " + m.name));
        inp = P.el("input");
        inp.id = id; inp.maxLength = 200; inp.autocomplete = "off";
        inp.placeholder = t("reason_ph");
        inp.value = reasons[m.nip] || "";
        inp.setAttribute("data-nip", m.nip);
        row = P.el("div", "two");
        ok = okReason(inp.value);
        ["in", "out"].forEach(function (k) {
          var b = P.el("button", "btn " + k, P.t(k));
          b.type = "button";
          b.disabled = ubusy || !ok;
          b.setAttribute("data-nip", m.nip);
          b.setAttribute("data-k", k);
          b.setAttribute("aria-label", P.t(k) + ": " + m.name);
          row.appendChild(b);
        });
        li.appendChild(lab); li.appendChild(inp); li.appendChild(row);
        if (done[m.nip]) li.appendChild(P.el("p", "msg done", done[m.nip]));
      }
      list.appendChild(li);
    });
    empty.textContent = t("none");
    empty.hidden = shown > 0;
  }

  function load() {
    return P.api("GET", "/api/v1/unit").then(function (r) {
      if (r.status === 401) return P.showSignin(P.errText(r));
      if (r.status !== 200) return P.say("unit-msg", P.errText(r), true);
      unit = r.data;
      render();
    }, function () { P.say("unit-msg", P.t("noanswer"), true); });
  }

  /* The head enters a member's check-in by hand, with the reason typed for that member. */
  async function manual(nip, kind) {
    var m = unit && unit.members.filter(function (x) { return x.nip === nip; })[0];
    if (ubusy || !m) return;
    var reason = (reasons[nip] || "").trim();
    if (!mpend || mpend.nip !== nip || mpend.kind !== kind || mpend.reason !== reason) {
      mpend = { nip: nip, kind: kind, reason: reason, key: P.newKey() };
    }
    ubusy = true;
    render();
    P.say("unit-msg", P.t("sending"));
    var r = await P.post("/api/v1/checkins/manual", { nip: nip, kind: kind, reason: reason },
      mpend.key, "unit-msg");
    ubusy = false;
    if (r) mpend = null;
    if (P.failed(r, "unit-msg")) return render();
    var rec = JSON.parse(r.text);
    reasons[nip] = "";
    done = {};
    done[nip] = t("m_done", { name: m.name, kind: P.t("w_" + kind), time: hhmm(rec.ts),
      seq: rec.seq });
    P.say("unit-msg", done[nip]);
    await load();
  }

  search = P.el("input", "search");
  search.id = "unit-search"; search.type = "search"; search.autocomplete = "off";
  empty = P.el("p", "muted", "");
  empty.hidden = true;
  list.parentNode.insertBefore(search, list);
  list.parentNode.insertBefore(empty, list.nextSibling);
  search.addEventListener("input", function () {
    query = search.value;
    render();
  });
  $("unit-reload").addEventListener("click", load);
  list.addEventListener("input", function (ev) {
    var ok = okReason(ev.target.value);
    reasons[ev.target.getAttribute("data-nip")] = ev.target.value;
    P.each("button", function (b) { b.disabled = ubusy || !ok; }, ev.target.parentNode);
  });
  list.addEventListener("click", function (ev) {
    var b = ev.target;
    if (b.tagName === "BUTTON" && !b.disabled) {
      manual(b.getAttribute("data-nip"), b.getAttribute("data-k"));
    }
  });

  window.presensiHead = {
    open: load,
    render: render,
    /* Signed out: nothing of this unit or its reasons stays on the phone's page. */
    reset: function () {
      unit = null; reasons = {}; done = {}; mpend = null; query = ""; search.value = "";
      P.say("unit-msg", "");
      render();
    }
  };
  load();
})();
