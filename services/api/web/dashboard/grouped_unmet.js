// "Belum terpenuhi": the unmet persons grouped by where they stay (shelter; mandiri persons by kelurahan),
// each with what tells namesakes apart (age, household head, place) and why (which day's meals where, which
// item, which service); filters, sorting and a total per group. Everything is computed by the worker and
// served by GET /events/{id}/unmet: the page only asks and draws. Pengamat sees the totals per place and
// service (GET /events/{id}/unmet/groups), never names.

import { ApiError, get } from "./api.js";
import { fmt, label, t } from "./i18n.js";
import { VULNERABILITIES, esc, unmetHtml } from "./render.js";
import { shortDate, w } from "./words.js";

export const UNMET_PAGE = 50;
const SERVICES = ["permakanan", "sandang", "tempat_penampungan", "penanganan_khusus", "psikososial"];
const SORTS = ["name", "age", "meal_days", "services", "id"];
const $ = (id) => document.getElementById(id);

function option(value, text, selected) {
  return `<option value="${esc(value)}"${selected ? " selected" : ""}>${esc(text)}</option>`;
}

function ageText(u) {
  if (typeof u.age_months === "number") return w("u.months", { n: u.age_months });
  if (u.age !== null && u.age !== undefined) return w("u.years", { n: u.age });
  return null;
}

function groupTitle(g) {
  if (g.kind === "mandiri") return w("u.group.mandiri", { k: g.name });
  if (g.kind === "none") return w("u.group.none");
  return g.name;
}

/** The reasons of one person, one line each (meals, items, services). */
function reasonsHtml(u, itemName) {
  const lines = [];
  if (u.meal_days?.length) {
    const days = u.meal_days.map((d) => (d.shelter_id
      ? w("u.mealDay", { d: shortDate(d.date), s: d.shelter_name || "—" })
      : w("u.mealDayHome", { d: shortDate(d.date) })));
    const more = (u.meal_days_total || 0) - u.meal_days.length;
    if (more > 0) days.push(w("u.moreDays", { n: fmt(more) }));
    lines.push(`<li class="why why-meals" data-meal-days="${u.meal_days_total || 0}">${esc(w("u.meals", { days: days.join(", ") }))}</li>`);
  }
  if (u.items_missing?.length) {
    lines.push(`<li class="why why-items">${esc(w("u.items", { items: u.items_missing.map(itemName).join(", ") }))}</li>`);
  }
  const services = u.missing.filter((m) => m === "penanganan_khusus" || m === "psikososial" || m === "tempat_penampungan");
  if (services.length) {
    lines.push(`<li class="why why-services">${esc(w("u.services", { s: services.map((m) => t(`svc.${m}`)).join(", ") }))}</li>`);
  }
  return lines.length ? `<ul class="unmet-why">${lines.join("")}</ul>` : "";
}

function personHtml(u, itemName) {
  const bits = [u.sex ? t(`sex.${u.sex}`) : null, ageText(u),
    u.household_head ? w("u.head", { h: u.household_head }) : w("u.noHousehold")].filter(Boolean);
  const vul = (u.vulnerabilities || []).map((v) => `<span class="chip chip--vul" data-vul="${esc(v)}">${esc(t(`vul.${v}`))}</span>`).join(" ");
  const left = u.place && u.place.open === false ? ` <span class="badge badge-muted">${esc(w("u.went"))}</span>` : "";
  const chips = u.missing.map((m) => `<span class="chip chip--${esc(m)}">${esc(t(`svc.${m}`))}</span>`).join(" ");
  return `<li class="unmet-item" data-person="${esc(u.person_id)}">
    <div class="unmet-who"><span class="unmet-name">${u.name ? esc(u.name) : `<i>${esc(t("unmet.unnamed"))}</i>`}</span>
      <span class="unmet-meta">${esc(bits.join(" · "))}</span>${left} ${vul}</div>
    <span class="unmet-lacks" aria-label="${esc(t("unmet.lacks"))}">${chips}</span>
    ${reasonsHtml(u, itemName)}
  </li>`;
}

function groupHead(g) {
  const per = SERVICES.filter((s) => g.by_service?.[s]).map((s) => `${t(`svc.${s}`)} ${fmt(g.by_service[s])}`).join(" · ");
  return `<h3 class="unmet-group-title"><span>${esc(groupTitle(g))}</span>
    <span class="badge badge-count" data-group-total="${g.total}">${esc(w("u.group.persons", { n: fmt(g.total) }))}</span>
    <span class="unmet-group-svc muted">${esc(per)}</span></h3>`;
}

