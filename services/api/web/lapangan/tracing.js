// "Orang dicari" in the field app: file a tracing request (offline too: it is queued and sent through
// /sync like every record) and see the requests of the event (read when online, the last list kept
// for offline; the requests still on the phone are shown too). Words are Indonesian first.

import { getLang } from "./i18n.js";

const WORDS = {
  id: {
    title: "Orang dicari", file: "Laporkan orang dicari", name: "Nama orang yang dicari", sex: "Jenis kelamin",
    age: "Umur (tahun)", kelurahan: "Kelurahan asal", lastSeen: "Terakhir terlihat di", description: "Ciri-ciri", reporter: "Nama pelapor",
    relation: "Hubungan dengan pelapor", phone: "Telepon pelapor", save: "Simpan laporan", saved: "Laporan disimpan; dikirim saat ada sinyal.",
    needName: "Isi nama orang yang dicari.", badAge: "Umur 0–120.", badPhone: "Hanya angka, spasi, + - ( ).",
    list: "Daftar orang dicari di kejadian ini", none: "Belum ada laporan.", onPhone: "belum terkirim",
    offlineList: "Daftar terakhir (luring)", choose: "— pilih —", L: "Laki-laki", P: "Perempuan",
    "status.dicari": "Dicari", "status.kemungkinan_cocok": "Kemungkinan cocok", "status.ditemukan": "Ditemukan",
    "status.dipertemukan": "Dipertemukan", "status.ditutup": "Ditutup", family: "Keluarga dicari untuk anak",
  },
  en: {
    title: "Persons sought", file: "Report a person sought", name: "Name of the person sought", sex: "Sex",
    age: "Age (years)", kelurahan: "Home kelurahan", lastSeen: "Last seen at", description: "Description", reporter: "Reporter's name",
    relation: "Relation to the reporter", phone: "Reporter's phone", save: "Save report", saved: "Report saved; sent when online.",
    needName: "Give the sought person's name.", badAge: "Age 0–120.", badPhone: "Digits, spaces, + - ( ) only.",
    list: "Persons sought in this event", none: "No reports yet.", onPhone: "not sent yet",
    offlineList: "Last list (offline)", choose: "— choose —", L: "Male", P: "Female",
    "status.dicari": "Sought", "status.kemungkinan_cocok": "Possible match", "status.ditemukan": "Found",
    "status.dipertemukan": "Reunited", "status.ditutup": "Closed", family: "Family sought for child",
  },
};

export function tw(key) {
  return (WORDS[getLang?.() || "id"] || WORDS.id)[key] ?? WORDS.id[key] ?? key;
}

function draft() {
  return { full_name: "", sex: "", age: "", kelurahan_code: "", last_seen_place: "", description: "", reporter_name: "", relation: "", phone: "", submitted: false };
}

function problems(d) {
  const p = {};
  if (!d.full_name.trim()) p.full_name = tw("needName");
  if (d.age !== "" && !(/^\d{1,3}$/.test(d.age) && Number(d.age) <= 120)) p.age = tw("badAge");
  if (d.phone.trim() && !/^[0-9+()\- ]{3,30}$/.test(d.phone.trim())) p.phone = tw("badPhone");
  return p;
}

/** The view; `ctx` is what app.js shares: h, store, syncNow, request, uuid, toast, state, refresh,
 * kelurahanOptions. */
