// "Orang dicari": the tracing board of the command post. A badge counts requests with a possible match
// (kemungkinan_cocok); the list shows separated and unaccompanied children first, then possible matches
// (with where the best candidate is registered now), then the rest still sought; counts per status
// above. A live "tracing" notice (a new strong match found by the worker) reloads it, flashes the
// badge and tells the operator where the person is. The notice names nobody; the list is read through
// the API, which applies the roles (pengamat: counts only; relawan: member events, phone masked).
// Each open request carries the operator's actions, as the API allows them (PATCH /tracing/{id} with
// If-Match): "Ini orangnya" confirms the best candidate (ditemukan), "Dipertemukan" records when, where
// and by whom a found person was reunited, "Tutup" closes with a reason. The server's message shows
// next to the form when it refuses; success reloads the board.

import { ApiError, api, get } from "./api.js";
import { clearFieldErrors, showFieldErrors } from "./fielderrors.js";
import { fmt, fmtTime, getLang } from "./i18n.js";
import { esc } from "./render.js";

const $ = (id) => document.getElementById(id);
const LIMIT = 200;
const MATCHES_SHOWN = 10;

const WORDS = {
  id: {
    title: "Orang dicari", badge: "{n} kemungkinan cocok", none: "Tidak ada laporan orang dicari yang terbuka.",
    hidden: "Hanya jumlah yang ditampilkan untuk peran Anda.", family: "Keluarga dicari untuk anak",
    child: "Anak", match: "Kemungkinan cocok: terdaftar di {place}{event} (kemiripan {score}%)",
    nomatch: "Belum ada yang cocok", settled: "Ditemukan dan dipertemukan",
    reunion: "dipertemukan {when} di {place} oleh {by}", foundNote: "ditemukan {when}", news: "Orang yang dicari mungkin sudah terdaftar: {place}",
    placeUnknown: "tempat belum tercatat", lastSeen: "terakhir terlihat", reporter: "pelapor",
    "status.dicari": "Dicari", "status.kemungkinan_cocok": "Kemungkinan cocok", "status.ditemukan": "Ditemukan",
    "status.dipertemukan": "Dipertemukan", "status.ditutup": "Ditutup", "flag.terpisah": "terpisah",
    "flag.tanpa_pendamping": "tanpa pendamping", still: "masih dicari", children: "anak terpisah",
    "act.confirm": "Ini orangnya", "act.reunite": "Dipertemukan", "act.close": "Tutup", cancel: "Batal",
    "submit.confirm": "Konfirmasi ditemukan", "submit.reunite": "Simpan pertemuan", "submit.close": "Tutup laporan",
    condition: "Kondisi", "condition.selamat": "Selamat", "condition.luka": "Luka", "condition.meninggal": "Meninggal",
    when: "Kapan", where: "Di mana", by: "Oleh siapa", reason: "Alasan penutupan",
    "done.confirm": "Orang dicari dikonfirmasi ditemukan.", "done.reunite": "Pertemuan keluarga dicatat.",
    "done.close": "Laporan orang dicari ditutup.", badWhen: "Waktu pertemuan tidak valid.",
  },
  en: {
    title: "Persons sought", badge: "{n} possible matches", none: "No open tracing requests.",
    hidden: "Only counts are shown for your role.", family: "Family sought for child", child: "Child",
    match: "Possible match: registered at {place}{event} (similarity {score}%)", nomatch: "No match yet",
    settled: "Found and reunited", reunion: "reunited {when} at {place} by {by}", foundNote: "found {when}",
    news: "The person sought may be registered: {place}", placeUnknown: "place not recorded",
    lastSeen: "last seen", reporter: "reporter", "status.dicari": "Sought", "status.kemungkinan_cocok": "Possible match",
    "status.ditemukan": "Found", "status.dipertemukan": "Reunited", "status.ditutup": "Closed",
    "flag.terpisah": "separated", "flag.tanpa_pendamping": "unaccompanied", still: "still sought",
    children: "separated children",
    "act.confirm": "This is the person", "act.reunite": "Reunited", "act.close": "Close", cancel: "Cancel",
    "submit.confirm": "Confirm found", "submit.reunite": "Save reunion", "submit.close": "Close request",
    condition: "Condition", "condition.selamat": "Safe", "condition.luka": "Injured", "condition.meninggal": "Deceased",
    when: "When", where: "Where", by: "By whom", reason: "Reason for closing",
    "done.confirm": "The person sought is confirmed found.", "done.reunite": "Reunion recorded.",
    "done.close": "Tracing request closed.", badWhen: "Invalid reunion time.",
  },
};

