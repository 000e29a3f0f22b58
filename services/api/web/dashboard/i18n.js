// The dashboard's words: Indonesian first, English on request. The choice is kept in localStorage.

const DICT = {
  id: {
    "app.title": "Posko — Dasbor Bencana",
    "app.loading": "Memuat dasbor…",
    "auth.title": "Masuk ke Posko",
    "auth.subtitle": "Dasbor pos komando penanganan bencana.",
    "auth.username": "Nama pengguna",
    "auth.password": "Kata sandi",
    "auth.submit": "Masuk",
    "auth.logout": "Keluar",
    "auth.wrong": "Nama pengguna atau kata sandi salah.",
    "auth.throttled": "Terlalu banyak percobaan. Coba lagi sebentar lagi.",
    "auth.expired": "Sesi berakhir. Silakan masuk lagi.",
    "auth.needBoth": "Isi nama pengguna dan kata sandi.",
    "auth.signingIn": "Sedang masuk…",
    "err.network": "Server tidak dapat dihubungi.",
    "err.generic": "Terjadi kesalahan",
    "event.pick": "Pilih kejadian",
    "event.none": "Belum ada kejadian yang dapat Anda lihat.",
    "event.started": "mulai",
    "event.ended": "selesai",
    "event.dataSeq": "perubahan data",
    "event.notFound": "Kejadian tidak ditemukan atau tidak dapat Anda lihat.",
    "live.idle": "—",
    "live.connecting": "Menyambung…",
    "live.live": "Langsung",
    "live.reconnecting": "Menyambung ulang…",
    "live.stale": "Data usang",
    "live.offline": "Luring — data usang",
    "live.retryIn": "coba lagi {s} dtk",
    "live.banner": "Sambungan langsung terputus: angka di bawah ini mungkin sudah usang (data per {t}). Dasbor menyambung ulang dan mengejar data yang terlewat secara otomatis.",
    "live.title.live": "Terhubung: data diperbarui otomatis tanpa memuat ulang halaman.",
    "live.title.reconnecting": "Sambungan terputus; menyambung ulang dan mengejar data yang terlewat.",
    "live.title.stale": "Sudah lama tidak terhubung: angka di layar mungkin sudah tidak terkini.",
    "fresh.asOf": "Data per {t}",
    "fresh.seq": "snapshot #{seq} · data #{dseq}",
    "ind.title": "Korban terpenuhi kebutuhan dasarnya",
    "ind.target": "Target {p}",
    "ind.of": "{f} dari {e} orang terpenuhi",
    "ind.none": "Belum ada korban yang wajib dilayani.",
    "ind.reached": "Target tercapai",
    "ind.below": "Di bawah target",
    "ind.services": "Per layanan dasar",
    "people.title": "Jumlah orang",
    "people.displaced_now": "Mengungsi sekarang",
    "people.returned": "Sudah kembali",
    "people.affected": "Terdampak (tidak mengungsi)",
    "people.injured": "Luka",
    "people.missing": "Hilang",
    "people.dead": "Meninggal",
    "people.registered": "Terdaftar",
    "people.bySex": "Menurut jenis kelamin",
    "people.vulnerable": "Kelompok rentan",
    "sex.L": "Laki-laki",
    "sex.P": "Perempuan",
    "vul.balita": "Balita",
    "vul.lansia": "Lansia",
    "vul.ibu_hamil": "Ibu hamil",
    "vul.ibu_menyusui": "Ibu menyusui",
    "vul.disabilitas": "Disabilitas",
    "svc.permakanan": "Permakanan",
    "svc.sandang": "Sandang",
    "svc.tempat_penampungan": "Tempat penampungan",
    "svc.penanganan_khusus": "Penanganan khusus",
    "svc.psikososial": "Psikososial",
    "chart.title": "Pengungsi dan capaian per hari",
    "chart.displaced": "Pengungsi",
    "chart.percent": "Terpenuhi (%)",
    "chart.target": "Target",
    "chart.noteLocal": "Riwayat harian dari snapshot yang diterima peramban ini; hari tanpa data dibiarkan kosong.",
    "chart.noteReport": "Riwayat harian dari laporan kejadian; hari ini dari data langsung.",
    "chart.empty": "Belum ada data.",
    "needs.title": "Kebutuhan per barang",
    "needs.item": "Barang",
    "needs.required": "Dibutuhkan",
    "needs.delivered": "Tersalur",
    "needs.gap": "Kekurangan",
    "needs.coverage": "Cakupan",
    "needs.none": "Belum ada kebutuhan terhitung.",
    "shelters.title": "Tempat penampungan",
    "shelters.name": "Tempat",
    "shelters.occupancy": "Penghuni / kapasitas",
    "shelters.meals": "Makan hari ini",
    "shelters.mealsSub": "tersalur / wajib",
    "shelters.area": "Luas",
    "shelters.toilets": "Toilet",
    "shelters.none": "Belum ada tempat penampungan.",
    "shelters.closed": "ditutup",
    "shelters.full": "penuh",
    "flag.ok": "cukup",
    "flag.short": "kurang",
    "flag.unknown": "tidak diketahui",
    "unmet.title": "Belum terpenuhi",
    "unmet.count": "{n} orang belum terpenuhi kebutuhan dasarnya",
    "unmet.none": "Semua orang yang wajib dilayani sudah terpenuhi.",
    "unmet.name": "Nama",
    "unmet.lacks": "Layanan yang kurang",
    "unmet.hidden": "Nama orang tidak ditampilkan untuk peran Anda (pengamat hanya melihat angka agregat).",
    "unmet.page": "Halaman {p} dari {n}",
    "unmet.prev": "‹ Sebelumnya",
    "unmet.next": "Berikutnya ›",
    "unmet.unnamed": "(tanpa nama)",
    "feed.title": "Laporan lapangan terbaru",
    "feed.tabField": "Lapangan",
    "feed.tabAudit": "Jejak audit",
    "feed.noteField": "Penyaluran dan pendaftaran terakhir yang diterima server.",
    "feed.noteFieldNoNames": "Penyaluran terakhir yang diterima server (nama orang tidak ditampilkan untuk peran Anda).",
    "feed.noteAudit": "Penulisan terakhir ke kejadian ini, menurut jejak audit.",
    "feed.none": "Belum ada laporan.",
    "feed.distribution": "Penyaluran",
    "feed.person": "Pendaftaran",
    "feed.toShelter": "ke {s}",
    "feed.toPerson": "ke perorangan",
    "feed.toHousehold": "ke keluarga",
    "feed.general": "umum",
    "feed.displaced": "mengungsi di {s}",
    "feed.by": "oleh {u}",
    "cond.selamat": "selamat",
    "cond.luka": "luka",
    "cond.hilang": "hilang",
    "cond.meninggal": "meninggal",
    "age.years": "{n} th",
    "age.months": "{n} bln",
    "ops.title": "Tindakan operator",
    "ops.eventStatus": "Status kejadian",
    "ops.newStatus": "Status baru",
    "ops.changeStatus": "Ubah status",
    "ops.noTransition": "Kejadian sudah selesai; status tidak dapat diubah lagi.",
    "ops.statusChanged": "Status diubah menjadi {s}.",
    "ops.confirmSelesai": "Tutup kejadian ini (selesai)? Setelah selesai, kejadian tidak menerima data baru.",
    "ops.newEvent": "Buka kejadian baru",
    "ops.eventName": "Nama kejadian",
    "ops.eventKind": "Jenis bencana",
    "ops.eventStatusStart": "Status awal",
    "ops.startedAt": "Mulai",
    "ops.kelurahanAffected": "Kelurahan terdampak",
    "ops.openEventBtn": "Buka kejadian",
    "ops.pickKelurahan": "Pilih sedikitnya satu kelurahan.",
    "ops.eventOpened": "Kejadian dibuka.",
    "ops.openShelter": "Buka tempat penampungan",
    "ops.shelterName": "Nama tempat",
    "ops.shelterKind": "Jenis",
    "ops.kelurahan": "Kelurahan",
    "ops.capacity": "Kapasitas (orang)",
    "ops.area": "Luas tertutup (m²)",
    "ops.toilets": "Jumlah toilet",
    "ops.openShelterBtn": "Buka tempat",
    "ops.shelterOpened": "Tempat penampungan \u201c{n}\u201d dibuka.",
    "ops.shelterList": "Daftar tempat",
    "ops.closeShelter": "Tutup",
    "ops.reopenNote": "ditutup {t}",
    "ops.confirmClose": "Tutup tempat penampungan \u201c{n}\u201d? Tempat yang ditutup tidak menerima pengungsi baru.",
    "ops.shelterClosed": "Tempat penampungan \u201c{n}\u201d ditutup.",
    "ops.volunteers": "Relawan yang ditugaskan",
    "ops.pickVolunteer": "Pilih relawan",
    "ops.assign": "Tugaskan",
    "ops.assigned": "{n} ditugaskan ke kejadian ini.",
    "ops.noVolunteers": "Belum ada relawan yang ditugaskan.",
    "ops.noRelawan": "Tidak ada akun relawan lain.",
    "ops.release": "Lepas",
    "ops.released": "{n} dilepas dari kejadian ini.",
    "ops.closedEvent": "Kejadian sudah selesai: tidak dapat diubah.",
    "common.cancel": "Batal",
    "common.yes": "ya",
    "common.no": "tidak",
    "role.admin": "admin",
    "role.posko": "operator posko",
    "role.relawan": "relawan",
    "role.pengamat": "pengamat",
  },
  en: {
    "app.title": "Posko — Disaster Dashboard",
    "app.loading": "Loading the dashboard…",
    "auth.title": "Sign in to Posko",
    "auth.subtitle": "Command-post dashboard for disaster response.",
    "auth.username": "Username",
    "auth.password": "Password",
    "auth.submit": "Sign in",
    "auth.logout": "Sign out",
    "auth.wrong": "Wrong username or password.",
    "auth.throttled": "Too many attempts. Try again in a moment.",
    "auth.expired": "Your session has ended. Please sign in again.",
    "auth.needBoth": "Enter a username and a password.",
    "auth.signingIn": "Signing in…",
    "err.network": "The server cannot be reached.",
    "err.generic": "Something went wrong",
    "event.pick": "Pick an event",
    "event.none": "There is no event you can see yet.",
    "event.started": "started",
    "event.ended": "ended",
    "event.dataSeq": "data changes",
    "event.notFound": "Event not found, or not visible to you.",
    "live.idle": "—",
    "live.connecting": "Connecting…",
    "live.live": "Live",
    "live.reconnecting": "Reconnecting…",
    "live.stale": "Stale data",
    "live.offline": "Offline — stale data",
    "live.retryIn": "retry in {s} s",
    "live.banner": "The live connection is down: the figures below may be out of date (data as of {t}). The dashboard reconnects and catches up by itself.",
    "live.title.live": "Connected: figures update by themselves, without reloading the page.",
    "live.title.reconnecting": "The connection dropped; reconnecting and catching up on what was missed.",
    "live.title.stale": "Disconnected for a while: the figures on screen may be out of date.",
    "fresh.asOf": "Data as of {t}",
    "fresh.seq": "snapshot #{seq} · data #{dseq}",
    "ind.title": "Victims whose basic needs are met",
    "ind.target": "Target {p}",
    "ind.of": "{f} of {e} persons fulfilled",
    "ind.none": "Nobody needs to be served yet.",
    "ind.reached": "Target reached",
    "ind.below": "Below target",
    "ind.services": "By basic service",
    "people.title": "People",
    "people.displaced_now": "Displaced now",
    "people.returned": "Returned home",
    "people.affected": "Affected (not displaced)",
    "people.injured": "Injured",
    "people.missing": "Missing",
    "people.dead": "Dead",
    "people.registered": "Registered",
    "people.bySex": "By sex",
    "people.vulnerable": "Vulnerable groups",
    "sex.L": "Male",
    "sex.P": "Female",
    "vul.balita": "Under fives",
    "vul.lansia": "Elderly",
    "vul.ibu_hamil": "Pregnant",
    "vul.ibu_menyusui": "Breastfeeding",
    "vul.disabilitas": "Disability",
    "svc.permakanan": "Meals",
    "svc.sandang": "Clothing",
    "svc.tempat_penampungan": "Shelter",
    "svc.penanganan_khusus": "Special care",
    "svc.psikososial": "Psychosocial",
    "chart.title": "Displaced persons and coverage by day",
    "chart.displaced": "Displaced",
    "chart.percent": "Fulfilled (%)",
    "chart.target": "Target",
    "chart.noteLocal": "Daily history from the snapshots this browser has received; days without data stay empty.",
    "chart.noteReport": "Daily history from the event report; today from live data.",
    "chart.empty": "No data yet.",
    "needs.title": "Needs per item",
    "needs.item": "Item",
    "needs.required": "Required",
    "needs.delivered": "Delivered",
    "needs.gap": "Gap",
    "needs.coverage": "Coverage",
    "needs.none": "No needs computed yet.",
    "shelters.title": "Shelters",
    "shelters.name": "Shelter",
    "shelters.occupancy": "Occupants / capacity",
    "shelters.meals": "Meals today",
    "shelters.mealsSub": "delivered / due",
    "shelters.area": "Area",
    "shelters.toilets": "Toilets",
    "shelters.none": "No shelters yet.",
    "shelters.closed": "closed",
    "shelters.full": "full",
    "flag.ok": "adequate",
    "flag.short": "short",
    "flag.unknown": "unknown",
    "unmet.title": "Not yet fulfilled",
    "unmet.count": "{n} persons whose basic needs are not yet met",
    "unmet.none": "Everyone who must be served is fulfilled.",
    "unmet.name": "Name",
    "unmet.lacks": "Missing services",
    "unmet.hidden": "Names are not shown for your role (observers see aggregate figures only).",
    "unmet.page": "Page {p} of {n}",
    "unmet.prev": "‹ Previous",
    "unmet.next": "Next ›",
    "unmet.unnamed": "(no name)",
    "feed.title": "Latest field reports",
    "feed.tabField": "Field",
    "feed.tabAudit": "Audit log",
    "feed.noteField": "The latest distributions and registrations received by the server.",
    "feed.noteFieldNoNames": "The latest distributions received by the server (names are not shown for your role).",
    "feed.noteAudit": "The latest writes to this event, from the audit log.",
    "feed.none": "No reports yet.",
    "feed.distribution": "Distribution",
    "feed.person": "Registration",
    "feed.toShelter": "to {s}",
    "feed.toPerson": "to a person",
    "feed.toHousehold": "to a household",
    "feed.general": "general",
    "feed.displaced": "sheltered at {s}",
    "feed.by": "by {u}",
    "cond.selamat": "safe",
    "cond.luka": "injured",
    "cond.hilang": "missing",
    "cond.meninggal": "dead",
    "age.years": "{n} y",
    "age.months": "{n} mo",
    "ops.title": "Operator actions",
    "ops.eventStatus": "Event status",
    "ops.newStatus": "New status",
    "ops.changeStatus": "Change status",
    "ops.noTransition": "The event has ended; its status cannot change any more.",
    "ops.statusChanged": "Status changed to {s}.",
    "ops.confirmSelesai": "Close this event (ended)? An ended event accepts no new data.",
    "ops.newEvent": "Open a new event",
    "ops.eventName": "Event name",
    "ops.eventKind": "Kind of disaster",
    "ops.eventStatusStart": "Initial status",
    "ops.startedAt": "Started",
    "ops.kelurahanAffected": "Affected kelurahan",
    "ops.openEventBtn": "Open event",
    "ops.pickKelurahan": "Pick at least one kelurahan.",
    "ops.eventOpened": "Event opened.",
    "ops.openShelter": "Open a shelter",
    "ops.shelterName": "Shelter name",
    "ops.shelterKind": "Kind",
    "ops.kelurahan": "Kelurahan",
    "ops.capacity": "Capacity (persons)",
    "ops.area": "Covered area (m²)",
    "ops.toilets": "Toilets",
    "ops.openShelterBtn": "Open shelter",
    "ops.shelterOpened": "Shelter \u201c{n}\u201d opened.",
    "ops.shelterList": "Shelters",
    "ops.closeShelter": "Close",
    "ops.reopenNote": "closed {t}",
    "ops.confirmClose": "Close the shelter \u201c{n}\u201d? A closed shelter takes no new arrivals.",
    "ops.shelterClosed": "Shelter \u201c{n}\u201d closed.",
    "ops.volunteers": "Assigned volunteers",
    "ops.pickVolunteer": "Pick a volunteer",
    "ops.assign": "Assign",
    "ops.assigned": "{n} assigned to this event.",
    "ops.noVolunteers": "No volunteer is assigned yet.",
    "ops.noRelawan": "No other volunteer accounts.",
    "ops.release": "Release",
    "ops.released": "{n} released from this event.",
    "ops.closedEvent": "The event has ended: it cannot be changed.",
    "common.cancel": "Cancel",
    "common.yes": "yes",
    "common.no": "no",
    "role.admin": "admin",
    "role.posko": "command-post operator",
    "role.relawan": "volunteer",
    "role.pengamat": "observer",
  },
};

