// The "Stok" tab of the field app: a volunteer at a shelter sees the shelter's stock and today's needs,
// receives a shipment sent to it (as sent, or with another quantity and the reason) and records aid
// received at the shelter (penerimaan bantuan). Offline too: the stock last fetched is kept on the
// phone (it is not personal data), and every record waits in the phone's queue and goes through
// POST /sync like the others (record types `dispatch_receive` and `receipt`). Distributions from the
// shelter's stock are the "Bantuan" tab's distributions to the shelter: they draw down its stock.

import * as api from "./api.js";
import * as store from "./store.js";
import { getLang } from "./i18n.js";

const WORDS = {
  id: {
    title: "Stok tempat penampungan", shelter: "Tempat", updated: "Data stok per", offline: "tanpa sinyal: data terakhir",
    item: "Barang", onHand: "Stok", need: "Kebutuhan/hari", cover: "Cukup (hari)", none: "Belum ada stok tercatat di sini.",
    meals: "Makan hari ini", incoming: "Kiriman datang", noIncoming: "Tidak ada kiriman dalam perjalanan ke sini.",
    from: "dari", receive: "Terima sesuai kiriman", receiveOther: "Jumlah lain", reason: "Alasan selisih",
    received: "Penerimaan kiriman disimpan; dikirim saat ada sinyal.", receipt: "Catat bantuan masuk",
    donorKind: "Jenis donatur", donor: "Nama donatur", ref: "No. surat jalan", qty: "Jumlah", unit: "Satuan (kg, karung, dus…)",
    save: "Simpan penerimaan", saved: "Penerimaan disimpan; dikirim saat ada sinyal.", fix: "Lengkapi barang, jumlah dan donatur.",
    recReceive: "Terima kiriman", recReceipt: "Bantuan masuk", request: "Minta barang ke posko", requestBtn: "Kirim permintaan",
    requested: "Permintaan disimpan; dikirim saat ada sinyal.", recRequest: "Permintaan", queued: "menunggu kirim", hint: "Penyaluran dari stok ini dicatat di tab Bantuan (tujuan: tempat penampungan).",
  },
  en: {
    title: "Shelter stock", shelter: "Shelter", updated: "Stock as of", offline: "offline: last data",
    item: "Item", onHand: "On hand", need: "Need/day", cover: "Cover (days)", none: "No stock recorded here yet.",
    meals: "Meals today", incoming: "Incoming shipments", noIncoming: "No shipment on its way here.",
    from: "from", receive: "Receive as sent", receiveOther: "Other quantity", reason: "Reason for the difference",
    received: "Shipment receipt saved; sent when online.", receipt: "Record aid received",
    donorKind: "Donor kind", donor: "Donor name", ref: "Delivery note no.", qty: "Quantity", unit: "Unit (kg, karung, dus…)",
    save: "Save receipt", saved: "Receipt saved; sent when online.", fix: "Fill in item, quantity and donor.",
    recReceive: "Receive shipment", recReceipt: "Aid received", request: "Ask the command post for items", requestBtn: "Send request",
    requested: "Request saved; sent when online.", recRequest: "Request", queued: "waiting to send", hint: "Distributions from this stock are recorded in the Aid tab (to the shelter).",
  },
};
const DONOR_KINDS = ["masyarakat", "swasta", "organisasi_kemanusiaan", "bpbd", "pemerintah_kota", "pemerintah_provinsi",
  "pemerintah_pusat"];

function w(key) { return (WORDS[getLang()] || WORDS.id)[key] ?? key; }

/** The tab's view. `ctx`: {h, state, uuid, isoNow, toast, syncNow, refreshRecords, rerender, openShelters, itemOf}. */
export function stockView(ctx) {
  const { h, state } = ctx;
  const shelters = ctx.openShelters();
  state.stockShelter ||= shelters[0]?.id || "";
  const box = h("div", { class: "stack", id: "stock-view" });
  const body = h("div", { id: "stock-body" });
  const select = h("select", { name: "stock_shelter", id: "stock-shelter",
    onchange: (e) => { state.stockShelter = e.target.value; draw(); } },
  ...shelters.map((s) => h("option", { value: s.id, selected: s.id === state.stockShelter }, s.name)));
  box.append(h("h2", { tabindex: "-1" }, w("title")),
    h("div", { class: "field" }, h("label", { for: "stock-shelter" }, w("shelter")), select), body);
  let generation = 0;
  const draw = async () => {
    const mine = ++generation;
    const data = await loadStock(ctx);
    if (mine !== generation) return;  // a newer draw (another shelter chosen) started meanwhile: it wins
    body.replaceChildren(...render(ctx, data, draw));
  };
  draw();
  return box;
}

