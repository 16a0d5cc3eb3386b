"""What the user reads: API error messages by code, in Bahasa Indonesia (default) and English.

Logs stay in English. The staff page carries its own strings for the UI (static/app.js) and
shows the ``message`` the API returns, which this module translates.
"""

from __future__ import annotations

LANGS = ("id", "en")

MESSAGES: dict[str, dict[str, str]] = {
    "bad-request": {"id": "Permintaan tidak valid.", "en": "Invalid request."},
    "bad-json": {
        "id": "Isi permintaan bukan JSON yang valid.",
        "en": "The request body is not valid JSON.",
    },
    "too-large": {"id": "Isi permintaan terlalu besar.", "en": "The request body is too large."},
    "nip-invalid": {"id": "NIP harus 18 angka yang valid.", "en": "NIP must be 18 valid digits."},
    "pin-wrong": {"id": "NIP atau PIN salah.", "en": "NIP or PIN is wrong."},
    "too-many-attempts": {
        "id": "Terlalu banyak PIN salah. Coba lagi dalam {minutes} menit.",
        "en": "Too many wrong PINs. Try again in {minutes} minutes.",
    },
    "unauthorized": {
        "id": "Silakan masuk dulu dengan NIP dan PIN.",
        "en": "Please sign in with your NIP and PIN first.",
    },
    "csrf": {
        "id": "Sesi halaman kedaluwarsa. Muat ulang halaman lalu coba lagi.",
        "en": "The page session expired. Reload the page and try again.",
    },
    "kind-invalid": {
        "id": "Jenis presensi harus datang atau pulang.",
        "en": "Kind must be in (arrival) or out (departure).",
    },
    "geo-invalid": {"id": "Data lokasi tidak valid.", "en": "Location data is invalid."},
    "client-ts-invalid": {"id": "Waktu ponsel tidak valid.", "en": "Phone time is invalid."},
    "presence-invalid": {"id": "Data kehadiran tidak valid.", "en": "Presence data is invalid."},
    "idempotency-key-invalid": {
        "id": "Idempotency-Key tidak valid.",
        "en": "Idempotency-Key is invalid.",
    },
    "storage-full": {
        "id": "Node tidak dapat menyimpan data saat ini (disk penuh atau hanya-baca). "
        "Hubungi admin lokal.",
        "en": "The node cannot save records right now (disk full or read-only). "
        "Tell the local admin.",
    },
    "writer-restarting": {
        "id": "Node sedang memulai ulang penyimpan presensi. Coba lagi sebentar lagi.",
        "en": "The node is restarting its record writer. Try again in a moment.",
    },
    "witness-self": {
        "id": "Ini NIP Anda sendiri: gunakan tombol presensi utama.",
        "en": "This is your own NIP: use the main check-in button.",
    },
    "witness-limit": {
        "id": "Batas absen untuk rekan hari ini sudah tercapai (untuk Anda atau HP ini). "
        "Rekan memakai HP-nya sendiri, kode di layar kantor, atau daftar manual kepala "
        "unit.",
        "en": "Today's limit of check-ins for colleagues is reached (for you or this phone). "
        "The colleague uses their own phone, the office screen's code, or the unit "
        "head's manual list.",
    },
    "head-only": {
        "id": "Hanya kepala unit kerja yang dapat melakukan ini.",
        "en": "Only a unit head can do this.",
    },
    "manual-self": {
        "id": "Kepala unit melakukan presensi sendiri dengan tombol utama.",
        "en": "A head checks in for themselves with the main button.",
    },
    "employee-unknown": {
        "id": "Tidak ada pegawai dengan NIP ini di daftar pegawai.",
        "en": "No employee with this NIP is on the roster.",
    },
    "not-your-unit": {
        "id": "Pegawai ini bukan anggota unit kerja Anda.",
        "en": "This employee is not in your unit.",
    },
    "reason-invalid": {
        "id": "Alasan wajib diisi (3-200 karakter, satu baris).",
        "en": "A reason is required (3-200 characters, one line).",
    },
    "kiosk-code-invalid": {
        "id": "Kode kantor tidak berlaku atau sudah kedaluwarsa. "
        "Pindai ulang kode di layar kantor.",
        "en": "The office code is not valid or has expired. Scan the code on the office screen "
        "again.",
    },
    "kiosk-not-set-up": {
        "id": "Layar kiosk belum disiapkan. Admin lokal menjalankan: presensi-node kiosk.",
        "en": "The kiosk screen is not set up. The local admin runs: presensi-node kiosk.",
    },
    "kiosk-token": {
        "id": "Layar ini bukan kiosk kantor (token salah atau lama). Buka alamat dari admin lokal.",
        "en": "This screen is not the office kiosk (wrong or old token). Open the address from "
        "the local admin.",
    },
    "not-found": {"id": "Tidak ditemukan.", "en": "Not found."},
    "method-not-allowed": {"id": "Metode tidak diizinkan.", "en": "Method not allowed."},
    "unsupported-media-type": {
        "id": "Kirim data sebagai application/json.",
        "en": "Send the body as application/json.",
    },
}


def pick_lang(accept_language: str | None, override: str | None = None) -> str:
    """``?lang=`` wins, then the first supported Accept-Language tag, then Indonesian."""
    if override in LANGS:
        return override
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGS:
            return tag
    return "id"


def message(code: str, lang: str, fallback: str, **params: object) -> str:
    """The translated message for ``code``, or ``fallback`` (English) when there is none."""
    entry = MESSAGES.get(code)
    if entry is None:
        return fallback
    try:
        return entry.get(lang, entry["en"]).format(**params)
    except (KeyError, IndexError):
        return fallback