export class UnmetList {
  /** `context()` → {eventId, snapshot, seesNames, items (code → item), kelurahanNames}. */
  constructor({ context, errorText, put }) {
    this.context = context;
    this.errorText = errorText;
    this.put = put;
    this.filters = { shelter_id: "", kelurahan_code: "", service: "", vulnerability: "", sort: "name" };
    this.page = { loaded: false, items: [], total: 0, offset: 0, groups: [] };
  }

  bind() {
    const root = $("unmet");
    root.addEventListener("click", (ev) => {
      const b = ev.target.closest("[data-page]");
      if (!b || b.disabled) return;
      const delta = b.dataset.page === "next" ? UNMET_PAGE : -UNMET_PAGE;
      this.load(Math.max(0, this.page.offset + delta));
    });
    root.addEventListener("change", (ev) => {
      const sel = ev.target.closest("select[data-filter]");
      if (!sel) return;
      this.filters[sel.dataset.filter] = sel.value;
      this.load(0);
    });
  }

  reset() {
    this.filters = { shelter_id: "", kelurahan_code: "", service: "", vulnerability: "", sort: "name" };
    this.page = { loaded: false, items: [], total: 0, offset: 0, groups: [] };
  }

  async load(offset = this.page.offset) {
    const { eventId, seesNames } = this.context();
    if (!seesNames) {
      await this.loadCounts(eventId);
      return;
    }
    const params = new URLSearchParams({ limit: String(UNMET_PAGE), group: "place" });
    for (const [k, v] of Object.entries(this.filters)) if (v) params.set(k, v);
    try {
      params.set("offset", String(offset));
      let page = await get(`/events/${eventId}/unmet?${params}`);
      if (page.items.length === 0 && page.total > 0 && offset > 0) {
        offset = Math.floor((page.total - 1) / UNMET_PAGE) * UNMET_PAGE;
        params.set("offset", String(offset));
        page = await get(`/events/${eventId}/unmet?${params}`);
      }
      if (eventId !== this.context().eventId) return;
      this.page = { loaded: true, items: page.items, total: page.total, offset, groups: page.groups || [] };
    } catch (err) {
      if (eventId !== this.context().eventId) return;
      this.page = err instanceof ApiError && err.status === 403
        ? { hidden: true, loaded: true, items: [], total: 0, offset: 0 }
        : { ...this.page, loaded: true, error: this.errorText(err) };
    }
    this.render();
  }

  /** Pengamat: the totals per place and per service (GET /events/{id}/unmet/groups), never a name. */
  async loadCounts(eventId) {
    const params = new URLSearchParams();
    for (const k of ["kelurahan_code", "service", "vulnerability"]) if (this.filters[k]) params.set(k, this.filters[k]);
    try {
      const body = await get(`/events/${eventId}/unmet/groups?${params}`);
      if (eventId !== this.context().eventId) return;
      this.page = { counts: true, loaded: true, items: [], total: body.total, offset: 0, groups: body.groups || [] };
    } catch (err) {
      if (eventId !== this.context().eventId) return;
      this.page = { hidden: true, loaded: true, items: [], total: 0, offset: 0 };
    }
    this.render();
  }

  countsHtml() {
    const page = this.page;
    const filtered = ["kelurahan_code", "service", "vulnerability"].some((k) => this.filters[k]);
    const count = filtered
      ? `<p class="unmet-count" id="unmet-filtered" data-value="${page.total}">${esc(w("u.filtered", { n: fmt(page.total) }))}</p>`
      : `<p class="unmet-count" id="unmet-total" data-value="${page.total}">${esc(t("unmet.count", { n: fmt(page.total) }))}</p>`;
    const groups = page.groups.map((g) => `<section class="unmet-group" data-group="${esc(g.key)}">${groupHead(g)}</section>`).join("");
    return `${count}${this.filtersHtml(false)}
      <div class="unmet-groups" id="unmet-group-counts">${groups || `<p class="muted">—</p>`}</div>
      <p class="note note-info" id="unmet-hidden">${esc(t("unmet.hidden"))}</p>`;
  }

