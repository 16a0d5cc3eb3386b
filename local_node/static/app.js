/* Staff page of the Presensi node: sign in, one big Datang/Pulang button, signed proof,
   and the office fallbacks: a colleague's check-in on this phone, the unit head's manual list.
   No framework, no external assets; works over plain HTTP (no randomUUID, no geolocation). */
(function () {
  "use strict";
  var T = {
    id: {
      loading: "Memuat…", signin_title: "Masuk", nip: "NIP (18 angka)", pin: "PIN (6 angka)",
      signin: "Masuk", "in": "Datang", out: "Pulang", other_in: "Catat datang",
      other_out: "Catat pulang", signed: "Tercatat dan ditandatangani", seq: "No.",
      proof: "Unduh bukti", today: "Presensi hari ini", none: "Belum ada.", signout: "Keluar",
      central: "Rekap bulanan saya di pusat",
      w_in: "datang", w_out: "pulang",
      again: "Anda sudah tercatat {kind} pukul {time}. Catat lagi?", sending: "Mengirim…",
      retry: "Jaringan lambat, mencoba lagi ({n}/3)…",
      noanswer: "Node tidak menjawab. Periksa Wi-Fi kantor lalu coba lagi.",
      badnip: "NIP harus 18 angka.", badpin: "PIN harus 6 angka.",
      odd: "Jawaban tidak terduga dari node (HTTP {status}).", bye: "Anda sudah keluar.",
      wit_open: "Absen untuk rekan (HP rekan mati/hilang)",
      wit_hint: "Rekan mengetik NIP dan PIN-nya sendiri. Buktinya milik rekan.",
      wit_nip: "NIP rekan (18 angka)", wit_pin: "PIN rekan (6 angka)", wit_send: "Catat",
      wit_kind: "Datang atau pulang?",
      wit_done: "Tercatat untuk rekan", pickkind: "Pilih Datang atau Pulang.",
      unit_open: "Daftar manual kepala unit", reload: "Muat ulang",
      m_manual: "manual", m_witness: "lewat rekan", m_kiosk: "kios",
      h_kiosk: "Lewat kode layar kantor", h_witness: "Di HP rekan (NIP {nip})",
      h_manual: "Dicatat kepala unit (NIP {nip})", early: "Catat pulang sekarang?",
      kiosk: "Kode kantor terbaca: presensi berikut dicatat lewat layar kantor.",
      dev_open: "Perangkat yang masuk", outside: "Di luar area kantor: {m} m"
    },
    en: {
      loading: "Loading…", signin_title: "Sign in", nip: "NIP (18 digits)", pin: "PIN (6 digits)",
      signin: "Sign in", "in": "Arrive", out: "Leave", other_in: "Record arrival",
      other_out: "Record departure", signed: "Recorded and signed", seq: "No.",
      proof: "Download proof", today: "Today's attendance", none: "Nothing yet.",
      signout: "Sign out", w_in: "arrival", w_out: "departure", central: "My month at central",
      again: "Your {kind} was already recorded at {time}. Record again?",
      sending: "Sending…", retry: "Slow network, trying again ({n}/3)…",
      noanswer: "The node does not answer. Check the office Wi-Fi and try again.",
      badnip: "NIP must be 18 digits.", badpin: "PIN must be 6 digits.",
      odd: "Unexpected answer from the node (HTTP {status}).", bye: "You are signed out.",
      wit_open: "Check in a colleague (their phone is dead/lost)",
      wit_hint: "Your colleague types their own NIP and PIN. The proof is theirs.",
      wit_nip: "Colleague's NIP (18 digits)", wit_pin: "Colleague's PIN (6 digits)",
      wit_send: "Record", wit_kind: "Arriving or leaving?", wit_done: "Recorded for your colleague",
      pickkind: "Choose Arrive or Leave.", unit_open: "Unit head's manual list",
      reload: "Reload", m_manual: "manual", m_witness: "via colleague", m_kiosk: "kiosk",
      h_kiosk: "Via the office screen's code", h_witness: "On a colleague's phone (NIP {nip})",
      h_manual: "Entered by the unit head (NIP {nip})", early: "Record departure now?",
      kiosk: "Office code scanned: the next check-in is recorded via the office screen.",
      dev_open: "Signed-in devices", outside: "Outside the office area: {m} m"
    }
  };
  var RETRIES = 3, KEY = "presensi_lang";
  var lang = "id", me = null, csrf = "", records = [], last = null, pending = null, busy = false;
  // The last witnessed record. A colleague's PIN lives only in the field and in the request
  // being sent, never kept. The head's manual list is head.js, loaded when a head opens it.
  var wit = null, wpend = null;

  function $(id) { return document.getElementById(id); }
  function t(key, p) {
    return (T[lang][key] || key).replace(/\{(\w+)\}/g, function (_, k) { return p ? p[k] : ""; });
  }
  function show(id, on) { $(id).hidden = !on; }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  var fmt = null;
  try {
    fmt = new Intl.DateTimeFormat("en-GB", { timeZone: "Asia/Makassar", hour: "2-digit",
      minute: "2-digit", second: "2-digit", hourCycle: "h23" });
  } catch (e) { fmt = null; }
  /* HH:MM:SS in WITA (UTC+8, no daylight saving), by Intl or by arithmetic. */
  function wita(ts) {
    var d = new Date(ts);
    if (isNaN(d.getTime())) return "--:--:--";
    if (fmt && fmt.formatToParts) {
      try {
        var p = {};
        fmt.formatToParts(d).forEach(function (x) { p[x.type] = x.value; });
        if (p.hour && p.minute && p.second) {
          return (p.hour === "24" ? "00" : p.hour) + ":" + p.minute + ":" + p.second;
        }
      } catch (e) { /* fall through to arithmetic */ }
    }
    var w = new Date(d.getTime() + 8 * 3600e3);
    return pad(w.getUTCHours()) + ":" + pad(w.getUTCMinutes()) + ":" + pad(w.getUTCSeconds());
  }

  /* An Idempotency-Key: randomUUID exists only in secure contexts, so fall back. */
  function newKey() {
    var c = window.crypto, b = new Uint8Array(16), s = "", i;
    if (c && c.randomUUID) { try { return c.randomUUID(); } catch (e) { /* insecure */ } }
    if (c && c.getRandomValues) c.getRandomValues(b);
    else for (i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    for (i = 0; i < 16; i++) s += (b[i] + 256).toString(16).slice(1);
    return s;
  }

  /* The phone's position as strings, or null; never waits more than 3 s. */
  function getGeo() {
    if (!window.isSecureContext || !navigator.geolocation) return Promise.resolve(null);
    return new Promise(function (res) {
      var done = false;
      function fin(v) { if (!done) { done = true; res(v); } }
      setTimeout(function () { fin(null); }, 3000);
      try {
        navigator.geolocation.getCurrentPosition(function (pos) {
          var c = pos.coords;
          fin({ lat: c.latitude.toFixed(6), lon: c.longitude.toFixed(6),
            acc_m: String(Math.min(9999, Math.max(0, Math.round(c.accuracy || 0)))) });
        }, function () { fin(null); }, { timeout: 3000, maximumAge: 60000, enableHighAccuracy: true });
      } catch (e) { fin(null); }
    });
  }

  /* One API call. Rejects only when no answer came (network down, timeout). */
  function api(method, path, body, headers) {
    var h = { "Accept": "application/json" }, k, ctl = null, timer = null;
    for (k in headers || {}) h[k] = headers[k];
    if (body !== undefined) h["Content-Type"] = "application/json";
    if (method !== "GET" && csrf) h["X-CSRF-Token"] = csrf;
    var opts = { method: method, headers: h, credentials: "same-origin", cache: "no-store" };
    if (body !== undefined) opts.body = JSON.stringify(body);
    if (window.AbortController) {
      ctl = new AbortController();
      opts.signal = ctl.signal;
      timer = setTimeout(function () { ctl.abort(); }, 20000);
    }
    return fetch(path + "?lang=" + lang, opts).then(function (r) {
      return r.text().then(function (text) {
        clearTimeout(timer);
        var data = null;
        try { data = JSON.parse(text); } catch (e) { data = null; }
        return { status: r.status, text: text, data: data || {},
          name: r.headers.get("X-Employee-Name") };
      });
    }, function (err) { clearTimeout(timer); throw err; });
  }

  function say(id, text, err) {
    var el = $(id);
    el.textContent = text || "";
    el.className = "msg" + (err ? " err" : "");
    el.hidden = !text;
  }
  function errText(r) { return r.data.message || t("odd", { status: r.status }); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function each(sel, fn, root) {
    Array.prototype.forEach.call((root || document).querySelectorAll(sel), fn);
  }

  /* A POST retried with the same Idempotency-Key until an answer comes; null if none came. */
  async function post(path, body, key, msgId) {
    var r = null, i;
    for (i = 0; i <= RETRIES && !r; i++) {
      if (i) { say(msgId, t("retry", { n: i })); await sleep(1000 * i); }
      try { r = await api("POST", path, body, { "Idempotency-Key": key }); }
      catch (e) { r = null; }
    }
    return r;
  }
  /* Shows what went wrong with a POST (true), or false when a record came back. */
  function failed(r, msgId) {
    if (r && (r.status === 201 || r.status === 200)) return false;
    // 401 pin-wrong is a colleague's wrong PIN: this phone's own session is still fine.
    if (r && r.status === 401 && r.data.error !== "pin-wrong") showSignin(errText(r));
    else {
      if (r && r.status === 403 && r.data.error === "csrf") loadMe(5);
      say(msgId, r ? errText(r) : t("noanswer"), true);
    }
    return true;
  }

  function kindOf(rec) { return rec.body && rec.body.kind; }
  function mainKind() {
    return records.some(function (r) { return kindOf(r) === "in"; }) ? "out" : "in";
  }

  function render() {
    var k = mainKind(), other = k === "in" ? "out" : "in", list = $("today"), b;
    $("main-btn").textContent = t(k);
    $("main-btn").className = "btn big " + k;
    $("other-btn").textContent = t("other_" + other);
    list.textContent = "";
    records.forEach(function (r) {
      var li = document.createElement("li"), b = document.createElement("b");
      var tm = document.createElement("span"), h = document.createElement("span");
      b.textContent = t(kindOf(r));
      tm.textContent = wita(r.ts);
      h.className = "h";
      h.textContent = String(r.hash).slice(0, 12);
      li.appendChild(b); li.appendChild(tm);
      if (r.body.method !== "app") li.appendChild(el("i", "", t("m_" + r.body.method)));
      li.appendChild(h);
      list.appendChild(li);
    });
    show("today-empty", !records.length);
    if (last) {
      $("r-name").textContent = me ? me.name : "";
      $("r-kind").textContent = t(kindOf(last.rec));
      $("r-time").textContent = wita(last.rec.ts);
      $("r-seq").textContent = last.rec.seq;
      var lb = last.rec.body;
      $("r-geo").textContent = lb.geo_outside ? t("outside", {m: lb.geo_distance_m}) : "";
      $("r-hash").textContent = String(last.rec.hash).slice(0, 12);
      b = last.rec.body;
      $("r-how").textContent = b.method === "app" ? "" : t("h_" + b.method, { nip: b.witness });
    }
    show("result", !!last);
    if (wit) {
      $("w-nip").textContent = wit.body.nip;
      $("w-name").textContent = wit.name;
      $("w-kind").textContent = t(wit.body.kind);
      $("w-time").textContent = wita(wit.ts);
      $("w-seq").textContent = wit.seq;
    }
    show("wit-ok", !!wit);
  }

  function applyLang(l) {
    lang = l;
    document.documentElement.lang = l;
    each("[data-t]", function (el) { el.textContent = t(el.getAttribute("data-t")); });
    each(".lang", function (el) {
      el.className = "lang" + (el.getAttribute("data-lang") === l ? " on" : "");
    });
    render();
    if (window.presensiHead) window.presensiHead.render();
  }

  function showSignin(msg) {
    me = null; csrf = ""; records = []; last = null; pending = null;
    wit = null; wpend = null;
    $("wit-form").reset();
    $("wit").open = false; $("manual").open = false; $("devices").open = false;
    say("wit-msg", "");
    if (window.presensiHead) window.presensiHead.reset();
    show("loading", false); show("home", false); show("signin", true);
    say("signin-msg", msg, true);
  }
  function showHome() {
    $("who-name").textContent = me.name || me.nip;
    $("who-unit").textContent = me.unit || "";
    show("loading", false); show("signin", false); show("home", true);
    show("manual", me.role === "head");
    render();
    if (rekan) { $("wit").open = true; $("wit-nip").value = rekan; rekan = null; }
  }

  function loadToday() {
    return api("GET", "/api/v1/checkins/today").then(function (r) {
      if (r.status === 401) return showSignin(errText(r));
      if (r.status !== 200) return say("msg", errText(r), true);
      records = (r.data.records || []).filter(function (x) { return x.type === "checkin"; });
      render();
    }, function () { say("msg", t("noanswer"), true); });
  }

  function loadMe(tries) {
    return api("GET", "/api/v1/me").then(function (r) {
      if (r.status === 401) return showSignin("");
      if (r.status !== 200) return showSignin(errText(r));
      me = r.data; csrf = r.data.csrf;
      showHome();
      return loadToday();
    }, function () {
      $("loading").textContent = t("noanswer");
      if (tries < 5) setTimeout(function () { loadMe(tries + 1); }, 3000);
    });
  }

  function signIn(ev) {
    ev.preventDefault();
    var nip = $("nip").value.replace(/\s+/g, ""), pin = $("pin").value;
    if (!/^[0-9]{18}$/.test(nip)) return say("signin-msg", t("badnip"), true);
    if (!/^[0-9]{6}$/.test(pin)) return say("signin-msg", t("badpin"), true);
    $("signin-btn").disabled = true;
    say("signin-msg", "");
    api("POST", "/api/v1/session", { nip: nip, pin: pin }).then(function (r) {
      $("signin-btn").disabled = false;
      if (r.status !== 201) return say("signin-msg", errText(r), true);
      $("pin").value = "";
      csrf = r.data.csrf;
      me = r.data.employee;
      showHome();
      return loadToday();
    }, function () {
      $("signin-btn").disabled = false;
      say("signin-msg", t("noanswer"), true);
    });
  }

  function setBusy(on) {
    busy = on;
    $("main-btn").disabled = on;
  }

  async function checkIn(kind) {
    if (busy) return;
    var before = records.filter(function (r) { return kindOf(r) === kind; }).pop();
    var came = records.filter(function (r) { return kindOf(r) === "in"; })[0];
    if (before && !window.confirm(t("again", { kind: t("w_" + kind),
      time: wita(before.ts).slice(0, 5) }))) return;
    // Pulang soon after Datang is held behind a question: a Datang tap that landed as Pulang.
    if (!before && kind === "out" && came && Date.now() - new Date(came.ts) <
      document.body.getAttribute("data-hold") * 60e3 && !window.confirm(t("early"))) return;
    setBusy(true);
    say("msg", t("sending"));
    // A tap after an unanswered attempt reuses its key: the node may have recorded it.
    if (!pending || pending.kind !== kind) pending = { kind: kind, key: newKey() };
    var key = pending.key, geo = await getGeo();
    var body = { kind: kind, client_ts: new Date().toISOString() };
    if (geo) body.geo = geo;
    if (kiosk) body.presence = "kiosk:" + kiosk;
    var r = await post("/api/v1/checkins", body, key, "msg");
    setBusy(false);
    if (r) pending = null;
    // The scanned code is used once; a stale one is dropped so the next tap is a plain one.
    if (r && (r.status < 300 || r.data.error === "kiosk-code-invalid")) kiosk = null;
    if (failed(r, "msg")) return;
    last = { text: r.text, rec: JSON.parse(r.text) };
    say("msg", "");
    render();
    await loadToday();
    if ($("result").scrollIntoView) $("result").scrollIntoView({ block: "nearest" });
  }

  /* A colleague whose phone is dead or lost types their own NIP and PIN here. */
  async function witness(ev) {
    ev.preventDefault();
    var btn = $("wit-send"), nip = $("wit-nip").value.replace(/\s+/g, ""), pin;
    var k = document.querySelector("input[name=wit-kind]:checked"), kind = k ? k.value : "";
    if (btn.disabled) return;
    wit = null;
    render();
    if (!/^[0-9]{18}$/.test(nip)) return say("wit-msg", t("badnip"), true);
    if (!kind) return say("wit-msg", t("pickkind"), true);
    pin = $("wit-pin").value;
    $("wit-pin").value = "";
    if (!/^[0-9]{6}$/.test(pin)) return say("wit-msg", t("badpin"), true);
    btn.disabled = true;
    say("wit-msg", t("sending"));
    if (!wpend || wpend.nip !== nip || wpend.kind !== kind) {
      wpend = { nip: nip, kind: kind, key: newKey() };
    }
    var key = wpend.key, geo = await getGeo();
    var body = { nip: nip, pin: pin, kind: kind, client_ts: new Date().toISOString() };
    pin = "";
    if (geo) body.geo = geo;
    var r = await post("/api/v1/checkins/witness", body, key, "wit-msg");
    body = null;
    btn.disabled = false;
    if (r) wpend = null;
    if (failed(r, "wit-msg")) return;
    $("wit-form").reset();
    say("wit-msg", "");
    wit = JSON.parse(r.text);
    wit.name = decodeURIComponent(r.name || "");
    render();
    if ($("wit-ok").scrollIntoView) $("wit-ok").scrollIntoView({ block: "nearest" });
  }

  /* The device list and the head's list are rarely used: their scripts load on first open. */
  function lazy(id, name) {
    var d = $(id);
    if (!d.open) return;
    if (window[name]) return window[name].open();
    d.appendChild(el("script")).src = d.getAttribute("data-js");
  }

  /* The proof: the exact bytes the node signed and sent, saved as a file. */
  function saveProof() {
    if (!last) return;
    var url = URL.createObjectURL(new Blob([last.text], { type: "application/json" }));
    var a = document.createElement("a");
    a.href = url;
    a.download = "presensi-" + last.rec.node + "-" + last.rec.seq + ".json";
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(url); a.remove(); }, 1000);
  }

  function signOut(ev) {
    ev.preventDefault();
    api("DELETE", "/api/v1/session").then(function () {
      showSignin("");
      say("signin-msg", t("bye"));
    }, function () { say("msg", t("noanswer"), true); });
  }

  function pickLang() {
    var q = /[?&]lang=(id|en)(&|$)/.exec(location.search), s = null;
    try { s = localStorage.getItem(KEY); } catch (e) { s = null; }
    if (q) { try { localStorage.setItem(KEY, q[1]); } catch (e) { /* private mode */ } return q[1]; }
    if (s === "id" || s === "en") return s;
    return document.documentElement.lang === "en" ? "en" : "id";
  }
  function setLang(ev) {
    var l = ev.target.getAttribute("data-lang");
    try { localStorage.setItem(KEY, l); } catch (e) { /* private mode */ }
    if (/[?&]lang=/.test(location.search) && window.history.replaceState) {
      history.replaceState(null, "", location.pathname);
    }
    ["msg", "signin-msg", "wit-msg", "unit-msg"].forEach(function (id) { say(id, ""); });
    applyLang(l);
  }

  function init() {
    applyLang(pickLang());
    each(".lang", function (el) { el.addEventListener("click", setLang); });
    $("signin").addEventListener("submit", signIn);
    $("main-btn").addEventListener("click", function () { checkIn(mainKind()); });
    $("other-btn").addEventListener("click", function (ev) {
      ev.preventDefault();
      checkIn(mainKind() === "in" ? "out" : "in");
    });
    $("proof-btn").addEventListener("click", saveProof);
    $("signout").addEventListener("click", signOut);
    $("wit-form").addEventListener("submit", witness);
    $("manual").addEventListener("toggle", function () { lazy("manual", "presensiHead"); });
    $("devices").addEventListener("toggle", function () { lazy("devices", "presensiDevices"); });
    loadMe(0);
    if (kiosk) say("msg", t("kiosk"));
  }
  window.presensi = { api: api, say: say, el: el, errText: errText, showSignin: showSignin,
    t: t, each: each, wita: wita, post: post, failed: failed, newKey: newKey,
    lang: function () { return lang; }, me: function () { return me; } };
  // Opened by scanning the office screen's QR code: keep the code in memory, not in the URL.
  var kiosk = (/[?&]kiosk=([A-Z2-7]{8})(&|$)/.exec(location.search) || [])[1] || null;
  if (kiosk && window.history.replaceState) history.replaceState(null, "", location.pathname);
  // A staff card's QR code (/?rekan=NIP): "Absen untuk rekan" with that NIP.
  var rekan = (/[?&]rekan=(\d{18})/.exec(location.search) || [])[1];
  if (rekan) history.replaceState(null, "", location.pathname);
  init();
})();