async function loadStock(ctx) {
  const eid = ctx.state.event.id;
  const key = `stock:${eid}`;
  let data = null;
  let offline = false;
  try {
    const [stock, status, transit] = await Promise.all([
      api.request(`/events/${eid}/stock`),
      api.request(`/events/${eid}/status`),
      api.request(`/events/${eid}/dispatches?in_transit=true&limit=500`),
    ]);
    data = { stock, shelters: status.shelters || [], transit: transit.items, at: stock.as_of };
    await store.kvSet(key, data);
  } catch {
    data = (await store.kvGet(key)) || { stock: { items: [], locations: [] }, shelters: [], transit: [], at: null };
    offline = true;
  }
  const queued = (await store.allRecords()).filter((r) => r.status === "pending" && r.event_id === eid);
  return { ...data, offline, queued };
}

function render(ctx, data, redraw) {
  const { h, state } = ctx;
  const sid = state.stockShelter;
  const names = Object.fromEntries((data.stock.locations || []).map((l) => [l.id, l.name]));
  const rows = (data.stock.items || []).filter((r) => r.location_id === sid);
  const meals = data.shelters.find((s) => s.id === sid);
  const queuedReceives = new Set(data.queued.filter((r) => r.type === "dispatch_receive").map((r) => r.data.dispatch_id));
  const incoming = data.transit.filter((d) => d.to_location_id === sid && d.status !== "diterima");
  const out = [
    h("p", { class: "muted small" }, data.offline ? w("offline") : w("updated"), " ",
      data.at ? new Date(data.at).toLocaleString(getLang() === "en" ? "en-GB" : "id-ID") : "—"),
    meals ? h("p", { class: "card", id: "stock-meals" }, h("b", {}, w("meals"), ": "),
      `${meals.meals_delivered_today} / ${meals.meals_due_today}`) : null,
    rows.length ? h("table", { class: "tbl", id: "stock-table" },
      h("thead", {}, h("tr", {}, h("th", {}, w("item")), h("th", {}, w("onHand")), h("th", {}, w("need")), h("th", {}, w("cover")))),
      h("tbody", {}, ...rows.map((r) => h("tr", { "data-item": r.item_code, class: r.on_hand < 0 ? "bad" : "" },
        h("td", {}, ctx.itemOf(r.item_code)?.name || r.item_code),
        h("td", {}, `${r.on_hand} ${r.unit || ""}`), h("td", {}, String(r.daily_need)),
        h("td", {}, r.days_of_cover === null ? "—" : String(r.days_of_cover))))))
      : h("p", { class: "muted" }, w("none")),
    h("p", { class: "muted small" }, w("hint")),
    h("h3", {}, w("incoming")),
    incoming.length ? h("ul", { class: "list", id: "stock-incoming" }, ...incoming.map((d) => incomingCard(ctx, d, names,
      queuedReceives.has(d.id), redraw))) : h("p", { class: "muted" }, w("noIncoming")),
    receiptForm(ctx, sid, redraw),
    requestForm(ctx, sid, redraw),
  ];
  return out.filter(Boolean);
}

// What the volunteer has typed into a shipment's card, by dispatch id: a redraw (the list reloaded, another
// shelter chosen and back) must not throw away a half-typed count.
const drafts = new Map();

function incomingCard(ctx, d, names, queued, redraw) {
  const { h } = ctx;
  if (!drafts.has(d.id)) drafts.set(d.id, { other: {}, reason: "" });
  const draft = drafts.get(d.id);
  const other = draft.other;
  const reason = h("input", { name: "receive_reason", maxlength: 500, placeholder: w("reason"), value: draft.reason,
    oninput: (e) => { draft.reason = e.target.value; } });
  const li = h("li", { class: "card", "data-dispatch": d.id },
    h("p", {}, h("b", {}, d.lines.map((l) => `${l.quantity} ${ctx.itemOf(l.item_code)?.unit || ""} ${ctx.itemOf(l.item_code)?.name || l.item_code}`).join(", ")),
      " ", w("from"), " ", names[d.from_location_id] || ""));
  if (queued) { li.append(h("p", { class: "muted small" }, w("queued"))); return li; }
  const items = [...new Set(d.lines.map((l) => l.item_code))];
  for (const code of items) {
    li.append(h("label", { class: "small" }, `${w("receiveOther")} (${ctx.itemOf(code)?.name || code})`,
      h("input", { type: "number", min: "0", step: "any", inputmode: "decimal", name: `receive_${code}`,
        value: other[code] ?? "", oninput: (e) => { other[code] = e.target.value; } })));
  }
  li.append(reason, h("button", { type: "button", class: "btn btn-primary", "data-receive": d.id, onclick: async () => {
    const lines = Object.entries(other).filter(([, v]) => v !== "").map(([code, v]) => {
      const line = { item_code: code, quantity: Number(v) };
      if (reason.value.trim()) line.reason = reason.value.trim();
      return line;
    });
    const id = ctx.uuid();
    await store.addRecords([{ id, type: "dispatch_receive", event_id: ctx.state.event.id,
      data: { id, dispatch_id: d.id, received_at: ctx.isoNow(), lines },
      meta: { label: `${w("recReceive")} ${w("from")} ${names[d.from_location_id] || ""}` } }]);
    drafts.delete(d.id);
    ctx.toast(w("received"), "ok");
    await ctx.refreshRecords();
    ctx.syncNow();
    redraw();
  } }, w("receive")));
  return li;
}