  filtersHtml(names = true) {
    const { snapshot, kelurahanNames } = this.context();
    const f = this.filters;
    const shelters = (snapshot?.shelters || []).slice().sort((a, b) => a.name.localeCompare(b.name));
    const kel = (snapshot?.people?.staying_by_kelurahan || []).filter((r) => r.kelurahan_code);
    const select = (key, title, options) => `<label class="unmet-filter"><span>${esc(title)}</span>
      <select data-filter="${key}" id="unmet-filter-${key}">${options}</select></label>`;
    return `<div class="unmet-filters" role="group" aria-label="${esc(w("u.filters"))}">
      ${names ? select("shelter_id", w("u.shelter"), option("", w("u.all"), !f.shelter_id) + shelters.map((s) => option(s.id, s.name, f.shelter_id === s.id)).join("")) : ""}
      ${select("kelurahan_code", w("u.kelurahan"), option("", w("u.all"), !f.kelurahan_code) + kel.map((r) => option(r.kelurahan_code, kelurahanNames?.[r.kelurahan_code] || r.kelurahan_code, f.kelurahan_code === r.kelurahan_code)).join(""))}
      ${select("service", w("u.service"), option("", w("u.all"), !f.service) + SERVICES.map((s) => option(s, t(`svc.${s}`), f.service === s)).join(""))}
      ${select("vulnerability", w("u.vulnerability"), option("", w("u.all"), !f.vulnerability) + VULNERABILITIES.map((v) => option(v, t(`vul.${v}`), f.vulnerability === v)).join(""))}
      ${names ? select("sort", w("u.sort"), SORTS.map((s) => option(s, w(`u.sort.${s}`), f.sort === s)).join("")) : ""}
    </div>`;
  }

  html() {
    const page = this.page;
    const { snapshot, items } = this.context();
    if (page.counts) return this.countsHtml();
    if (page.hidden || page.error || !page.loaded) return unmetHtml(page, UNMET_PAGE, snapshot);
    const filtered = Object.entries(this.filters).some(([k, v]) => k !== "sort" && v);
    if (page.total === 0 && !filtered) return unmetHtml(page, UNMET_PAGE, snapshot);
    const itemName = (code) => label("item", code, items?.[code]?.name || code);
    const groups = Object.fromEntries((page.groups || []).map((g) => [g.key, g]));
    let body = "";
    let current = null;
    for (const u of page.items) {
      if (u.group !== current) {
        if (current !== null) body += "</ul></section>";
        current = u.group;
        const g = groups[u.group] || { key: u.group, kind: "none", name: "", total: 0, by_service: {} };
        body += `<section class="unmet-group" data-group="${esc(u.group)}">${groupHead(g)}<ul class="unmet-list">`;
      }
      body += personHtml(u, itemName);
    }
    if (current !== null) body += "</ul></section>";
    const totals = (page.groups || []).map((g) => `<li data-group="${esc(g.key)}"><span>${esc(groupTitle(g))}</span> <b>${fmt(g.total)}</b></li>`).join("");
    const pages = Math.max(1, Math.ceil(page.total / UNMET_PAGE));
    const cur = Math.floor(page.offset / UNMET_PAGE) + 1;
    const count = filtered
      ? `<p class="unmet-count" id="unmet-filtered" data-value="${page.total}">${esc(w("u.filtered", { n: fmt(page.total) }))}</p>`
      : `<p class="unmet-count" id="unmet-total" data-value="${page.total}">${esc(t("unmet.count", { n: fmt(page.total) }))}</p>`;
    return `${count}${this.filtersHtml()}
      <details class="unmet-totals" open><summary>${esc(w("u.groups"))}</summary><ul id="unmet-group-totals">${totals}</ul></details>
      <div class="unmet-groups">${body || `<p class="muted">—</p>`}</div>
      <nav class="pager" aria-label="${esc(t("unmet.title"))}">
        <button type="button" class="btn btn-ghost" data-page="prev" ${cur <= 1 ? "disabled" : ""}>${esc(t("unmet.prev"))}</button>
        <span class="pager-pos">${esc(t("unmet.page", { p: fmt(cur), n: fmt(pages) }))}</span>
        <button type="button" class="btn btn-ghost" data-page="next" ${cur >= pages ? "disabled" : ""}>${esc(t("unmet.next"))}</button>
      </nav>`;
  }

  render() {
    this.put("unmet", this.html());
  }
}