// Enumerated values: the official Indonesian term, and an English gloss.
const ENUMS = {
  kind: {
    banjir: ["Banjir", "Flood"], tanah_longsor: ["Tanah longsor", "Landslide"],
    cuaca_ekstrem: ["Cuaca ekstrem", "Extreme weather"], gelombang_pasang_abrasi: ["Gelombang pasang/abrasi", "Tidal wave/abrasion"],
    gempa_bumi: ["Gempa bumi", "Earthquake"], erupsi_gunung_api: ["Erupsi gunung api", "Volcanic eruption"],
    kebakaran_hutan_lahan: ["Kebakaran hutan dan lahan", "Forest and land fire"], kekeringan: ["Kekeringan", "Drought"],
    tsunami: ["Tsunami", "Tsunami"], kebakaran_permukiman: ["Kebakaran permukiman", "Settlement fire"],
    epidemi_wabah: ["Epidemi/wabah", "Epidemic"], gagal_teknologi: ["Gagal teknologi", "Technological failure"],
    konflik_sosial: ["Konflik sosial", "Social conflict"], aksi_teror: ["Aksi teror", "Terror attack"],
  },
  status: {
    siaga_darurat: ["Siaga darurat", "Emergency alert"], tanggap_darurat: ["Tanggap darurat", "Emergency response"],
    transisi_darurat: ["Transisi darurat", "Transition to recovery"], selesai: ["Selesai", "Ended"],
  },
  shelterKind: {
    barak: ["Barak", "Barracks"], fasilitas_sosial: ["Fasilitas sosial", "Social facility"],
    fasilitas_umum: ["Fasilitas umum", "Public facility"], sekolah: ["Sekolah", "School"],
    rumah_ibadah: ["Rumah ibadah", "Place of worship"], tenda: ["Tenda", "Tent"], lainnya: ["Lainnya", "Other"],
  },
  item: {
    makanan_siap_saji: [null, "Ready-to-eat meals"], air_minum: [null, "Drinking water"], air_bersih: [null, "Clean water"],
    paket_sandang: [null, "Clothing kit"], selimut: [null, "Blankets / mats"], family_kit: [null, "Family kit"],
    paket_bayi: [null, "Baby and toddler kit"], paket_gizi_ibu: [null, "Nutrition for pregnant/breastfeeding mothers"],
    beras: [null, "Rice"], uang_tunai: [null, "Direct cash aid"],
  },
  unit: {
    porsi: [null, "portions"], liter: [null, "litres"], paket: [null, "kits"], lembar: [null, "pieces"],
    rupiah: [null, "rupiah"], kg: [null, "kg"],
  },
  action: {
    create: ["dicatat", "recorded"], update: ["diubah", "changed"], check_in: ["masuk", "checked in"],
    check_out: ["keluar", "checked out"], close: ["ditutup", "closed"], delete: ["dihapus", "deleted"],
    add: ["ditugaskan", "assigned"], remove: ["dilepas", "released"],
  },
  object: {
    event: ["Kejadian", "Event"], shelter: ["Tempat", "Shelter"], household: ["Keluarga", "Household"],
    person: ["Orang", "Person"], stay: ["Tinggal", "Stay"], distribution: ["Penyaluran", "Distribution"],
    service: ["Layanan", "Service"], member: ["Anggota", "Member"],
  },
};

