// Words of the command-post modules (grouped_unmet.js, shelter_needs.js, today.js), kept beside them rather than in
// i18n.js: [Indonesian, English] per key, placeholders {x} as in i18n.t(). Indonesian is the default.

import { getLang } from "./i18n.js";

const W = {
  "u.filters": ["Saring daftar", "Filter the list"],
  "u.shelter": ["Tempat", "Shelter"],
  "u.kelurahan": ["Kelurahan", "Kelurahan"],
  "u.service": ["Layanan kurang", "Missing service"],
  "u.vulnerability": ["Kerentanan", "Vulnerability"],
  "u.sort": ["Urutkan", "Sort"],
  "u.all": ["Semua", "All"],
  "u.sort.name": ["Nama", "Name"],
  "u.sort.age": ["Umur (termuda dulu)", "Age (youngest first)"],
  "u.sort.meal_days": ["Hari tanpa makan (terbanyak dulu)", "Days without meals (most first)"],
  "u.sort.services": ["Jumlah layanan kurang", "Number of missing services"],
  "u.sort.id": ["Urutan pendaftaran sistem", "System order"],
  "u.group.persons": ["{n} orang", "{n} persons"],
  "u.group.mandiri": ["Mengungsi mandiri — {k}", "Staying with relatives — {k}"],
  "u.group.none": ["Tempat tidak diketahui", "Place unknown"],
  "u.groups": ["Jumlah per tempat", "Totals per place"],
  "u.filtered": ["{n} orang sesuai saringan", "{n} persons match the filter"],
  "u.years": ["{n} th", "{n} y"],
  "u.months": ["{n} bln", "{n} mo"],
  "u.head": ["KK: {h}", "Household: {h}"],
  "u.noHousehold": ["tanpa KK", "no household"],
  "u.went": ["sudah keluar", "has left"],
  "u.meals": ["Makan tidak cukup: {days}", "Meals short: {days}"],
  "u.mealDay": ["{d} di {s}", "{d} at {s}"],
  "u.mealDayHome": ["{d} (bantuan ke keluarga)", "{d} (to the household)"],
  "u.moreDays": ["dan {n} hari lain", "and {n} more days"],
  "u.items": ["Belum menerima: {items}", "Not yet received: {items}"],
  "u.services": ["Belum mendapat layanan: {s}", "No service yet: {s}"],
  "u.shelterLacks": ["Tempat penampungan", "Shelter place"],
  "n.title": ["Kekurangan per tempat saat ini", "What each shelter lacks now"],
  "n.meals": ["Makan hari ini", "Today's meals"],
  "n.mealTime": ["Waktu makan", "Meal time"],
  "n.due": ["Harus ada", "Due"],
  "n.delivered": ["Sudah dikirim", "Delivered"],
  "n.short": ["Kurang", "Short"],
  "n.notYet": ["belum tiba waktunya", "not yet due"],
  "n.items": ["Barang sekali-beri yang kurang", "Once-only items lacking"],
  "n.itemsNone": ["Tidak ada barang sekali-beri yang kurang.", "No once-only item lacking."],
  "n.unmet": ["{n} orang belum terpenuhi", "{n} persons not fulfilled"],
  "n.residents": ["{n} penghuni", "{n} residents"],
  "n.print": ["Cetak daftar", "Print list"],
  "n.none": ["Belum ada tempat penampungan yang dihuni.", "No shelter has residents yet."],
  "n.mealRule": ["Cukup atau tidaknya makan dinilai per hari; pembagian per waktu makan hanya petunjuk.",
    "Meals are judged per day; the split per meal time is a guide."],
  "meal.0": ["Pagi", "Breakfast"],
  "meal.1": ["Siang", "Lunch"],
  "meal.2": ["Malam", "Dinner"],
  "p.title": ["Daftar muatan untuk {s}", "Load list for {s}"],
  "p.event": ["Kejadian", "Event"],
  "p.computed": ["Dihitung", "Computed"],
  "p.meals": ["Makanan hari ini", "Today's meals"],
  "p.items": ["Barang yang dibawa", "Items to bring"],
  "p.item": ["Barang", "Item"],
  "p.qty": ["Jumlah", "Quantity"],
  "p.unit": ["Satuan", "Unit"],
  "p.received": ["Diterima", "Received"],
  "p.driver": ["Pengemudi", "Driver"],
  "p.receiver": ["Penerima di lokasi", "Receiver on site"],
  "p.print": ["Cetak", "Print"],
  "p.close": ["Tutup", "Close"],
  "p.nothing": ["Tidak ada kekurangan saat ini.", "Nothing lacking now."],
  "t.today": ["Permakanan hari ini", "Meals today"],
  "t.event": ["Sepanjang kejadian", "Whole event"],
  "t.of": ["{f} dari {e} orang", "{f} of {e} persons"],
  "t.none": ["belum ada waktu makan hari ini", "no meal time yet today"],
  "t.rule": ["Hari yang terlewat tetap terhitung (SPM): orang yang pernah tidak mendapat makan cukup pada satu hari tetap belum terpenuhi, jadi pengiriman hari ini tidak menaikkan angka sepanjang kejadian.",
    "A missed day stays missed (SPM): a person who went without enough meals on one day stays unfulfilled, so today's delivery does not raise the whole-event figure."],
  "f.computed": ["Dihitung pukul {t} WIB", "Computed at {t} WIB"],
  "f.computedOn": ["Dihitung {d} pukul {t} WIB", "Computed {d} at {t} WIB"],
};

/** w("u.years", {n: 3}) → the phrase in the current language. */
export function w(key, params) {
  const pair = W[key];
  let s = pair ? (getLang() === "en" ? pair[1] : pair[0]) : key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
  return s;
}

const ZONE = "Asia/Jakarta"; // Binjai: the figures are said in WIB whatever the browser's zone

/** "10.42" (Indonesian) / "10:42" (English), in WIB. */
export function wibTime(iso) {
  return new Date(iso).toLocaleTimeString(getLang() === "en" ? "en-GB" : "id-ID",
    { hour: "2-digit", minute: "2-digit", timeZone: ZONE });
}

/** "6 Des" / "6 Dec", in WIB. */
export function wibDay(iso) {
  return new Date(iso).toLocaleDateString(getLang() === "en" ? "en-GB" : "id-ID", { day: "numeric", month: "short", timeZone: ZONE });
}

/** A local date "2026-12-06" as "6 Des". */
export function shortDate(ymd) {
  return wibDay(`${ymd}T12:00:00+07:00`);
}

/** Whether an instant falls on today's date in WIB. */
export function isTodayWib(iso) {
  const f = (d) => d.toLocaleDateString("en-CA", { timeZone: ZONE });
  return f(new Date(iso)) === f(new Date());
}

/** "Dihitung pukul 10.42 WIB" (with the day when it is not today). */
export function computedAt(iso) {
  return isTodayWib(iso) ? w("f.computed", { t: wibTime(iso) }) : w("f.computedOn", { d: wibDay(iso), t: wibTime(iso) });
}
