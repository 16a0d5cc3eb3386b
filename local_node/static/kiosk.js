// The office kiosk screen: shows the node's rotating code as a QR code and refreshes it
// before it changes. Its key (display token) is in the URL fragment, which browsers never
// send to the server or in a Referer; it goes only in the Authorization header.
"use strict";
(function () {
  const T = {
    en: {title: "Office attendance", hint: "Scan this code with your phone's camera, then tap In or Out.",
         left: "New code in {s} s", notoken: "Open the address printed by presensi-node kiosk (it ends with #t=...).",
         offline: "Cannot reach the node. Retrying…"},
    id: {left: "Kode baru dalam {s} detik", notoken: "Buka alamat dari perintah presensi-node kiosk (diakhiri #t=...).",
         offline: "Node tidak terjangkau. Mencoba lagi…"},
  };
  const lang = document.documentElement.lang === "en" ? "en" : "id";
  const t = (k) => (T[lang] && T[lang][k]) || T.id[k] || "";
  if (lang === "en") {
    document.querySelectorAll("[data-t]").forEach((el) => { const v = T.en[el.dataset.t]; if (v) el.textContent = v; });
  }
  // Staff read the time here, so it is the node's clock (the answer's `now`), not this
  // screen's; WITA is UTC+8 all year (no daylight saving), so no time zone data is needed.
  const NAMES = {
    id: {days: ["Minggu", "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu"],
         months: ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
                  "September", "Oktober", "November", "Desember"]},
    en: {days: ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"],
         months: ["January", "February", "March", "April", "May", "June", "July", "August",
                  "September", "October", "November", "December"]},
  };
  const WITA_MS = 8 * 3600 * 1000;
  const $ = (id) => document.getElementById(id);
  const token = new URLSearchParams(location.hash.slice(1)).get("t");
  let due = 0;
  let offset = null;  // node clock minus this screen's clock, in ms, once the node answered
  function fail(text) { $("err").textContent = text; $("err").hidden = false; }
  const pad = (n) => String(n).padStart(2, "0");
  function showClock(ms) {
    const w = new Date(ms + WITA_MS), names = NAMES[lang];
    $("date").textContent = names.days[w.getUTCDay()] + ", " + w.getUTCDate() + " " +
      names.months[w.getUTCMonth()] + " " + w.getUTCFullYear();
    $("time").textContent = pad(w.getUTCHours()) + ":" + pad(w.getUTCMinutes()) + ":" +
      pad(w.getUTCSeconds()) + " WITA";
  }
  function tick() {
    const s = Math.max(0, Math.ceil((due - Date.now()) / 1000));
    $("left").textContent = due ? t("left").replace("{s}", s) : "";
    if (offset !== null) showClock(Date.now() + offset);
    // Just after the node's next whole second, so the seconds never lag by most of one.
    const node = Date.now() + (offset || 0);
    setTimeout(tick, 1020 - (node % 1000));
  }
  async function refresh() {
    let wait = 5000;
    try {
      const sent = Date.now();
      const r = await fetch("/api/v1/kiosk/code", {headers: {Authorization: "Bearer " + token}, cache: "no-store"});
      const data = await r.json();
      if (!r.ok) { fail(data.message || r.status); $("qr").hidden = $("code").hidden = true; wait = 15000; }
      else {
        $("err").hidden = true;
        // The node read its clock about halfway through the round trip; an older node
        // without `now` leaves this screen's own clock.
        offset = typeof data.now === "number" ? data.now * 1000 - (sent + Date.now()) / 2 : 0;
        $("qr").src = data.qr_svg; $("qr").alt = data.url; $("qr").hidden = false;
        $("code").textContent = data.code; $("code").hidden = false;
        wait = Math.max(1000, data.expires_in * 1000 + 300);
        due = Date.now() + wait;
      }
    } catch (e) { fail(t("offline")); }
    setTimeout(refresh, wait);
  }
  // Pasting the screen's address into a tab already on /kiosk changes only the fragment.
  window.addEventListener("hashchange", function () { location.reload(); });
  if (!token) { fail(t("notoken")); return; }
  refresh().then(tick);
})();