const KEY = "posko.lang";
let lang = "id";
try {
  const saved = localStorage.getItem(KEY);
  if (saved === "en" || saved === "id") lang = saved;
} catch { /* storage may be unavailable */ }

export function getLang() { return lang; }

export function setLang(value) {
  lang = value === "en" ? "en" : "id";
  try { localStorage.setItem(KEY, lang); } catch { /* ignore */ }
  document.documentElement.lang = lang;
}

/** t("unmet.count", {n: 3}) → the phrase in the current language, placeholders filled. */
export function t(key, params) {
  let s = DICT[lang][key] ?? DICT.id[key] ?? key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
  return s;
}

/** The label of an enumerated value (kind, status, …); `fallback` (e.g. a server name) for Indonesian. */
export function label(group, value, fallback) {
  const pair = ENUMS[group]?.[value];
  if (lang === "en" && pair && pair[1]) return pair[1];
  if (pair && pair[0]) return pair[0];
  if (fallback) return fallback;
  return String(value ?? "").replace(/_/g, " ");
}

/** A unit after a quantity: English drops the plural "s" for exactly one ("1 kit", "2 kits"). */
export function unitFor(unit, quantity) {
  const u = label("unit", unit, unit || "");
  return lang === "en" && quantity === 1 && u.endsWith("s") ? u.slice(0, -1) : u;
}

