"""English for the employees' own pages (/saya) and the officials' objection queue
(central/employee_pages.py, central/objection_pages.py), keyed by the Bahasa Indonesia text of
their templates; the catalog takes it with ``EN.update(EN_EMPLOYEE)``. Placeholders
(``%(name)s``) are kept exactly."""

from __future__ import annotations

EN_EMPLOYEE: dict[str, str] = {
    # --- audit actions -----------------------------------------------------------------------
    "keberatan pegawai diterima": "employee objection accepted",
    "keberatan pegawai ditolak": "employee objection rejected",
    # --- navigation and sign-in --------------------------------------------------------------
    "Keberatan": "Objections",
    "Menu pegawai": "Employee menu",
    "Kembali ke presensi saya": "Back to my attendance",
    "Masuk pegawai - Presensi Pusat": "Employee sign-in - Central attendance",
    "Masuk dengan NIP dan PIN yang sama dengan di kantor untuk melihat presensi dan potongan "
    "TPP Anda bulan ini, dan mengajukan keberatan atas satu hari.": "Sign in with the same NIP and PIN as at the office to see your attendance and TPP "
    "deduction this month, and to object to a day.",
    "NIP": "NIP",
    "PIN": "PIN",
    "Lupa PIN? Minta kepada admin kantor atau unit kerja Anda. Setelah 5 kali salah, NIP "
    "dikunci 15 menit.": "Forgot your PIN? Ask your office's or unit's admin. After 5 wrong tries the NIP is "
    "locked for 15 minutes.",
    # --- the employee's month ----------------------------------------------------------------
    "Presensi saya": "My attendance",
    "bulan sebelumnya": "previous month",
    "bulan berikutnya": "next month",
    "Bagian kehadiran TPP": "TPP attendance share",
    "TK": "TK",
    "Angka masih dapat berubah sampai semua node mengirim datanya.": "The figures may still change until every node has sent its data.",
    "Bulan ini sudah ditutup.": "This month is closed.",
    "Belum ada rekap untuk bulan ini.": "No recap for this month yet.",
    "potongan": "deduction",
    "Bukan hari kerja": "Not a working day",
    "tidak dipotong.": "no deduction.",
    "Tidak ada presensi yang dihitung dan tidak ada pengecualian: TK (tanpa keterangan).": "No counted attendance and no exception: TK (absent without reason).",
    "Pengecualian disetujui": "Approved exception",
    "tepat waktu": "on time",
    "terlambat %(m)s menit": "%(m)s minutes late",
    "Kedatangan dikecualikan": "Arrival excepted",
    "Kedatangan tidak dihitung karena gangguan": "Arrival not counted because of an incident",
    "Tidak ada catatan datang": "No arrival record",
    "%(m)s menit lebih awal": "%(m)s minutes early",
    "Pulang": "Departure",
    "Kepulangan dikecualikan": "Departure excepted",
    "Kepulangan tidak dihitung karena gangguan": "Departure not counted because of an incident",
    "Tidak ada catatan pulang": "No departure record",
    "%(n)s catatan tidak dihitung (lihat di bawah).": "%(n)s records not counted (see below).",
    "HP rekan": "a colleague's phone",
    "HP sendiri": "own phone",
    "bukti keberatan yang diterima": "accepted objection proof",
    "daftar kepala unit": "the unit head's list",
    "kode layar kantor": "the office screen's code",
    "tidak dihitung": "not counted",
    "diterima": "accepted",
    "ditolak": "rejected",
    "menunggu keputusan": "awaiting a decision",
    "Bukti": "Proof",
    "Ajukan keberatan untuk hari ini": "Object to this day",
    "Belum ada hari yang dapat ditampilkan.": "No days to show yet.",
    # --- filing an objection -----------------------------------------------------------------
    "Keberatan untuk": "Objection for",
    "Tulis mengapa rekap hari ini menurut Anda salah. Bila Anda menyimpan bukti dari tombol "
    '"Unduh bukti" di halaman presensi kantor, lampirkan berkasnya: pusat memeriksa tanda '
    "tangan node, sertifikatnya, dan tempatnya di rantai catatan node itu.": "Write why you believe this day's recap is wrong. If you kept the proof from the "
    '"Unduh bukti" (download proof) button of the office attendance page, attach the '
    "file: central checks the node's signature, its certificate and the record's place in "
    "that node's chain.",
    "Berkas bukti (opsional, paling besar %(k)s KiB)": "Proof file (optional, at most %(k)s KiB)",
    "Kirim keberatan": "Send objection",
    "Batal": "Cancel",
    # --- the approvers' queue ----------------------------------------------------------------
    "Keberatan pegawai - Presensi Pusat": "Employee objections - Central attendance",
    "Keberatan pegawai": "Employee objections",
    "Pegawai mengajukan keberatan atas satu hari, boleh dengan berkas bukti bertanda tangan "
    "dari node. Pusat memeriksa bukti itu: asli dan sudah dihitung, asli tetapi tidak ada di "
    "pusat (dihapus sebelum dikirim, atau belum terkirim), atau tidak asli. Menerima keberatan "
    "dengan bukti asli menghitung catatan itu di rekap hari tersebut.": "An employee objects to one day, optionally with a proof file signed by the node. "
    "Central checks that proof: genuine and already counted, genuine but absent from "
    "central (deleted before it was sent, or not sent yet), or not genuine. Accepting an "
    "objection with a genuine proof counts that record in the day's recap.",
    "menunggu": "waiting",
    "sudah diputus": "decided",
    "Hari": "Day",
    "diajukan": "filed",
    "Tanpa berkas bukti. Menerima tidak mengubah rekap; tambahkan pengecualian bila perlu.": "No proof file. Accepting does not change the recap; add an exception if needed.",
    "Bukti asli, sudah ada di pusat.": "Genuine proof, already at central.",
    "Bukti asli, tidak ada di pusat.": "Genuine proof, absent from central.",
    "Bukti tidak asli.": "The proof is not genuine.",
    "nomor": "number",
    "Diterima": "Accepted",
    "Ditolak": "Rejected",
    "Alasan keputusan": "Reason for the decision",
    "Terima": "Accept",
    "Tolak": "Reject",
    "Tidak ada keberatan.": "No objections.",
    "oleh": "by",
}
