// Logistik: open alerts (peringatan) at the top, newest first, with sound off by default; and the stock
// views — stock per location with days of cover and first-expiring lot, the stock card (kartu stok),
// receipts (penerimaan bantuan), dispatches in transit and "kirim berikutnya" suggestions that an
// operator turns into a shipment in one click. Everything follows the live snapshot (its `stock` and
// `alerts` sections); writes go through the API with client ids, so a retried click never doubles.

import { api, get, newId } from "./api.js";
import { clearFieldErrors, showFieldErrors } from "./fielderrors.js";
import { fmt, fmtTime, getLang } from "./i18n.js";
import { esc } from "./render.js";

const $ = (id) => document.getElementById(id);

const WORDS = {
  id: {
    alertsTitle: "Peringatan", alertsNone: "Tidak ada peringatan terbuka.", ack: "Tandai ditangani", acked: "sudah ditangani",
    soundOn: "Suara: nyala", soundOff: "Suara: mati", since: "sejak",
    sev_tinggi: "tinggi", sev_sedang: "sedang", sev_rendah: "rendah",
    title: "Logistik", tabStock: "Stok", tabCard: "Kartu stok", tabReceipts: "Penerimaan", tabDispatch: "Pengiriman",
    location: "Lokasi", allLocations: "Semua lokasi", item: "Barang", onHand: "Stok", cover: "Cukup (hari)",
    transit: "Dalam perjalanan", expiry: "Kedaluwarsa pertama", gudang: "gudang", shelter: "tempat", none: "Belum ada stok tercatat.",
    minus: "minus", cash: "Uang tunai diterima", cardPick: "Pilih lokasi dan barang.", at: "Waktu", kind: "Jenis",
    qty: "Jumlah", balance: "Saldo", reason: "Alasan", noLines: "Belum ada catatan.",
    donor: "Donatur", donorKind: "Jenis donatur", ref: "No. surat jalan", unit: "Satuan", expiryDate: "Tgl kedaluwarsa",
    value: "Nilai (Rp)", cashRp: "Uang tunai (Rp)", save: "Simpan penerimaan", saved: "Penerimaan tersimpan.",
    receiptsNone: "Belum ada penerimaan.", suggestTitle: "Kirim berikutnya", suggestNone: "Tidak ada usulan kiriman.",
    send: "Kirim", sent: "Kiriman dibuat", from: "Dari", to: "Ke", noSource: "tidak ada stok di gudang",
    transitTitle: "Kiriman dalam perjalanan", transitNone: "Tidak ada kiriman dalam perjalanan.", sentAt: "Dikirim",
    manual: "Kirim manual", dispatchBtn: "Buat kiriman", received: "diterima",
    adjustTitle: "Penyesuaian stok", adjustQty: "Jumlah (+ tambah / − kurang)", adjustKind: "Jenis", adjustBtn: "Simpan penyesuaian",
    adjusted: "Penyesuaian tersimpan.", aj_rusak: "rusak", aj_kedaluwarsa: "kedaluwarsa", aj_hilang: "hilang", aj_koreksi_hitung: "koreksi hitung",
    k_penerimaan: "penerimaan", k_kirim: "kirim", k_terima: "terima", k_penyesuaian: "penyesuaian", k_penyaluran: "penyaluran",
    gudangTitle: "Tambah gudang", gudangName: "Nama gudang", gudangKind: "Jenis gudang", kelurahan: "Kelurahan",
    address: "Alamat", contactName: "Nama kontak", contactPhone: "Telepon kontak", gudangBtn: "Simpan gudang",
    gudangSaved: "Gudang tersimpan.", wk_gudang_dinsos: "gudang Dinas Sosial", wk_lumbung_sosial: "lumbung sosial",
    wk_gudang_mitra: "gudang mitra", wk_lainnya: "lainnya",
    tabRequests: "Permintaan", requestsNone: "Belum ada permintaan.", requestedAt: "Diminta", status: "Status",
    notes: "Catatan", st_transit: "dalam perjalanan", st_open: "belum terpenuhi", st_met: "tercukupi",
  },
  en: {
    alertsTitle: "Alerts", alertsNone: "No open alerts.", ack: "Acknowledge", acked: "acknowledged",
    soundOn: "Sound: on", soundOff: "Sound: off", since: "since",
    sev_tinggi: "high", sev_sedang: "medium", sev_rendah: "low",
    title: "Logistics", tabStock: "Stock", tabCard: "Stock card", tabReceipts: "Receipts", tabDispatch: "Dispatch",
    location: "Location", allLocations: "All locations", item: "Item", onHand: "On hand", cover: "Cover (days)",
    transit: "In transit", expiry: "First expiry", gudang: "warehouse", shelter: "shelter", none: "No stock recorded yet.",
    minus: "negative", cash: "Cash received", cardPick: "Pick a location and an item.", at: "Time", kind: "Kind",
    qty: "Quantity", balance: "Balance", reason: "Reason", noLines: "Nothing recorded yet.",
    donor: "Donor", donorKind: "Donor kind", ref: "Delivery note no.", unit: "Unit", expiryDate: "Expiry date",
    value: "Value (Rp)", cashRp: "Cash (Rp)", save: "Save receipt", saved: "Receipt saved.",
    receiptsNone: "No receipts yet.", suggestTitle: "Send next", suggestNone: "No suggested shipments.",
    send: "Send", sent: "Shipment created", from: "From", to: "To", noSource: "no warehouse stock",
    transitTitle: "Shipments in transit", transitNone: "No shipments in transit.", sentAt: "Sent",
    manual: "Manual shipment", dispatchBtn: "Create shipment", received: "received",
    adjustTitle: "Stock adjustment", adjustQty: "Quantity (+ add / − remove)", adjustKind: "Kind", adjustBtn: "Save adjustment",
    adjusted: "Adjustment saved.", aj_rusak: "damaged", aj_kedaluwarsa: "expired", aj_hilang: "lost", aj_koreksi_hitung: "count correction",
    k_penerimaan: "receipt", k_kirim: "sent", k_terima: "received", k_penyesuaian: "adjustment", k_penyaluran: "distribution",
    gudangTitle: "Add warehouse", gudangName: "Warehouse name", gudangKind: "Warehouse kind", kelurahan: "Kelurahan",
    address: "Address", contactName: "Contact name", contactPhone: "Contact phone", gudangBtn: "Save warehouse",
    gudangSaved: "Warehouse saved.", wk_gudang_dinsos: "Dinas Sosial warehouse", wk_lumbung_sosial: "social granary",
    wk_gudang_mitra: "partner warehouse", wk_lainnya: "other",
    tabRequests: "Requests", requestsNone: "No requests yet.", requestedAt: "Requested", status: "Status",
    notes: "Notes", st_transit: "in transit", st_open: "still lacking", st_met: "covered",
  },
};
const DONOR_KINDS = ["pemerintah_pusat", "pemerintah_provinsi", "pemerintah_kota", "bpbd", "swasta",
  "organisasi_kemanusiaan", "masyarakat"];
