/* The staff page's device list: where this employee is signed in, and "Keluar dari semua
   perangkat" (end every other session). Loaded by app.js when the list is first opened. */
(function () {
  "use strict";
  var P = window.presensi, css = document.createElement("link");
  if (window.presensiDevices) return;  // opened twice before it loaded
  css.rel = "stylesheet";
  css.href = document.currentScript.src.replace("devices.js", "devices.css").replace(/\?v=.*/, "");
  document.head.appendChild(css);
  var T = {
    id: {
      hint: "HP hilang, dipinjam atau dijual? Keluarkan semua perangkat lain; perangkat ini tetap masuk.",
      end: "Keluar dari semua perangkat", self: "perangkat ini", unknown: "Peramban tidak dikenal",
      since: "Masuk {date}", used: "Terakhir absen {date}", never: "Belum pernah absen",
      sure: "Keluarkan semua perangkat lain dari akun Anda?",
      done: "{n} perangkat lain sudah dikeluarkan.",
      noanswer: "Node tidak menjawab. Periksa Wi-Fi kantor lalu coba lagi."
    },
    en: {
      hint: "Phone lost, lent or sold? Sign out every other device; this one stays signed in.",
      end: "Sign out of all devices", self: "this device", unknown: "Unknown browser",
      since: "Signed in {date}", used: "Last check-in {date}", never: "No check-in yet",
      sure: "Sign every other device out of your account?",
      done: "{n} other device(s) signed out.",
      noanswer: "The node does not answer. Check the office Wi-Fi and try again."
    }
  };
  var box = document.createElement("div"), list, msg, btn;
  document.getElementById("devices").appendChild(box);

  function t(key, p) {
    return T[P.lang()][key].replace(/\{(\w+)\}/g, function (_, k) { return p[k]; });
  }
  /* dd/mm/yyyy HH:MM in WITA (UTC+8, no daylight saving). */
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function date(ts) {
    var d = new Date(ts), w;
    if (isNaN(d.getTime())) return "-";
    w = new Date(d.getTime() + 8 * 3600e3);
    return pad(w.getUTCDate()) + "/" + pad(w.getUTCMonth() + 1) + "/" + w.getUTCFullYear() +
      " " + pad(w.getUTCHours()) + ":" + pad(w.getUTCMinutes());
  }

  function build() {
    box.textContent = "";
    var card = P.el("div", "card");
    card.appendChild(P.el("p", "muted", t("hint", {})));
    list = P.el("ul", "devs"); list.id = "dev-list";
    msg = P.el("p", "msg"); msg.id = "dev-msg"; msg.hidden = true;
    msg.setAttribute("role", "status");
    btn = P.el("button", "btn sec", t("end", {})); btn.id = "dev-end"; btn.type = "button";
    btn.addEventListener("click", endOthers);
    card.appendChild(list); card.appendChild(msg); card.appendChild(btn);
    box.appendChild(card);
  }

  function load() {
    return P.api("GET", "/api/v1/sessions").then(function (r) {
      if (r.status === 401) return P.showSignin(P.errText(r));
      if (r.status !== 200) return P.say("dev-msg", P.errText(r), true);
      list.textContent = "";
      (r.data.sessions || []).forEach(function (s) {
        var li = P.el("li");
        li.appendChild(P.el("b", "", (s.label || t("unknown", {})) + " · " + s.device.slice(0, 8)));
        if (s.current) li.appendChild(P.el("span", "this", " (" + t("self", {}) + ")"));
        li.appendChild(P.el("p", "muted", t("since", { date: date(s.created) })));
        li.appendChild(P.el("p", "muted", s.last_used ?
          t("used", { date: date(s.last_used) }) : t("never", {})));
        list.appendChild(li);
      });
    }, function () { P.say("dev-msg", t("noanswer", {}), true); });
  }

  function endOthers() {
    if (!window.confirm(t("sure", {}))) return;
    btn.disabled = true;
    P.api("POST", "/api/v1/sessions/end-others", {}).then(function (r) {
      btn.disabled = false;
      if (r.status === 401) return P.showSignin(P.errText(r));
      if (r.status !== 200) return P.say("dev-msg", P.errText(r), true);
      P.say("dev-msg", t("done", { n: r.data.ended }));
      return load();
    }, function () { btn.disabled = false; P.say("dev-msg", t("noanswer", {}), true); });
  }

  // Built afresh on every open: after a sign-out or a language change nothing stale shows.
  window.presensiDevices = { open: function () { build(); return load(); } };
  window.presensiDevices.open();
})();
