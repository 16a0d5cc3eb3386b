"""English for central's pages, keyed by the Bahasa Indonesia text as written in the templates
(``{{ _("...") }}``) and in Python (``gettext("...")``, the label tables). A string missing
here shows in Bahasa Indonesia; ``tests/central/test_i18n.py`` lists the missing ones.
Keep the ``%(name)s`` placeholders (and ``%%`` for a percent sign) exactly as in the key."""

from __future__ import annotations

EN: dict[str, str] = {
    # --- base.html, navigation -------------------------------------------------------------
    "Presensi Pusat": "Central attendance",
    "Presensi Pusat Kabupaten Barito Kuala": "Barito Kuala Regency central attendance",
    "Menu": "Menu",
    "Hari ini": "Today",
    "Peringatan": "Alerts",
    "Node": "Node",
    "Grafik bulan": "Month chart",
    "Akun": "Accounts",
    "Audit": "Audit",
    "Ganti kata sandi": "Change password",
    "Keluar": "Sign out",
    "Keluar dari semua perangkat": "Sign out on all devices",
    # --- sign-in, passwords, errors ----------------------------------------------------------
    "Masuk": "Sign in",
    "Masuk - Presensi Pusat": "Sign in - Central attendance",
    "Masuk dengan nama akun dan kata sandi Anda. Akun dibuat oleh admin Diskominfo, yang "
    "memberi Anda tautan sekali pakai untuk membuat kata sandi.":
        "Sign in with your account name and password. Accounts are made by the Diskominfo "
        "admin, who gives you a one-time link to set your password.",
    "Nama akun": "Account name",
    "Kata sandi": "Password",
    "Lupa kata sandi? Minta admin mereset akun Anda; Anda akan mendapat tautan baru.":
        "Forgot your password? Ask an admin to reset your account; you will get a new link.",
    "Buat kata sandi - Presensi Pusat": "Set password - Central attendance",
    "Buat kata sandi untuk akun": "Set the password of account",
    "Minimal 10 karakter, tidak memuat nama akun. Tautan ini hanya dapat dipakai sekali.":
        "At least 10 characters, not containing the account name. This link works once.",
    "Kata sandi baru": "New password",
    "Ulangi kata sandi baru": "Repeat the new password",
    "Simpan kata sandi": "Save password",
    "Ganti kata sandi - Presensi Pusat": "Change password - Central attendance",
    "Setelah diganti, semua sesi akun ini di perangkat lain berakhir.":
        "After the change, every session of this account on other devices ends.",
    "Kata sandi sekarang": "Current password",
    "Simpan": "Save",
    "Tidak dapat diproses": "Cannot be processed",
    "Tidak dapat diproses - Presensi Pusat": "Cannot be processed - Central attendance",
    "Kembali ke dasbor": "Back to the dashboard",
    "Kata sandi akun %(name)s tersimpan. Silakan masuk.":
        "The password of account %(name)s is saved. Please sign in.",
    "Kedua kata sandi tidak sama.": "The two passwords differ.",
    "Kedua kata sandi baru tidak sama.": "The two new passwords differ.",
    "Kata sandi sekarang salah.": "The current password is wrong.",
    "Tautan tidak berlaku: sudah dipakai atau kedaluwarsa. Minta tautan baru kepada admin.":
        "The link is no longer valid: already used or expired. Ask an admin for a new link.",
    "nama akun atau kata sandi salah": "wrong account name or password",
    "peran harus viewer, approver atau admin": "the role must be viewer, approver or admin",
    "kata sandi berisi karakter yang tidak dapat dipakai":
        "the password holds characters that cannot be used",
    "kata sandi tidak boleh memuat nama akun": "the password must not contain the account name",
    "tautan tidak berlaku (sudah dipakai atau kedaluwarsa)":
        "the link is no longer valid (already used or expired)",
    "silakan masuk terlebih dahulu": "please sign in first",
    "sesi berakhir; silakan masuk lagi": "the session ended; please sign in again",
    "token formulir tidak cocok; muat ulang halaman":
        "the form token does not match; reload the page",
    "kiriman formulir dari situs lain ditolak": "a form sent from another site is refused",
    "tanggal harus berbentuk TTTT-BB-HH, misalnya 2026-10-01":
        "the date must be YYYY-MM-DD, for example 2026-10-01",
    "tanggal itu tidak ada di kalender": "that date is not in the calendar",
    # page_session.PAGE_MESSAGES
    "node tidak dikenal: pakai nama node seperti kec-alalak":
        "unknown node: use a node name such as kec-alalak",
    "jenis peringatan tidak dikenal": "unknown alert kind",
    "status harus terbuka, sudah ditindaklanjuti, atau semua":
        "the state must be open, acknowledged or all",
    "nomor halaman tidak sah": "invalid page number",
    "jumlah baris per halaman tidak sah": "invalid number of rows per page",
    "peringatan itu tidak ada": "that alert does not exist",
    "peringatan itu sudah ditindaklanjuti": "that alert was already acknowledged",
    "peran akun Anda tidak mengizinkan tindakan ini": "your account's role does not allow this",
    # --- the day (dashboard.html) ------------------------------------------------------------
    "Dasbor %(day)s - Presensi Pusat": "Dashboard %(day)s - Central attendance",
    "Tanggal (WITA)": "Date (WITA)",
    "Unit kerja untuk grafik": "Work unit for the chart",
    "semua unit": "all units",
    "Tampilkan": "Show",
    "Tanggal": "Date",
    "jam masuk": "start of work",
    "Peringatan terbuka": "Open alerts",
    "Tidak ada peringatan terbuka.": "No open alerts.",
    "Ringkasan kehadiran hari ini": "Attendance summary today",
    "Ringkasan kehadiran %(day)s": "Attendance summary %(day)s",
    "Per unit kerja": "Per work unit",
    "Unit kerja": "Work unit",
    "Pegawai": "Employees",
    "Hadir": "Present",
    "Terlambat": "Late",
    "Belum presensi": "Not checked in",
    "Catatan dikecualikan": "Excluded records",
    "Belum ada roster pegawai.": "No employee roster yet.",
    "Jumlah": "Total",
    "Catatan dikecualikan: waktu di luar selang yang dapat dibuktikan pusat, berasal dari "
    "log node yang bercabang (fork), isi catatan yang tidak sah, pegawai yang bukan pegawai "
    "node itu (di luar acara yang diumumkan) atau tanpa jangkar dari node yang tersambung. "
    "Catatan itu tidak dihitung kecuali disetujui pejabat.":
        "Excluded records: a time outside the interval central can prove, from a node log "
        "that forked, an invalid record body, an employee who is not on that node's roster "
        "(outside an announced event) or no anchor from a connected node. They are not "
        "counted unless an official accepts them.",
    "Sebaran jam datang": "Arrival times",
    "Menampilkan %(shown)s dari %(total)s baris; daftar lengkap ada di API":
        "Showing %(shown)s of %(total)s rows; the full list is in the API",
    "juga CSV": "also CSV",
    "Nama": "Name",
    "Datang": "Arrived",
    "Menit": "Minutes",
    "Tidak ada yang terlambat.": "Nobody is late.",
    "Belum presensi datang": "No arrival recorded yet",
    "Semua pegawai sudah presensi datang.": "Every employee has checked in.",
    "Presensi lewat rekan atau daftar manual": "Check-ins through a colleague or the manual list",
    "Jam": "Time",
    "Jenis": "Kind",
    "Cara": "Method",
    "Dijamin oleh": "Vouched for by",
    "Alasan": "Reason",
    "Status": "Status",
    "datang": "arrival",
    "pulang": "departure",
    "(tidak ada di roster)": "(not on the roster)",
    "dihitung": "counted",
    "dikecualikan": "excluded",
    "Dihitung seperti presensi lain; catatan yang ditandatangani menyebut siapa yang menjamin.":
        "Counted like any other check-in; the signed record names who vouched for it.",
    "Tidak ada.": "None.",
    "Node kecamatan": "District nodes",
    "Keadaan sinkron, antrean dan selisih jam tiap node":
        "Sync state, backlog and clock offset of each node",
    "Seq terakhir": "Last seq",
    "Catatan": "Records",
    "Sinkron terakhir": "Last sync",
    "Selisih jam (ms)": "Clock offset (ms)",
    "Lewat rekan / manual tanggal ini": "Through a colleague / manual on this date",
    "di atas batas %(n)s": "above the limit of %(n)s",
    "%(n)s terbuka": "%(n)s open",
    "Belum ada node terdaftar. Tambahkan dengan": "No node enrolled yet. Add one with",
    "belum pernah": "never",
    "lewat HP rekan": "on a colleague's phone",
    "daftar manual kepala unit": "the unit head's manual list",
    "unit kerja itu tidak ada atau tidak boleh Anda lihat":
        "that work unit does not exist or you may not see it",
    # arrivals picture (_arrivals.html, dashboard.arrivals_view)
    "Jam datang %(unit)s, %(day)s": "Arrival times, %(unit)s, %(day)s",
    "Jumlah pegawai yang datang per 5 menit dari 06.30 sampai 09.00 WITA; %(n)s orang datang "
    "hari itu.":
        "Employees arriving per 5 minutes from 06.30 to 09.00 WITA; %(n)s arrived that day.",
    "Angkanya ada di tabel sesudah gambar.": "The numbers are in the table after the picture.",
    "Garis putus-putus: jam masuk %(start)s WITA. Sebelum %(first)s: %(before)s orang; pukul "
    "%(last)s atau sesudahnya: %(after)s orang.":
        "Dashed line: start of work %(start)s WITA. Before %(first)s: %(before)s people; at "
        "%(last)s or later: %(after)s people.",
    "Angka per 5 menit": "Numbers per 5 minutes",
    "Jam (WITA)": "Time (WITA)",
    # --- alerts.html, alert kinds ------------------------------------------------------------
    "Peringatan - Presensi Pusat": "Alerts - Central attendance",
    "semua node": "all nodes",
    "semua jenis": "all kinds",
    "terbuka": "open",
    "sudah ditindaklanjuti": "acknowledged",
    "semua": "all",
    "Saring": "Filter",
    "Terbuka per jenis": "Open per kind",
    "Menampilkan %(first)s-%(last)s dari %(total)s peringatan.":
        "Showing %(first)s-%(last)s of %(total)s alerts.",
    "Tidak ada peringatan yang cocok.": "No alert matches.",
    "pusat": "central",
    "%(n)s kali": "%(n)s times",
    "Ditindaklanjuti oleh %(who)s (%(when)s WITA):": "Acknowledged by %(who)s (%(when)s WITA):",
    "Alasan tindak lanjut": "Reason for acknowledging",
    "Tandai sudah ditindaklanjuti": "Mark as acknowledged",
    "Sebelumnya": "Previous",
    "Berikutnya": "Next",
    "log bercabang (node dikarantina)": "forked log (node quarantined)",
    "tanda tangan tidak sah": "invalid signature",
    "catatan tidak sah": "invalid record",
    "hash tidak cocok": "hash mismatch",
    "rantai terputus": "broken chain",
    "jangkar tidak sah": "invalid anchor",
    "log baru dimulai": "new log started",
    "node terdaftar": "node enrolled",
    "node dicabut": "node revoked",
    "waktu di luar selang": "time outside the provable interval",
    "pegawai bukan pegawai node ini": "employee not on this node's roster",
    "isi presensi tidak sah": "invalid check-in body",
    "tanpa jangkar dari node yang tersambung": "no anchor from a connected node",
    "banyak presensi lewat rekan atau manual": "many check-ins through a colleague or manual",
    "acara diumumkan": "event announced",
    "presensi yang disisihkan diterima pejabat": "set-aside check-in accepted by an official",
    "masalah zeroconf di LAN kantor": "zeroconf problem on the office LAN",
    # --- audit.html, audit actions -----------------------------------------------------------
    "Audit - Presensi Pusat": "Audit - Central attendance",
    "Catatan audit": "Audit log",
    "Setiap perubahan oleh pejabat: siapa, kapan, apa, dan mengapa. Catatan ini tidak dapat "
    "diubah atau dihapus.":
        "Every change by an official: who, when, what and why. This log cannot be changed or "
        "deleted.",
    "Menampilkan %(first)s-%(last)s dari %(total)s catatan.":
        "Showing %(first)s-%(last)s of %(total)s entries.",
    "Belum ada catatan.": "No entries yet.",
    "Waktu": "Time",
    "Siapa": "Who",
    "Apa": "What",
    "Sasaran": "Target",
    "akun dibuat": "account created",
    "kata sandi direset": "password reset",
    "keluar dari semua perangkat": "signed out on all devices",
    "token API dibuat": "API token created",
    "token API dicabut": "API token revoked",
    "peringatan ditindaklanjuti": "alert acknowledged",
    "presensi yang disisihkan diterima": "set-aside check-in accepted",
    "pengecualian diusulkan": "exception proposed",
    "pengecualian disetujui": "exception approved",
    "pengecualian ditolak": "exception rejected",
    "gangguan diusulkan": "incident proposed",
    "gangguan disetujui": "incident approved",
    "gangguan ditolak": "incident rejected",
    "bulan ditutup": "month closed",
    "bulan dibuka kembali": "month reopened",
    # --- accounts.html -----------------------------------------------------------------------
    "Akun - Presensi Pusat": "Accounts - Central attendance",
    "Akun pejabat": "Officials' accounts",
    "Tautan sekali pakai untuk akun %(name)s (berlaku terbatas; berikan langsung kepada "
    "pemiliknya):":
        "One-time link for account %(name)s (valid for a limited time; give it to its owner "
        "in person):",
    "Peran": "Role",
    "Unit": "Unit",
    "Reset": "Reset",
    "diatur %(when)s": "set %(when)s",
    "belum diatur": "not set",
    "Alasan reset": "Reason for the reset",
    "Reset kata sandi": "Reset password",
    "Tambah akun": "Add account",
    "viewer (melihat)": "viewer (looks)",
    "approver (juga menyetujui)": "approver (also approves)",
    "admin (semua)": "admin (everything)",
    "Unit kerja (kosong: semua unit)": "Work units (none: all units)",
    # --- nodes page (nodes.html, node_status.py, pagetime.py) --------------------------------
    "Node - Presensi Pusat": "Nodes - Central attendance",
    "Pusat mengetahui antrean dan selisih jam sebuah node setiap kali node itu mengirim "
    "catatan. Node yang tidak mengirim (tidak ada presensi baru, atau tidak tersambung) "
    "meninggalkan celah di garis.":
        "Central learns a node's backlog and clock offset each time the node sends records. "
        "A node that sends nothing (no new check-ins, or no link) leaves a gap in the line.",
    "Keadaan tiap node": "State of each node",
    "Keadaan sinkron": "Sync state",
    "Kiriman terakhir": "Last batch",
    "Tanda terima terakhir": "Last receipt",
    "Antrean (catatan)": "Backlog (records)",
    "Selisih jam": "Clock offset",
    "seq %(seq)s dari %(records)s catatan": "seq %(seq)s of %(records)s records",
    "tidak ada": "none",
    "%(n)s hari terakhir": "last %(n)s days",
    "Angka per jam (%(n)s jam dengan kiriman)": "Numbers per hour (%(n)s hours with a batch)",
    "Antrean dan selisih jam %(node)s per jam": "Backlog and clock offset of %(node)s per hour",
    "Selisih jam (detik)": "Clock offset (seconds)",
    "Belum ada kiriman dalam periode ini.": "No batch in this period yet.",
    "Antrean catatan %(node)s, %(period)s": "Record backlog of %(node)s, %(period)s",
    "Jumlah catatan yang belum terkirim ke pusat menurut laporan node, per jam; garis "
    "terputus bila node tidak mengirim.":
        "Records not yet sent to central as the node reported them, per hour; the line "
        "breaks where the node sent nothing.",
    "Selisih jam %(node)s, %(period)s": "Clock offset of %(node)s, %(period)s",
    "Selisih jam pusat dikurangi jam node dalam detik, per jam; positif: jam node tertinggal.":
        "Central's clock minus the node's clock in seconds, per hour; positive: the node's "
        "clock is behind.",
    "dtk": "s",
    "menunggu pendaftaran": "awaiting enrollment",
    "aktif": "active",
    "dicabut": "revoked",
    "dikarantina": "quarantined",
    "belum pernah sinkron": "never synced",
    "masih ada antrean": "records still queued",
    "tersinkron": "in sync",
    "hari ini": "today",
    "kemarin": "yesterday",
    "baru saja": "just now",
    "%(n)s hari lalu": "%(n)s days ago",
    "%(n)s jam lalu": "%(n)s hours ago",
    "%(n)s menit lalu": "%(n)s minutes ago",
    "tepat (kurang dari 1 detik)": "on time (less than 1 second)",
    "jam node tertinggal %(s)s detik": "node clock %(s)s s behind",
    "jam node mendahului %(s)s detik": "node clock %(s)s s ahead",
    # --- month chart (month_chart.html, _month_rates.html, month_rates.py) -------------------
    "Grafik bulan %(month)s - Presensi Pusat": "Month chart %(month)s - Central attendance",
    "Tingkat kehadiran per unit kerja": "Attendance rate per work unit",
    "Tingkat kehadiran per unit kerja, %(month)s": "Attendance rate per work unit, %(month)s",
    "Bulan": "Month",
    "Dari rekap bulanan (aturan: %(rules)s).": "From the monthly recap (rules: %(rules)s).",
    "Bulan ini belum final: angka dapat berubah.":
        "This month is not final yet: the figures may change.",
    "Hari kerja": "Working days",
    "Hari hadir": "Days present",
    "Hari pengecualian": "Exception days",
    "Tingkat kehadiran (%%)": "Attendance rate (%%)",
    "Rata-rata bagian TPP presensi (%%)": "Mean attendance share of TPP (%%)",
    "Belum ada pegawai di roster.": "No employees on the roster yet.",
    "Batang per unit kerja: hari hadir dibagi hari kerja pegawainya, dalam persen (0 sampai "
    "100).":
        "One bar per work unit: days present divided by its employees' working days, in "
        "percent (0 to 100).",
    "bulan harus berbentuk TTTT-BB, misalnya 2026-10": "the month must be YYYY-MM, e.g. 2026-10",
    "belum ada aturan presensi: impor dulu dengan presensi-central rules import":
        "no attendance rules yet: import them first with presensi-central rules import",
}

# The month, exception and incident pages keep their strings in their own module.
from .i18n_en_employee import EN_EMPLOYEE  # noqa: E402
from .i18n_en_month import EN_MONTH  # noqa: E402

EN.update(EN_MONTH)
EN.update(EN_EMPLOYEE)
