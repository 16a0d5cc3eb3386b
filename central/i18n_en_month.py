"""English for the officials' month, exception and incident pages (central/month_pages.py,
central/overlay_pages.py), keyed by the Bahasa Indonesia text of their templates. Kept apart
so the branch merges without touching the main catalog: the catalog takes it with
``EN.update(EN_MONTH)``. Placeholders (``%(name)s``) and ``%%`` are kept exactly."""

from __future__ import annotations

EN_MONTH: dict[str, str] = {
    # --- navigation and the day view's buttons ---------------------------------------------
    "Bulan": "Month",
    "Pengecualian": "Exceptions",
    "Gangguan": "Incidents",
    "Unduh Excel": "Download Excel",
    "Unduh CSV": "Download CSV",
    "Rekap bulan ini": "This month's recap",
    # --- the month page ---------------------------------------------------------------------
    "Rekap bulan": "Month recap",
    "Unit kerja": "Work unit",
    "Seluruh kabupaten": "Whole regency",
    "Semua unit Anda": "All your units",
    "Cari nama atau NIP": "Search a name or NIP",
    "Tampilkan": "Show",
    "Versi aturan": "Rule version",
    "bulan sudah ditutup": "month closed",
    "final": "final",
    "belum final: angka dapat berubah selama data masih disinkronkan": "not final: figures may change while data is still being synchronised",
    "Ringkasan per unit kerja": "Summary per work unit",
    "Pegawai": "Employees",
    "Hari kerja": "Working days",
    "Hadir": "Present",
    "Terlambat (TL)": "Late (TL)",
    "Pulang cepat (PSW)": "Left early (PSW)",
    "Rata-rata TPP presensi (%%)": "Mean TPP attendance share (%%)",
    "Tidak ada pegawai yang cocok.": "No matching employees.",
    "Menampilkan %(shown)s dari %(total)s pegawai; pilih unit kerja, cari nama atau NIP, atau "
    "unduh Excel untuk semuanya.": "Showing %(shown)s of %(total)s employees; pick a work unit, search a name or NIP, or "
    "download Excel for everyone.",
    "pegawai": "employees",
    "TL: datang terlambat; PSW: pulang sebelum waktu; TK: tanpa keterangan (hari)": "TL: late arrival; PSW: early departure; TK: absent without reason (days)",
    "Nama": "Name",
    "Potongan (%%)": "Deduction (%%)",
    "TPP presensi (%%)": "TPP attendance share (%%)",
    "Aturan": "Rule",
    # --- one employee's month ---------------------------------------------------------------
    "Potongan": "Deduction",
    "TPP presensi": "TPP attendance share",
    "belum final": "not final",
    "jumlah potongan harian": "sum of daily deductions",
    "dibatasi batas bulanan": "capped by the monthly limit",
    "Hari demi hari": "Day by day",
    "Tanggal": "Date",
    "Jam kerja": "Working hours",
    "Catatan presensi (WITA)": "Check-in records (WITA)",
    "Mengapa": "Why",
    "datang": "arrival",
    "pulang": "departure",
    "dijamin oleh": "vouched for by",
    "(tidak ada di roster)": "(not on the roster)",
    "tidak ada catatan": "no records",
    "nomor surat": "letter number",
    "Pengecualian pegawai ini bulan ini": "This employee's exceptions this month",
    "Tidak ada.": "None.",
    "Ke halaman pengecualian": "To the exceptions page",
    "Gangguan bulan ini": "Incidents this month",
    # --- exceptions and incidents -----------------------------------------------------------
    "Jenis": "Kind",
    "Alasan": "Reason",
    "Status": "Status",
    "Riwayat": "History",
    "s.d.": "to",
    "oleh": "by",
    "Waktu": "Time",
    "Berlaku untuk": "Applies to",
    "semua unit": "all units",
    "Pengecualian (cuti, izin, sakit, dinas luar, ...)": "Exceptions (leave, permission, sickness, official travel, ...)",
    "Pengecualian membebaskan hari (atau bagian datang/pulang) seorang pegawai dari potongan "
    "sesuai aturan. Usulan baru berlaku setelah disetujui pejabat lain; setiap langkah "
    "tercatat di audit.": "An exception frees an employee's days (or their arrival or departure part) from the "
    "deduction, as the rules say. A proposal counts only once another official approves "
    "it; every step is kept in the audit log.",
    "Usulkan pengecualian": "Propose an exception",
    "Dari tanggal": "From",
    "Sampai tanggal (kosong: satu hari)": "To (empty: one day)",
    "Bagian": "Part",
    "sehari penuh": "whole day",
    "bagian datang saja": "arrival only",
    "bagian pulang saja": "departure only",
    "Nomor surat (boleh kosong)": "Letter number (optional)",
    "Usulkan": "Propose",
    "Akun Anda hanya dapat melihat; approver atau admin yang mengusulkan dan memutuskan.": "Your account can only read; an approver or admin proposes and decides.",
    "Menunggu keputusan": "Waiting for a decision",
    "Keputusan": "Decision",
    "Tidak ada usulan yang menunggu.": "No proposals are waiting.",
    "Belum ada.": "None yet.",
    "Gangguan teknis": "Technical incidents",
    "Gangguan (server, jaringan, node) membebaskan jam masuk atau jam pulang yang jatuh di "
    "dalam selang waktunya dari potongan, untuk satu unit kerja, satu node, atau semua. "
    "Berlaku setelah disetujui pejabat lain.": "An incident (server, network, node) frees a start or end of work that falls inside "
    "its time window from the deduction, for one work unit, one node or everyone. It "
    "counts once another official approves it.",
    "Usulkan gangguan": "Propose an incident",
    "Mulai (WITA)": "Start (WITA)",
    "Selesai (WITA)": "End (WITA)",
    "atau node (kosong: tidak dibatasi node)": "or node (empty: any node)",
    "Catatan (boleh kosong)": "Note (optional)",
    "Setujui": "Approve",
    "Alasan penolakan": "Reason for rejecting",
    "Tolak": "Reject",
    "Usulan Anda sendiri: pejabat lain yang memutuskan.": "Your own proposal: another official decides.",
    "Hanya approver atau admin yang memutuskan.": "Only an approver or admin decides.",
}