export function enumValues(group) { return Object.keys(ENUMS[group] || {}); }

const numberFormats = {};
export function fmt(n, digits = 0) {
  if (n === null || n === undefined || Number.isNaN(n)) return "—";
  const k = `${lang}:${digits}`;
  numberFormats[k] ??= new Intl.NumberFormat(lang === "en" ? "en-GB" : "id-ID",
    { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  return numberFormats[k].format(n);
}

export function fmtPercent(p, digits = 1) {
  if (p === null || p === undefined) return "—";
  return `${fmt(p, digits)}%`;
}

export function fmtTime(iso, withDate = false, withSeconds = false) {
  if (!iso) return "—";
  const d = new Date(iso);
  const opts = withDate
    ? { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" }
    : { hour: "2-digit", minute: "2-digit" };
  if (withSeconds) opts.second = "2-digit";
  return d.toLocaleString(lang === "en" ? "en-GB" : "id-ID", opts);
}

export function fmtDate(iso) {
  if (!iso) return "—";
  return new Date(iso).toLocaleDateString(lang === "en" ? "en-GB" : "id-ID", { day: "numeric", month: "long", year: "numeric" });
}

/** Apply the dictionary to every [data-i18n] element (textContent) under `root`. */
export function applyStatic(root = document) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  document.title = lang === "en" ? "Posko — Dashboard" : "Posko — Dasbor";
}