function w(key, params = {}) {
  const s = (WORDS[getLang()] || WORDS.id)[key] ?? WORDS.id[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => String(params[k] ?? ""));
}

/** Children first, then possible matches, then the rest; oldest first within each. */
export function boardOrder(items) {
  const rank = (r) => (r.kind === "keluarga" || (r.child_flags || []).length ? 0 : r.status === "kemungkinan_cocok" ? 1 : 2);
  return [...items].sort((a, b) => rank(a) - rank(b) || a.created_at.localeCompare(b.created_at));
}

/** A datetime-local value for `date` in the browser's time zone (the reunion form's default: now). */
function localInput(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** What each action may do to a request of this status (shared/domain/tracing.py TRANSITIONS). */
const ACTIONS = {
  dicari: ["close"], kemungkinan_cocok: ["confirm", "close"], ditemukan: ["reunite", "close"],
};

export class Tracing {
  constructor({ toast, errorText, role }) {
    this.toast = toast;
    this.errorText = errorText;
    this.role = role || (() => null);
    this.form = null; // the open action form: {id, act}
    this.eventId = null;
    this.seesNames = false;
    this.state = { counts: null, items: [], settled: [], matches: {}, error: null };
    this.loading = null;
  }

  bind() {
    const root = $("tracing");
    root.addEventListener("click", (ev) => {
      const b = ev.target.closest("button[data-act]");
      if (!b) return;
      const id = b.closest("[data-request]")?.dataset.request;
      if (b.dataset.act === "cancel") this.form = null;
      else if (id) this.form = { id, act: b.dataset.act };
      this.rerender();
      root.querySelector(".tracing-form input, .tracing-form select")?.focus();
    });
    root.addEventListener("submit", (ev) => {
      const form = ev.target.closest("form.tracing-form");
      if (!form) return;
      ev.preventDefault();
      this.submit(form);
    });
  }

  /** Posko and admin act on every request; a relawan only on its events' requests (the API's
   * writable_event); pengamat never sees the list. */
  mayAct(r) {
    const role = this.role();
    return role === "admin" || role === "posko" || (role === "relawan" && Boolean(r.event_id));
  }

  request(id) {
    return [...this.state.items, ...this.state.settled].find((r) => r.id === id);
  }

  /** PATCH the status with the request's version (If-Match); the server's 4xx shows on the form. */
  async submit(form) {
    const r = this.request(form.dataset.for);
    if (!r) return;
    const act = form.dataset.form;
    const f = form.elements;
    const text = (name) => f[name].value.trim() || null;
    let body;
    if (act === "confirm") {
      body = { status: "ditemukan", matched_person_id: f.matched_person_id.value, condition: f.condition.value };
    } else if (act === "reunite") {
      const when = f.reunited_at.value ? new Date(f.reunited_at.value) : null;
      if (when && Number.isNaN(when.getTime())) return this.formMessage(form, w("badWhen"));
      body = { status: "dipertemukan", reunited_at: when ? when.toISOString() : null,
        reunited_place: text("reunited_place"), reunited_by: text("reunited_by") };
    } else {
      body = { status: "ditutup", closed_reason: text("closed_reason") };
    }
    clearFieldErrors(form);
    this.formMessage(form, "");
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await api("PATCH", `/tracing/${encodeURIComponent(r.id)}`, body, { "If-Match": String(r.version) });
      this.form = null;
      this.toast(w(`done.${act}`));
      await this.load();
    } catch (err) {
      const rest = showFieldErrors(form, err);
      this.formMessage(form, rest.map((x) => (typeof x === "string" ? x : x instanceof ApiError ? x.readable : this.errorText(x))).join("; "));
      button.disabled = false;
      // Changed meanwhile (412: the worker found a match, another operator acted): read it again, so
      // the operator sees what it is now and a second try sends the current version.
      if (err instanceof ApiError && err.status === 412) await this.load();
    }
  }

  formMessage(form, message) {
    const line = form.querySelector(".form-error");
    line.textContent = message;
    line.hidden = !message;
  }

  /** Show the board for the dashboard's event (the board itself is office-wide for posko and admin). */
  open(eventId, seesNames) {
    this.eventId = eventId;
    this.seesNames = seesNames;
    $("tracing-card").hidden = false;
    $("tracing-title").textContent = w("title");
    this.state = { counts: null, items: [], settled: [], matches: {}, error: null };
    this.form = null;
    this.load();
  }

  /** A live notice: a new strong match. Reload, flash the badge, say where the person is. */
  async notice(msg) {
    if (!msg || msg.type !== "tracing") return;
    await this.load();
    const badge = $("tracing-badge");
    badge.classList.remove("flash");
    void badge.offsetWidth;
    badge.classList.add("flash");
    const best = (this.state.matches[msg.request_id] || [])[0];
    if (best && this.seesNames) this.toast(w("news", { place: best.shelter_name || best.event_name || w("placeUnknown") }));
  }

  async load() {
    const eventId = this.eventId;
    const run = (async () => {
      const counts = await get("/tracing/counts");
      let items = [];
      let settled = [];
      const matches = {};
      let error = null;
      if (this.seesNames) {
        try {
          const [sought, possible, foundPage, reunited] = await Promise.all([
            get(`/tracing?status=dicari&limit=${LIMIT}`), get(`/tracing?status=kemungkinan_cocok&limit=${LIMIT}`),
            get(`/tracing?status=ditemukan&limit=${LIMIT}`), get(`/tracing?status=dipertemukan&limit=${LIMIT}`)]);
          items = boardOrder([...sought.items, ...possible.items]);
          settled = [...foundPage.items, ...reunited.items].sort((a, b) => b.updated_at.localeCompare(a.updated_at));
          const withMatches = items.filter((r) => r.status === "kemungkinan_cocok").slice(0, MATCHES_SHOWN);
          const found = await Promise.all(withMatches.map((r) => get(`/tracing/${encodeURIComponent(r.id)}/matches`)));
          withMatches.forEach((r, i) => { matches[r.id] = found[i]; });
        } catch (err) {
          error = err instanceof ApiError && err.status === 403 ? w("hidden") : this.errorText(err);
        }
      }
      return { counts, items, settled, matches, error };
    })();
    this.loading = run;
    try {
      const next = await run;
      if (eventId !== this.eventId || this.loading !== run) return;
      this.state = next;
    } catch (err) {
      this.state = { ...this.state, error: this.errorText(err) };
    }
    this.rerender();
  }

  rerender() {
    if (!this.eventId) return;
    $("tracing-title").textContent = w("title");
    const c = this.state.counts;
    const badge = $("tracing-badge");
    const n = c ? c.kemungkinan_cocok : 0;
    badge.hidden = !n;
    badge.textContent = w("badge", { n: fmt(n) });
    badge.dataset.count = String(n);
    // A reload while the operator types (a live notice) keeps what the open form holds.
    const open = $("tracing").querySelector("form.tracing-form");
    const kept = open ? [...open.elements].filter((el) => el.name).map((el) => [el.name, el.value]) : [];
    const message = open ? open.querySelector(".form-error").textContent : "";
    $("tracing").innerHTML = this.html();
    const again = $("tracing").querySelector("form.tracing-form");
    if (again && open && again.dataset.for === open.dataset.for && again.dataset.form === open.dataset.form) {
      for (const [name, value] of kept) if (again.elements[name]) again.elements[name].value = value;
      this.formMessage(again, message);
    }
  }

  /** The action buttons of an open request, and the form of the action chosen. */
  actions(r) {
    if (!this.mayAct(r)) return "";
    const best = (this.state.matches[r.id] || [])[0];
    const acts = (ACTIONS[r.status] || []).filter((a) => a !== "confirm" || best);
    if (!acts.length) return "";
    const buttons = acts.map((a) => `<button type="button" class="btn btn-small ${a === "close" ? "btn-danger" : "btn-primary"}"`
      + ` data-act="${a}">${esc(w(`act.${a}`))}</button>`).join(" ");
    const open = this.form && this.form.id === r.id && acts.includes(this.form.act) ? this.actionForm(r, this.form.act, best) : "";
    return `<div class="tracing-actions">${buttons}</div>${open}`;
  }

  actionForm(r, act, best) {
    const id = `tracing-${act}-${r.id}`;
    const field = (name, label, input) => `<label for="${id}-${name}">${esc(label)}</label>${input}`;
    let fields = "";
    if (act === "confirm") {
      const options = ["selamat", "luka", "meninggal"]
        .map((c) => `<option value="${c}">${esc(w(`condition.${c}`))}</option>`).join("");
      fields = `<input type="hidden" name="matched_person_id" value="${esc(best.person_id)}">`
        + `<p><strong>${esc(best.full_name)}</strong>${best.shelter_name ? ` — ${esc(best.shelter_name)}` : ""}</p>`
        + field("condition", w("condition"), `<select id="${id}-condition" name="condition">${options}</select>`);
    } else if (act === "reunite") {
      fields = field("reunited_at", w("when"), `<input id="${id}-reunited_at" name="reunited_at" type="datetime-local" required value="${localInput(new Date())}">`)
        + field("reunited_place", w("where"), `<input id="${id}-reunited_place" name="reunited_place" maxlength="500" required>`)
        + field("reunited_by", w("by"), `<input id="${id}-reunited_by" name="reunited_by" maxlength="200" required>`);
    } else {
      fields = field("closed_reason", w("reason"), `<input id="${id}-closed_reason" name="closed_reason" maxlength="500" required>`);
    }
    return `<form class="tracing-form" id="${id}" data-form="${act}" data-for="${esc(r.id)}" novalidate>${fields}`
      + `<p class="form-error" role="alert" hidden></p><div class="tracing-actions">`
      + `<button type="submit" class="btn btn-small btn-primary">${esc(w(`submit.${act}`))}</button> `
      + `<button type="button" class="btn btn-small btn-ghost" data-act="cancel">${esc(w("cancel"))}</button></div></form>`;
  }

  html() {
    const c = this.state.counts;
    const parts = [];
    if (c) {
      const cells = ["dicari", "kemungkinan_cocok", "ditemukan", "dipertemukan"]
        .map((s) => `<li data-status="${s}"><strong>${fmt(c[s])}</strong> ${esc(w(`status.${s}`))}</li>`);
      cells.push(`<li data-status="children"><strong>${fmt(c.children_separated)}</strong> ${esc(w("children"))}</li>`);
      parts.push(`<ul class="tracing-counts">${cells.join("")}</ul>`);
    }
    if (!this.seesNames) {
      parts.push(`<p class="muted">${esc(w("hidden"))}</p>`);
      return parts.join("");
    }
    if (this.state.error) parts.push(`<p class="form-error">${esc(this.state.error)}</p>`);
    if (!this.state.items.length) parts.push(`<p class="muted" id="tracing-empty">${esc(w("none"))}</p>`);
    else parts.push(`<ul class="tracing-list" id="tracing-list">${this.state.items.map((r) => this.row(r)).join("")}</ul>`);
    if (this.state.settled.length) {
      parts.push(`<h3>${esc(w("settled"))}</h3><ul class="tracing-list" id="tracing-settled">`
        + this.state.settled.slice(0, 50).map((r) => this.settledRow(r)).join("") + "</ul>");
    }
    return parts.join("");
  }

  /** The reunification record: who was found, and when, where and by whom they were reunited. */
  settledRow(r) {
    const who = r.kind === "keluarga" ? w("family") : (r.full_name || "—");
    const what = r.status === "dipertemukan"
      ? w("reunion", { when: fmtTime(r.reunited_at, true), place: r.reunited_place || "—", by: r.reunited_by || "—" })
      : w("foundNote", { when: fmtTime(r.found_at, true) });
    return `<li class="tracing-item" data-request="${esc(r.id)}" data-status="${esc(r.status)}">`
      + `<span class="badge badge-status">${esc(w(`status.${r.status}`))}</span> <strong>${esc(who)}</strong>`
      + ` <span class="muted">${esc(what)}</span>${this.actions(r)}</li>`;
  }

  row(r) {
    const flags = (r.child_flags || []).map((f) => `<span class="badge badge-bad">${esc(w(`flag.${f}`))}</span>`).join(" ");
    const who = r.kind === "keluarga" ? `${esc(w("family"))}` : esc(r.full_name || r.nik || "—");
    const status = `<span class="badge ${r.status === "kemungkinan_cocok" ? "badge-warn" : "badge-status"}">${esc(w(`status.${r.status}`))}</span>`;
    const seen = r.last_seen_place ? ` · ${esc(w("lastSeen"))}: ${esc(r.last_seen_place)}` : "";
    const reporter = r.reporter && r.reporter.name ? ` · ${esc(w("reporter"))}: ${esc(r.reporter.name)}${r.reporter.phone ? ` (${esc(r.reporter.phone)})` : ""}` : "";
    let match = "";
    if (r.status === "kemungkinan_cocok") {
      const best = (this.state.matches[r.id] || [])[0];
      match = best
        ? `<div class="tracing-match">${esc(w("match", { place: best.shelter_name || w("placeUnknown"),
          event: best.event_name ? ` — ${best.event_name}` : "", score: Math.round(best.score * 100) }))}: <strong>${esc(best.full_name)}</strong></div>`
        : `<div class="muted">${esc(w("nomatch"))}</div>`;
    }
    const child = r.kind === "keluarga" ? " data-child=\"1\"" : "";
    return `<li class="tracing-item" data-request="${esc(r.id)}" data-status="${esc(r.status)}"${child}>`
      + `<div>${status} <strong>${who}</strong> ${flags}</div>`
      + `<div class="muted">${esc(r.description || "")}${seen}${reporter}</div>${match}${this.actions(r)}</li>`;
  }
}