const WAREHOUSE_KINDS = ["gudang_dinsos", "lumbung_sosial", "gudang_mitra", "lainnya"];
const REQUESTS_PAGE = 500; // the API's largest page: the newest requests are read from the last page

function w(key) { return (WORDS[getLang()] || WORDS.id)[key] ?? WORDS.id[key] ?? key; }

export class Logistik {
  constructor({ toast, errorText }) {
    this.toast = toast;
    this.errorText = errorText;
    this.eventId = null;
    this.operator = false;
    this.snap = null;
    this.tab = "stock";
    this.filter = "";
    this.sound = false;
    this.seenAlerts = null;
    this.items = {};
    this.addedGudang = []; // gudang saved here that the (event-bound) snapshot does not list yet
    this.gudangId = newId(); // kept until a save succeeds, so a resent form never makes a second gudang
    this.kelurahan = null;
  }

  bind() {
    $("alerts").addEventListener("click", (ev) => {
      const b = ev.target.closest("button[data-ack]");
      if (b && !b.disabled) this.ack(b.dataset.ack, b);
      if (ev.target.closest("button[data-sound]")) { this.sound = !this.sound; this.renderAlerts(); }
    });
    $("logistik").addEventListener("click", (ev) => {
      const tab = ev.target.closest("button[data-ltab]");
      if (tab) { this.tab = tab.dataset.ltab; this.render(); return; }
      const send = ev.target.closest("button[data-suggest]");
      if (send && !send.disabled) this.sendSuggestion(send.dataset.suggest, send);
    });
    $("logistik").addEventListener("change", (ev) => {
      if (ev.target.id === "lg-filter") { this.filter = ev.target.value; this.render(); }
      if (ev.target.id === "lg-card-loc" || ev.target.id === "lg-card-item") this.loadCard();
    });
    $("logistik").addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (ev.target.id === "lg-receipt-form") this.saveReceipt(ev.target);
      if (ev.target.id === "lg-dispatch-form") this.saveDispatch(ev.target);
      if (ev.target.id === "lg-adjust-form") this.saveAdjustment(ev.target);
      if (ev.target.id === "lg-gudang-form") this.saveGudang(ev.target);
    });
  }

  open(event, operator, items) {
    this.eventId = event.id;
    this.operator = operator;
    this.items = items || {};
    this.seenAlerts = null;
    this.receipts = null;
    this.requests = null;
    $("alerts-card").hidden = false;
    $("logistik").hidden = false;
  }

  close() {
    this.eventId = null;
    this.snap = null;
  }

  /** A new snapshot (first load or live). */
  update(snap) {
    if (!snap) return;
    this.snap = snap;
    const ids = new Set((snap.alerts || []).map((a) => a.id));
    if (this.seenAlerts && this.sound && [...ids].some((id) => !this.seenAlerts.has(id))) this.beep();
    this.seenAlerts = ids;
    this.renderAlerts();
    this.render();
    if (this.tab === "receipts") this.loadReceipts();
    if (this.tab === "requests") this.loadRequests();
  }

  beep() {
    try {
      const ctx = new AudioContext();
      const osc = ctx.createOscillator();
      osc.frequency.value = 880;
      osc.connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.2);
    } catch { /* no sound available */ }
  }

  /** The snapshot's locations plus gudang saved on this page since (a gudang belongs to no event, so
   * saving one does not bump the event's snapshot). */
  locations() {
    const locs = this.snap?.stock?.locations || [];
    const known = new Set(locs.map((l) => l.id));
    return [...locs, ...this.addedGudang.filter((g) => !known.has(g.id))];
  }

  names() {
    const out = {};
    for (const l of this.locations()) out[l.id] = l.name;
    return out;
  }

  renderAlerts() {
    const alerts = (this.snap?.alerts || []).slice().sort((a, b) => (b.first_seen || "").localeCompare(a.first_seen || ""));
    const head = `<div class="card-head"><h2>${esc(w("alertsTitle"))} <span class="badge ${alerts.length ? "badge-bad" : "badge-muted"}">${fmt(alerts.length)}</span></h2>
      <button type="button" class="btn btn-ghost btn-small" data-sound aria-pressed="${this.sound}">${esc(this.sound ? w("soundOn") : w("soundOff"))}</button></div>`;
    const rows = alerts.map((a) => `<li class="alert alert--${esc(a.severity)}" data-alert="${esc(a.id)}" data-kind="${esc(a.kind)}">
        <span class="badge ${a.severity === "tinggi" ? "badge-bad" : "badge-warn"}">${esc(w(`sev_${a.severity}`))}</span>
        <span class="alert-msg">${esc(a.message)}</span>
        <span class="muted alert-time">${esc(w("since"))} ${esc(fmtTime(a.first_seen, true))}</span>
        ${a.acked_at ? `<span class="badge badge-muted">${esc(w("acked"))}</span>`
          : this.operator ? `<button type="button" class="btn btn-small" data-ack="${esc(a.id)}">${esc(w("ack"))}</button>` : ""}
      </li>`).join("");
    $("alerts").innerHTML = head + (alerts.length ? `<ul class="alert-list">${rows}</ul>` : `<p class="muted">${esc(w("alertsNone"))}</p>`);
  }

  async ack(alertId, button) {
    button.disabled = true;
    try {
      await api("POST", `/events/${encodeURIComponent(this.eventId)}/alerts/${encodeURIComponent(alertId)}/ack`);
    } catch (err) {
      button.disabled = false;
      this.toast(this.errorText(err), "bad");
    }
  }

  render() {
    if (!this.snap) return;
    const tabs = ["stock", "card", "receipts", "dispatch", "requests"].map((k) => {
      const key = { stock: "tabStock", card: "tabCard", receipts: "tabReceipts", dispatch: "tabDispatch",
        requests: "tabRequests" }[k];
      return `<button type="button" role="tab" class="tab" data-ltab="${k}" aria-selected="${this.tab === k}">${esc(w(key))}</button>`;
    }).join("");
    const body = { stock: () => this.stockHtml(), card: () => this.cardHtml(), receipts: () => this.receiptsHtml(),
      dispatch: () => this.dispatchHtml(), requests: () => this.requestsHtml() }[this.tab]();
    const focused = document.activeElement?.id;
    $("logistik").innerHTML = `<div class="card-head"><h2>${esc(w("title"))}</h2><div class="tabs" role="tablist">${tabs}</div></div>${body}`;
    if (focused && $(focused)) $(focused).focus();
    if (this.tab === "card" && this.cardData) this.renderCardLines();
  }

  locationOptions(selected, withAll) {
    const locs = this.locations();
    return (withAll ? `<option value="">${esc(w("allLocations"))}</option>` : "") + locs.map((l) =>
      `<option value="${esc(l.id)}"${l.id === selected ? " selected" : ""}>${esc(l.name)} (${esc(w(l.kind))})</option>`).join("");
  }

  itemOptions(selected) {
    return Object.values(this.items).map((i) =>
      `<option value="${esc(i.code)}"${i.code === selected ? " selected" : ""}>${esc(i.name)} (${esc(i.unit)})</option>`).join("");
  }

  stockHtml() {
    const st = this.snap.stock || {};
    const names = this.names();
    const rows = (st.items || []).filter((r) => !this.filter || r.location_id === this.filter).map((r) => {
      const cls = r.on_hand < 0 ? "row--bad" : (r.days_of_cover !== null && r.days_of_cover < 1) ? "row--warn" : "";
      return `<tr class="${cls}" data-stock="${esc(r.location_id)}:${esc(r.item_code)}">
        <th scope="row">${esc(names[r.location_id] || r.location_id)}<span class="unit">${esc(w(r.location_kind))}</span></th>
        <td>${esc(this.items[r.item_code]?.name || r.item_code)}</td>
        <td class="num">${fmt(r.on_hand, 2)} <span class="unit">${esc(r.unit || "")}</span>${r.on_hand < 0 ? ` <span class="badge badge-bad">${esc(w("minus"))}</span>` : ""}</td>
        <td class="num">${r.days_of_cover === null ? "—" : fmt(r.days_of_cover, 2)}</td>
        <td class="num">${fmt(r.in_transit_in, 2)}</td>
        <td>${r.fefo_next ? esc(r.fefo_next) : "—"}</td></tr>`;
    }).join("");
    return `<p><label for="lg-filter">${esc(w("location"))}</label> <select id="lg-filter">${this.locationOptions(this.filter, true)}</select>
      <span class="muted">${esc(w("cash"))}: Rp ${fmt(st.cash_rupiah || 0)}</span></p>
      ${rows ? `<div class="table-wrap"><table class="tbl" id="lg-stock"><thead><tr><th>${esc(w("location"))}</th><th>${esc(w("item"))}</th>
      <th class="num">${esc(w("onHand"))}</th><th class="num">${esc(w("cover"))}</th><th class="num">${esc(w("transit"))}</th>
      <th>${esc(w("expiry"))}</th></tr></thead><tbody>${rows}</tbody></table></div>` : `<p class="muted">${esc(w("none"))}</p>`}
      ${this.operator ? this.adjustHtml() + this.gudangHtml() : ""}`;
  }

  gudangHtml() {
    if (this.kelurahan === null) { this.kelurahan = []; this.loadKelurahan(); }
    const kel = this.kelurahan.map((r) => `<option value="${esc(r.code)}">${esc(r.name)}</option>`).join("");
    return `<h3>${esc(w("gudangTitle"))}</h3><form id="lg-gudang-form" class="stack-form lg-form" novalidate>
      <div class="three"><div><label for="lg-g-name">${esc(w("gudangName"))}</label><input id="lg-g-name" name="name" required maxlength="200"></div>
      <div><label for="lg-g-kind">${esc(w("gudangKind"))}</label><select id="lg-g-kind" name="kind">${WAREHOUSE_KINDS.map((k) => `<option value="${k}">${esc(w(`wk_${k}`))}</option>`).join("")}</select></div>
      <div><label for="lg-g-kel">${esc(w("kelurahan"))}</label><select id="lg-g-kel" name="kelurahan_code" required>${kel}</select></div></div>
      <div class="three"><div><label for="lg-g-address">${esc(w("address"))}</label><input id="lg-g-address" name="address" maxlength="200"></div>
      <div><label for="lg-g-contact">${esc(w("contactName"))}</label><input id="lg-g-contact" name="contact_name" maxlength="200"></div>
      <div><label for="lg-g-phone">${esc(w("contactPhone"))}</label><input id="lg-g-phone" name="contact_phone" type="tel" maxlength="20" placeholder="0812…"></div></div>
      <p class="form-msg" id="lg-g-msg" role="status"></p>
      <button type="submit" class="btn btn-primary">${esc(w("gudangBtn"))}</button></form>`;
  }

  async loadKelurahan() {
    try {
      const page = await get("/regions?level=kelurahan&limit=500");
      this.kelurahan = page.items.map((r) => ({ code: r.code, name: r.name }));
      if (this.tab === "stock") this.render();
    } catch { this.kelurahan = null; }
  }

  async saveGudang(form) {
    const f = new FormData(form);
    const msg = $("lg-g-msg");
    clearFieldErrors(form);
    msg.textContent = "";
    const body = { id: this.gudangId, name: String(f.get("name") || "").trim(), kind: f.get("kind"),
      kelurahan_code: f.get("kelurahan_code") };
    for (const k of ["address", "contact_name", "contact_phone"]) {
      const v = String(f.get(k) || "").trim();
      if (v) body[k] = v;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const made = await api("POST", "/warehouses", body);
      this.gudangId = newId();
      if (!this.addedGudang.some((g) => g.id === made.id)) this.addedGudang.push({ id: made.id, kind: "gudang", name: made.name });
      this.toast(w("gudangSaved"), "ok");
      this.render();
    } catch (err) {
      const rest = showFieldErrors(form, err);
      msg.textContent = Array.isArray(err?.detail) ? rest.join("; ") : this.errorText(err);
    } finally { button.disabled = false; }
  }

  adjustHtml() {
    const kinds = ["rusak", "kedaluwarsa", "hilang", "koreksi_hitung"];
    return `<h3>${esc(w("adjustTitle"))}</h3><form id="lg-adjust-form" class="stack-form lg-form">
      <div class="three"><div><label for="lg-a-loc">${esc(w("location"))}</label><select id="lg-a-loc" name="location_id">${this.locationOptions(this.filter, false)}</select></div>
      <div><label for="lg-a-item">${esc(w("item"))}</label><select id="lg-a-item" name="item_code">${this.itemOptions("")}</select></div>
      <div><label for="lg-a-qty">${esc(w("adjustQty"))}</label><input id="lg-a-qty" name="quantity" type="number" step="any" required></div></div>
      <div class="two"><div><label for="lg-a-kind">${esc(w("adjustKind"))}</label><select id="lg-a-kind" name="kind">${kinds.map((k) => `<option value="${k}">${esc(w(`aj_${k}`))}</option>`).join("")}</select></div>
      <div><label for="lg-a-reason">${esc(w("reason"))}</label><input id="lg-a-reason" name="reason" required minlength="3" maxlength="500"></div></div>
      <button type="submit" class="btn btn-primary">${esc(w("adjustBtn"))}</button></form>`;
  }

  async saveAdjustment(form) {
    const f = new FormData(form);
    try {
      await api("POST", `/events/${encodeURIComponent(this.eventId)}/stock-adjustments`, {
        id: newId(), location_id: f.get("location_id"), item_code: f.get("item_code"),
        quantity: Number(f.get("quantity")), kind: f.get("kind"), reason: f.get("reason") });
      this.toast(w("adjusted"), "ok");
      form.reset();
    } catch (err) { this.toast(this.errorText(err), "bad"); }
  }

  cardHtml() {
    const loc = this.cardLoc || this.snap.stock?.locations?.[0]?.id || "";
    const item = this.cardItem || Object.keys(this.items)[0] || "";
    return `<form class="row-form" id="lg-card-form"><label for="lg-card-loc">${esc(w("location"))}</label>
      <select id="lg-card-loc">${this.locationOptions(loc, false)}</select>
      <label for="lg-card-item">${esc(w("item"))}</label><select id="lg-card-item">${this.itemOptions(item)}</select></form>
      <div id="lg-card" class="table-wrap"><p class="muted">${esc(w("cardPick"))}</p></div>`;
  }

  async loadCard() {
    this.cardLoc = $("lg-card-loc")?.value;
    this.cardItem = $("lg-card-item")?.value;
    if (!this.cardLoc || !this.cardItem) return;
    const q = new URLSearchParams({ location_id: this.cardLoc, item_code: this.cardItem });
    try {
      this.cardData = await get(`/events/${encodeURIComponent(this.eventId)}/stock-card?${q}`);
      this.renderCardLines();
    } catch (err) { this.toast(this.errorText(err), "bad"); }
  }

  renderCardLines() {
    const el = $("lg-card");
    const c = this.cardData;
    if (!el || !c || c.location_id !== this.cardLoc || c.item_code !== this.cardItem) return;
    const rows = c.lines.map((l) => `<tr><td>${esc(fmtTime(l.at, true))}</td><td>${esc(w(`k_${l.kind}`))}</td>
      <td class="num">${fmt(l.quantity, 2)}</td><td class="num">${fmt(l.balance, 2)}</td><td>${esc(l.reason || "")}</td></tr>`).join("");
    el.innerHTML = rows ? `<table class="tbl"><thead><tr><th>${esc(w("at"))}</th><th>${esc(w("kind"))}</th><th class="num">${esc(w("qty"))}</th>
      <th class="num">${esc(w("balance"))}</th><th>${esc(w("reason"))}</th></tr></thead><tbody>${rows}</tbody></table>`
      : `<p class="muted">${esc(w("noLines"))}</p>`;
  }

  async loadReceipts() {
    try {
      const page = await get(`/events/${encodeURIComponent(this.eventId)}/receipts?limit=100`);
      this.receipts = page.items;
      if (this.tab === "receipts") this.render();
    } catch { /* keep the last list */ }
  }

  receiptsHtml() {
    if (this.receipts === null || this.receipts === undefined) { this.receipts = []; this.loadReceipts(); }
    const names = this.names();
    const list = this.receipts.slice().reverse().map((r) => `<tr><td>${esc(fmtTime(r.received_at, true))}</td>
      <td>${esc(names[r.location_id] || r.location_id)}</td><td>${esc(r.donor_name)}<span class="unit">${esc(r.donor_kind)}</span></td>
      <td>${esc(r.reference_doc || "")}</td><td>${r.lines.map((l) => `${fmt(l.quantity, 2)} ${esc(l.unit || this.items[l.item_code]?.unit || "")} ${esc(this.items[l.item_code]?.name || l.item_code)}`).join("<br>")}
      ${r.cash_rupiah ? `<br>Rp ${fmt(r.cash_rupiah)}` : ""}</td></tr>`).join("");
    const form = !this.operator ? "" : `<form id="lg-receipt-form" class="stack-form lg-form">
      <div class="three"><div><label for="lg-r-loc">${esc(w("location"))}</label><select id="lg-r-loc" name="location_id">${this.locationOptions("", false)}</select></div>
      <div><label for="lg-r-kind">${esc(w("donorKind"))}</label><select id="lg-r-kind" name="donor_kind">${DONOR_KINDS.map((k) => `<option value="${k}">${k.replaceAll("_", " ")}</option>`).join("")}</select></div>
      <div><label for="lg-r-donor">${esc(w("donor"))}</label><input id="lg-r-donor" name="donor_name" required maxlength="200"></div></div>
      <div class="three"><div><label for="lg-r-ref">${esc(w("ref"))}</label><input id="lg-r-ref" name="reference_doc" maxlength="100"></div>
      <div><label for="lg-r-item">${esc(w("item"))}</label><select id="lg-r-item" name="item_code">${this.itemOptions("beras")}</select></div>
      <div><label for="lg-r-qty">${esc(w("qty"))}</label><input id="lg-r-qty" name="quantity" type="number" min="0" step="any" inputmode="decimal"></div></div>
      <div class="three"><div><label for="lg-r-unit">${esc(w("unit"))}</label><input id="lg-r-unit" name="unit" maxlength="30" placeholder="kg, karung, dus…"></div>
      <div><label for="lg-r-exp">${esc(w("expiryDate"))}</label><input id="lg-r-exp" name="expiry_date" type="date"></div>
      <div><label for="lg-r-cash">${esc(w("cashRp"))}</label><input id="lg-r-cash" name="cash_rupiah" type="number" min="0" step="any"></div></div>
      <button type="submit" class="btn btn-primary">${esc(w("save"))}</button></form>`;
    return `${form}${list ? `<div class="table-wrap"><table class="tbl" id="lg-receipts"><thead><tr><th>${esc(w("at"))}</th><th>${esc(w("location"))}</th>
      <th>${esc(w("donor"))}</th><th>${esc(w("ref"))}</th><th>${esc(w("item"))}</th></tr></thead><tbody>${list}</tbody></table></div>`
      : `<p class="muted">${esc(w("receiptsNone"))}</p>`}`;
  }

  async saveReceipt(form) {
    const f = new FormData(form);
    const body = { id: newId(), location_id: f.get("location_id"), donor_kind: f.get("donor_kind"),
      donor_name: f.get("donor_name"), lines: [] };
    if (f.get("reference_doc")) body.reference_doc = f.get("reference_doc");
    if (f.get("quantity")) {
      const line = { item_code: f.get("item_code"), quantity: Number(f.get("quantity")) };
      if (f.get("unit")) line.unit = f.get("unit");
      if (f.get("expiry_date")) line.expiry_date = f.get("expiry_date");
      body.lines.push(line);
    }
    if (f.get("cash_rupiah")) body.cash_rupiah = Number(f.get("cash_rupiah"));
    try {
      await api("POST", `/events/${encodeURIComponent(this.eventId)}/receipts`, body);
      this.toast(w("saved"), "ok");
      form.reset();
      this.loadReceipts();
    } catch (err) { this.toast(this.errorText(err), "bad"); }
  }

  /** All of the event's requests, newest first: the API lists oldest first, so past one page the
   * newest come from the last page. */
  async loadRequests() {
    const path = `/events/${encodeURIComponent(this.eventId)}/requests?limit=${REQUESTS_PAGE}`;
    try {
      let page = await get(path);
      if (page.total > page.items.length) page = await get(`${path}&offset=${page.total - REQUESTS_PAGE}`);
      this.requests = page.items.slice().sort((a, b) => (b.requested_at || "").localeCompare(a.requested_at || ""));
      if (this.tab === "requests") this.render();
    } catch { /* keep the last list */ }
  }

  requestsHtml() {
    if (this.requests === null || this.requests === undefined) { this.requests = []; this.loadRequests(); }
    const names = this.names();
    const rows = this.requests.map((r) => `<tr data-request="${esc(r.id)}"><td>${esc(fmtTime(r.requested_at, true))}</td>
      <td>${esc(names[r.shelter_id] || r.shelter_id)}</td>
      <td>${r.lines.map((l) => `${fmt(l.quantity, 2)} ${esc(this.items[l.item_code]?.unit || "")} ${esc(this.items[l.item_code]?.name || l.item_code)}`).join("<br>")}</td>
      <td>${esc(this.requestStatus(r))}</td><td>${esc(r.notes || "")}</td></tr>`).join("");
    return rows ? `<div class="table-wrap"><table class="tbl" id="lg-requests"><thead><tr><th>${esc(w("requestedAt"))}</th>
      <th>${esc(w("shelter"))}</th><th>${esc(w("item"))}</th><th>${esc(w("status"))}</th><th>${esc(w("notes"))}</th></tr></thead>
      <tbody>${rows}</tbody></table></div>` : `<p class="muted">${esc(w("requestsNone"))}</p>`;
  }

  /** A request's status from the live snapshot (requests carry none of their own): a shipment to the
   * shelter sent after the request is on its way → in transit; the shelter still lacks one of the
   * requested items in "kirim berikutnya" → still lacking; otherwise covered. */
  requestStatus(r) {
    const st = this.snap?.stock || {};
    if ((st.in_transit || []).some((d) => d.to_location_id === r.shelter_id && Date.parse(d.sent_at) >= Date.parse(r.requested_at))) return w("st_transit");
    const wanted = new Set(r.lines.map((l) => l.item_code));
    const s = (st.suggestions || []).find((x) => x.shelter_id === r.shelter_id);
    return s && s.items.some((i) => wanted.has(i.item_code)) ? w("st_open") : w("st_met");
  }

  dispatchHtml() {
    const st = this.snap.stock || {};
    const names = this.names();
    const suggestions = (st.suggestions || []).map((s) => `<li class="suggestion" data-suggestion="${esc(s.shelter_id)}">
      <strong>${esc(s.shelter_name)}</strong>
      <ul>${s.items.map((i) => `<li>${fmt(i.suggested, 2)} ${esc(i.unit || this.items[i.item_code]?.unit || "")} ${esc(this.items[i.item_code]?.name || i.item_code)}
        — ${i.from_location_id ? `${esc(w("from"))} ${esc(names[i.from_location_id] || "")}` : `<span class="muted">${esc(w("noSource"))}</span>`}</li>`).join("")}</ul>
      ${this.operator && s.items.some((i) => i.from_location_id) ? `<button type="button" class="btn btn-primary btn-small" data-suggest="${esc(s.shelter_id)}">${esc(w("send"))}</button>` : ""}
    </li>`).join("");
    const transit = (st.in_transit || []).map((d) => `<tr data-dispatch="${esc(d.id)}"><td>${esc(fmtTime(d.sent_at, true))}</td>
      <td>${esc(names[d.from_location_id] || d.from_location_id)}</td><td>${esc(names[d.to_location_id] || d.to_location_id)}</td>
      <td>${d.lines.map((l) => `${fmt(l.quantity, 2)} ${esc(this.items[l.item_code]?.name || l.item_code)}`).join("<br>")}</td></tr>`).join("");
    const manual = !this.operator ? "" : `<h3>${esc(w("manual"))}</h3><form id="lg-dispatch-form" class="stack-form lg-form">
      <div class="three"><div><label for="lg-d-from">${esc(w("from"))}</label><select id="lg-d-from" name="from">${this.locationOptions("", false)}</select></div>
      <div><label for="lg-d-to">${esc(w("to"))}</label><select id="lg-d-to" name="to">${this.locationOptions("", false)}</select></div>
      <div><label for="lg-d-item">${esc(w("item"))}</label><select id="lg-d-item" name="item_code">${this.itemOptions("")}</select></div></div>
      <div class="two"><div><label for="lg-d-qty">${esc(w("qty"))}</label><input id="lg-d-qty" name="quantity" type="number" min="0" step="any" required></div>
      <div><label for="lg-d-unit">${esc(w("unit"))}</label><input id="lg-d-unit" name="unit" maxlength="30"></div></div>
      <button type="submit" class="btn btn-primary">${esc(w("dispatchBtn"))}</button></form>`;
    return `<h3>${esc(w("suggestTitle"))}</h3>${suggestions ? `<ul class="suggestions" id="lg-suggestions">${suggestions}</ul>` : `<p class="muted">${esc(w("suggestNone"))}</p>`}
      <h3>${esc(w("transitTitle"))}</h3>${transit ? `<div class="table-wrap"><table class="tbl" id="lg-transit"><thead><tr><th>${esc(w("sentAt"))}</th>
      <th>${esc(w("from"))}</th><th>${esc(w("to"))}</th><th>${esc(w("item"))}</th></tr></thead><tbody>${transit}</tbody></table></div>`
      : `<p class="muted">${esc(w("transitNone"))}</p>`}${manual}`;
  }

  async sendSuggestion(shelterId, button) {
    button.disabled = true;
    button.dataset.actionId ||= newId(); // a retried click repeats the same action: no second shipment
    try {
      const made = await api("POST", `/events/${encodeURIComponent(this.eventId)}/suggestions/${encodeURIComponent(shelterId)}/dispatch`,
        { id: button.dataset.actionId });
      this.toast(`${w("sent")}: ${made.length}`, "ok");
    } catch (err) {
      button.disabled = false;
      this.toast(this.errorText(err), "bad");
    }
  }

  async saveDispatch(form) {
    const f = new FormData(form);
    const line = { item_code: f.get("item_code"), quantity: Number(f.get("quantity")) };
    if (f.get("unit")) line.unit = f.get("unit");
    try {
      await api("POST", `/events/${encodeURIComponent(this.eventId)}/dispatches`,
        { id: newId(), from_location_id: f.get("from"), to_location_id: f.get("to"), lines: [line] });
      this.toast(w("sent"), "ok");
      form.reset();
    } catch (err) { this.toast(this.errorText(err), "bad"); }
  }
}