function requestForm(ctx, sid, redraw) {
  const { h } = ctx;
  const d = { item_code: "", quantity: "", unit: "" };
  const form = h("form", { class: "card stack", id: "request-form", novalidate: true },
    h("h3", {}, w("request")),
    h("label", {}, w("item"), h("select", { name: "rq_item_code", onchange: (e) => { d.item_code = e.target.value; } },
      h("option", { value: "" }, "—"), ...ctx.state.items.filter((i) => i.code !== "uang_tunai")
        .map((i) => h("option", { value: i.code }, `${i.name} (${i.unit})`)))),
    h("label", {}, w("qty"), h("input", { name: "rq_quantity", type: "number", min: "0", step: "any", inputmode: "decimal",
      oninput: (e) => { d.quantity = e.target.value; } })),
    h("label", {}, w("unit"), h("input", { name: "rq_unit", maxlength: 30, oninput: (e) => { d.unit = e.target.value; } })),
    h("button", { type: "submit", class: "btn btn-block", id: "save-request" }, w("requestBtn")));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const q = Number(d.quantity);
    if (!d.item_code || !(q > 0)) { ctx.toast(w("fix"), "error"); return; }
    const id = ctx.uuid();
    const line = { item_code: d.item_code, quantity: q };
    if (d.unit.trim()) line.unit = d.unit.trim();
    await store.addRecords([{ id, type: "stock_request", event_id: ctx.state.event.id,
      data: { id, shelter_id: sid, requested_at: ctx.isoNow(), lines: [line] },
      meta: { label: `${w("recRequest")}: ${q} ${line.unit || ctx.itemOf(d.item_code)?.unit || ""} ${ctx.itemOf(d.item_code)?.name || d.item_code}` } }]);
    ctx.toast(w("requested"), "ok");
    await ctx.refreshRecords();
    ctx.syncNow();
    redraw();
  });
  return form;
}

function receiptForm(ctx, sid, redraw) {
  const { h } = ctx;
  const d = { donor_kind: "masyarakat", donor_name: "", reference_doc: "", item_code: "", quantity: "", unit: "" };
  const input = (key, attrs = {}) => h("input", { name: `rc_${key}`, ...attrs, oninput: (e) => { d[key] = e.target.value; } });
  const form = h("form", { class: "card stack", id: "receipt-form", novalidate: true },
    h("h3", {}, w("receipt")),
    h("label", {}, w("donorKind"), h("select", { name: "rc_donor_kind", onchange: (e) => { d.donor_kind = e.target.value; } },
      ...DONOR_KINDS.map((k) => h("option", { value: k }, k.replaceAll("_", " "))))),
    h("label", {}, w("donor"), input("donor_name", { maxlength: 200 })),
    h("label", {}, w("ref"), input("reference_doc", { maxlength: 100 })),
    h("label", {}, w("item"), h("select", { name: "rc_item_code", onchange: (e) => { d.item_code = e.target.value; } },
      h("option", { value: "" }, "—"), ...ctx.state.items.filter((i) => i.code !== "uang_tunai")
        .map((i) => h("option", { value: i.code }, `${i.name} (${i.unit})`)))),
    h("label", {}, w("qty"), input("quantity", { type: "number", min: "0", step: "any", inputmode: "decimal" })),
    h("label", {}, w("unit"), input("unit", { maxlength: 30 })),
    h("button", { type: "submit", class: "btn btn-primary btn-block", id: "save-receipt" }, w("save")));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const q = Number(d.quantity);
    if (!d.item_code || !(q > 0) || !d.donor_name.trim()) { ctx.toast(w("fix"), "error"); return; }
    const id = ctx.uuid();
    const line = { item_code: d.item_code, quantity: q };
    if (d.unit.trim()) line.unit = d.unit.trim();
    const data = { id, location_id: sid, donor_kind: d.donor_kind, donor_name: d.donor_name.trim(),
      received_at: ctx.isoNow(), lines: [line] };
    if (d.reference_doc.trim()) data.reference_doc = d.reference_doc.trim();
    await store.addRecords([{ id, type: "receipt", event_id: ctx.state.event.id, data,
      meta: { label: `${w("recReceipt")}: ${q} ${line.unit || ctx.itemOf(d.item_code)?.unit || ""} ${ctx.itemOf(d.item_code)?.name || d.item_code}` } }]);
    ctx.toast(w("saved"), "ok");
    await ctx.refreshRecords();
    ctx.syncNow();
    redraw();
  });
  return form;
}