export function tracingView(ctx) {
  const { h, state } = ctx;
  state.tracingDraft = state.tracingDraft || draft();
  const d = state.tracingDraft;
  const errs = d.submitted ? problems(d) : {};
  const input = (key, label, attrs = {}) => {
    const id = `tr-${key}`;
    const el = h("input", { id, name: key, value: d[key], ...attrs, oninput: (e) => { d[key] = e.target.value; } });
    return h("div", { class: "field" }, h("label", { for: id }, label), el,
      errs[key] ? h("p", { class: "error", role: "alert" }, errs[key]) : null);
  };
  const sex = h("select", { id: "tr-sex", name: "sex", onchange: (e) => { d.sex = e.target.value; } },
    h("option", { value: "" }, tw("choose")), h("option", { value: "L" }, tw("L")), h("option", { value: "P" }, tw("P")));
  sex.value = d.sex;
  const kel = h("select", { id: "tr-kelurahan_code", name: "kelurahan_code", onchange: (e) => { d.kelurahan_code = e.target.value; } });
  for (const o of ctx.kelurahanOptions()) {
    if (o.group) {
      const g = h("optgroup", { label: o.group });
      for (const x of o.options) g.append(h("option", { value: x.value }, x.label));
      kel.append(g);
    } else {
      kel.append(h("option", { value: o.value }, o.label));
    }
  }
  kel.value = d.kelurahan_code;
  const form = h("form", { class: "stack", id: "tracing-form", novalidate: true },
    h("h2", { tabindex: "-1" }, tw("file")),
    input("full_name", tw("name"), { maxlength: 200, autocomplete: "off" }),
    h("div", { class: "field" }, h("label", { for: "tr-sex" }, tw("sex")), sex),
    input("age", tw("age"), { inputmode: "numeric", maxlength: 3 }),
    h("div", { class: "field" }, h("label", { for: "tr-kelurahan_code" }, tw("kelurahan")), kel),
    input("last_seen_place", tw("lastSeen"), { maxlength: 500 }),
    input("description", tw("description"), { maxlength: 1000 }),
    input("reporter_name", tw("reporter"), { maxlength: 200 }),
    input("relation", tw("relation"), { maxlength: 60 }),
    input("phone", tw("phone"), { inputmode: "tel", maxlength: 30 }),
    h("button", { type: "submit", class: "btn btn-primary", id: "tracing-save" }, tw("save")));
  form.addEventListener("submit", (ev) => { ev.preventDefault(); save(ctx); });
  const list = h("div", { id: "tracing-list" });
  const view = h("div", { class: "stack" }, form, h("h2", {}, tw("list")), list);
  fillList(ctx, list);
  return view;
}

async function save(ctx) {
  const { state, store, uuid, toast } = ctx;
  const d = state.tracingDraft;
  d.submitted = true;
  if (Object.keys(problems(d)).length) { ctx.rerender(); return; }
  const id = uuid();
  const data = { id, event_id: state.event.id, full_name: d.full_name.trim() };
  if (d.sex) data.sex = d.sex;
  if (d.age !== "") data.age_years = Number(d.age);
  if (d.kelurahan_code) data.kelurahan_code = d.kelurahan_code;
  if (d.last_seen_place.trim()) data.last_seen_place = d.last_seen_place.trim();
  if (d.description.trim()) data.description = d.description.trim();
  const reporter = {};
  if (d.reporter_name.trim()) reporter.name = d.reporter_name.trim();
  if (d.relation.trim()) reporter.relation = d.relation.trim();
  if (d.phone.trim()) reporter.phone = d.phone.trim();
  if (Object.keys(reporter).length) data.reporter = reporter;
  await store.addRecords([{ id, type: "tracing", event_id: state.event.id, data, meta: { label: data.full_name } }]);
  toast(tw("saved"), "ok");
  state.tracingDraft = draft();
  ctx.rerender();
  await ctx.refresh();
  ctx.syncNow();
}

async function fillList(ctx, box) {
  const { h, state, store, request } = ctx;
  const eventId = state.event.id;
  const pending = (await store.allRecords()).filter((r) => r.type === "tracing" && r.event_id === eventId && r.status !== "accepted");
  let items = null;
  let offline = false;
  try {
    items = (await request(`/tracing?event_id=${encodeURIComponent(eventId)}&limit=200`)).items;
    await store.kvSet(`tracing:${eventId}`, items);
  } catch {
    items = (await store.kvGet(`tracing:${eventId}`)) || [];
    offline = true;
  }
  const ul = h("ul", { class: "list" });
  for (const r of pending) {
    ul.append(h("li", { class: "row", "data-local": r.id }, h("b", {}, r.data.full_name), " ",
      h("span", { class: "badge badge-wait" }, tw("onPhone"))));
  }
  const sent = new Set(pending.map((r) => r.id));
  for (const r of items.filter((x) => !sent.has(x.id))) {
    ul.append(h("li", { class: "row", "data-request": r.id, "data-status": r.status },
      h("b", {}, r.full_name || tw("family")), " ", h("span", { class: "badge" }, tw(`status.${r.status}`)),
      r.last_seen_place ? h("span", { class: "muted small" }, ` · ${r.last_seen_place}`) : null));
  }
  box.replaceChildren(offline ? h("p", { class: "muted small" }, tw("offlineList")) : "",
    ul.children.length ? ul : h("p", { class: "muted" }, tw("none")));
}
