// Snapshot → HTML for each part of the dashboard. Pure functions returning strings (one innerHTML per part).
// No style attributes: the page's Content-Security-Policy refuses inline styles. A bar's width is
// written as data-width="…" (percent) and set by applyWidths() through the CSSOM, which CSP allows.

import { fmt, fmtPercent, fmtTime, getLang, label, t, unitFor } from "./i18n.js";

// The vulnerable groups of shared/domain/vocabulary.py, in the order the dashboard lists them (the two
// child-protection flags of tracing included: they require penanganan khusus like the others).
export const VULNERABILITIES = ["balita", "lansia", "ibu_hamil", "ibu_menyusui", "disabilitas", "terpisah", "tanpa_pendamping"];

/** Give every [data-width] element under `root` its width in percent (CSP-safe: element.style). */
export function applyWidths(root) {
  for (const el of root.querySelectorAll("[data-width]")) el.style.width = `${el.dataset.width}%`;
}

export function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

const SERVICES = ["permakanan", "sandang", "tempat_penampungan", "penanganan_khusus", "psikososial"];

/** ok / warn / bad for a percentage against a target. */
export function level(percent, target = 100) {
  if (percent === null || percent === undefined) return "none";
  if (percent >= target) return "ok";
  if (percent >= target * 0.75) return "warn";
  return "bad";
}

function bar(percent, cls, extra = "") {
  const w = Math.max(0, Math.min(100, percent ?? 0));
  return `<span class="bar-track ${extra}" aria-hidden="true"><span class="bar-fill ${cls}" data-width="${w.toFixed(1)}"></span></span>`;
}

export function indicatorHtml(snap) {
  const ind = snap.indicator || {};
  const target = ind.target_percent ?? 100;
  const pct = ind.percent;
  const lv = level(pct, target);
  const verdict = pct === null || pct === undefined ? t("ind.none") : (lv === "ok" ? t("ind.reached") : t("ind.below"));
  const services = SERVICES.filter((s) => ind.services?.[s]).map((s) => {
    const v = ind.services[s];
    const p = v.eligible ? (v.fulfilled / v.eligible) * 100 : null;
    const sl = level(p, 100);
    return `<li class="svc svc--${sl}" data-service="${s}">
      <span class="svc-name">${esc(t(`svc.${s}`))}</span>
      <span class="svc-fig"><b>${fmt(v.fulfilled)}</b> / ${fmt(v.eligible)}</span>
      ${bar(p, `fill--${sl}`, "bar-sm")}
      <span class="svc-pct">${p === null ? "—" : fmtPercent(p, 0)}</span>
    </li>`;
  }).join("");
  const fill = Math.max(0, Math.min(100, ((pct ?? 0) / Math.max(target, 1)) * 100));
  return `<div class="ind ind--${lv}" id="indicator-box" data-level="${lv}">
    <div class="ind-main">
      <div class="ind-big" id="indicator-percent" data-value="${pct ?? ""}">
        <span class="ind-num">${pct === null || pct === undefined ? "—" : esc(fmt(pct, 2))}</span><span class="ind-unit">%</span>
      </div>
      <div class="ind-side">
        <span class="ind-verdict">${esc(verdict)}</span>
        <span class="ind-target">${esc(t("ind.target", { p: `${fmt(target)}%` }))}</span>
      </div>
    </div>
    <div class="ind-meter" role="meter" aria-valuemin="0" aria-valuemax="${target}" aria-valuenow="${pct ?? 0}" aria-label="${esc(t("ind.title"))}">
      <span class="ind-meter-fill" data-width="${fill.toFixed(1)}"></span>
    </div>
    <p class="ind-of" id="indicator-of" data-fulfilled="${ind.fulfilled ?? 0}" data-eligible="${ind.eligible ?? 0}">${esc(t("ind.of", { f: fmt(ind.fulfilled ?? 0), e: fmt(ind.eligible ?? 0) }))}</p>
    <h3 class="sub">${esc(t("ind.services"))}</h3>
    <ul class="svc-list">${services}</ul>
  </div>`;
}

/** Displaced persons per kelurahan where they stay: shelter residents and mandiri persons side by side. */
function stayingHtml(rows, kelurahanNames) {
  if (!rows?.length) return "";
  const body = rows.map((r) => `<tr data-kelurahan="${esc(r.kelurahan_code)}">
      <th scope="row">${esc(r.kelurahan_code ? (kelurahanNames?.[r.kelurahan_code] || r.kelurahan_code) : t("people.unknownPlace"))}</th>
      <td class="num" data-count="in_shelters_now">${fmt(r.in_shelters_now)}</td>
      <td class="num" data-count="mandiri_now">${fmt(r.mandiri_now)}</td></tr>`).join("");
  return `<h3 class="sub">${esc(t("people.byKelurahan"))}</h3>
    <table class="staying" id="staying-by-kelurahan"><thead><tr><th scope="col">Kelurahan</th>
      <th scope="col" class="num">${esc(t("people.in_shelters_now"))}</th>
      <th scope="col" class="num">${esc(t("people.mandiri_now"))}</th></tr></thead><tbody>${body}</tbody></table>`;
}

export function peopleHtml(snap, kelurahanNames = null) {
  const p = snap.people || {};
  const tile = (key, cls = "") => `<div class="tile ${cls}" data-count="${key}" data-value="${p[key] ?? 0}">
      <span class="tile-num">${fmt(p[key] ?? 0)}</span><span class="tile-label">${esc(t(`people.${key}`))}</span></div>`;
  const sexL = p.by_sex?.L ?? 0;
  const sexP = p.by_sex?.P ?? 0;
  const sexTotal = sexL + sexP;
  const lShare = sexTotal ? (sexL / sexTotal) * 100 : 50;
  const vul = VULNERABILITIES.map((v) =>
    `<li data-count="vulnerable.${v}" data-value="${p.vulnerable?.[v] ?? 0}"><b>${fmt(p.vulnerable?.[v] ?? 0)}</b> ${esc(t(`vul.${v}`))}</li>`).join("");
  return `<div class="tiles">
      ${tile("displaced_now", "tile-main")}
      ${tile("in_shelters_now")}
      ${tile("mandiri_now")}
      ${tile("returned")}
      ${tile("affected")}
      ${tile("injured", (p.injured ?? 0) > 0 ? "tile-warn" : "")}
      ${tile("missing", (p.missing ?? 0) > 0 ? "tile-bad" : "")}
      ${tile("dead", (p.dead ?? 0) > 0 ? "tile-bad" : "")}
    </div>
    <p class="registered" data-count="registered" data-value="${p.registered ?? 0}">${esc(t("people.registered"))}: <b>${fmt(p.registered ?? 0)}</b></p>
    <h3 class="sub">${esc(t("people.bySex"))}</h3>
    <div class="sex">
      <span class="sex-l" data-count="by_sex.L" data-value="${sexL}">${esc(t("sex.L"))} <b>${fmt(sexL)}</b></span>
      <span class="sex-bar" aria-hidden="true"><span class="sex-bar-l" data-width="${lShare.toFixed(1)}"></span></span>
      <span class="sex-p" data-count="by_sex.P" data-value="${sexP}"><b>${fmt(sexP)}</b> ${esc(t("sex.P"))}</span>
    </div>
    <h3 class="sub">${esc(t("people.vulnerable"))}</h3>
    <ul class="vul">${vul}</ul>
    ${stayingHtml(p.staying_by_kelurahan, kelurahanNames)}`;
}

export function needsHtml(snap, items) {
  const needs = snap.needs || [];
  if (!needs.length) return `<p class="muted">${esc(t("needs.none"))}</p>`;
  const rows = needs.map((n) => {
    const lv = level(n.coverage_percent, 100);
    const item = items[n.item_code];
    const name = label("item", n.item_code, item?.name || n.item_code);
    const unit = label("unit", n.unit, n.unit);
    const digits = Number.isInteger(n.required) && Number.isInteger(n.delivered) ? 0 : 1;
    return `<tr class="row--${lv}" data-item="${esc(n.item_code)}">
      <th scope="row"><span class="dot dot--${lv}" aria-hidden="true"></span>${esc(name)}<span class="unit">${esc(unit)}</span></th>
      <td class="num" data-label="${esc(t("needs.required"))}">${fmt(n.required, digits)}</td>
      <td class="num" data-label="${esc(t("needs.delivered"))}">${fmt(n.delivered, digits)}</td>
      <td class="num gap ${n.gap > 0 ? "gap--short" : ""}" data-label="${esc(t("needs.gap"))}">${n.gap > 0 ? fmt(n.gap, digits) : "0"}</td>
      <td class="cov" data-label="${esc(t("needs.coverage"))}"><span class="cov-num cov--${lv}">${fmtPercent(n.coverage_percent, 0)}</span>${bar(n.coverage_percent, `fill--${lv}`, "bar-sm")}</td>
    </tr>`;
  }).join("");
  return `<table class="tbl tbl-needs tbl-cards">
    <thead><tr><th scope="col">${esc(t("needs.item"))}</th><th scope="col" class="num">${esc(t("needs.required"))}</th>
    <th scope="col" class="num">${esc(t("needs.delivered"))}</th><th scope="col" class="num">${esc(t("needs.gap"))}</th>
    <th scope="col">${esc(t("needs.coverage"))}</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function flag(value) {
  if (value === true) return `<span class="flag flag--ok">✓ ${esc(t("flag.ok"))}</span>`;
  if (value === false) return `<span class="flag flag--bad">✗ ${esc(t("flag.short"))}</span>`;
  return `<span class="flag flag--unknown">? ${esc(t("flag.unknown"))}</span>`;
}

export function sheltersHtml(snap, shelterInfo) {
  const list = (snap.shelters || []).slice();
  if (!list.length) return `<p class="muted">${esc(t("shelters.none"))}</p>`;
  const closed = (s) => Boolean(shelterInfo[s.id]?.closed_at);
  list.sort((a, b) => (closed(a) - closed(b)) || a.name.localeCompare(b.name));
  const rows = list.map((s) => {
    const cap = s.capacity_persons || 0;
    const occ = cap ? (s.occupants / cap) * 100 : 0;
    const occLv = occ > 100 ? "bad" : occ >= 90 ? "warn" : "ok";
    const due = s.meals_due_today ?? 0;
    const got = s.meals_delivered_today ?? 0;
    const mealLv = due <= 0 ? "none" : got >= due ? "ok" : got >= due * 0.75 ? "warn" : "bad";
    const isClosed = closed(s);
    const badges = (isClosed ? ` <span class="badge badge-muted">${esc(t("shelters.closed"))}</span>` : "") +
      (occ > 100 ? ` <span class="badge badge-bad">${esc(t("shelters.full"))}</span>` : "");
    const kind = shelterInfo[s.id]?.kind;
    return `<tr data-shelter="${esc(s.id)}" class="${isClosed ? "row--closed" : ""}">
      <th scope="row">${esc(s.name)}${badges}${kind ? `<span class="unit">${esc(label("shelterKind", kind))}</span>` : ""}</th>
      <td data-label="${esc(t("shelters.occupancy"))}"><div class="occ"><span class="occ-num occ--${occLv}">${fmt(s.occupants)} / ${fmt(cap)}</span>${bar(occ, `fill--${occLv}`, "bar-md")}</div></td>
      <td class="num" data-label="${esc(`${t("shelters.meals")} (${t("shelters.mealsSub")})`)}"><span class="meals meals--${mealLv}">${fmt(got, 1)} / ${fmt(due, 1)}</span></td>
      <td data-label="${esc(t("shelters.area"))}">${flag(s.covered_area_ok)}</td>
      <td data-label="${esc(t("shelters.toilets"))}">${flag(s.toilets_ok)}</td>
    </tr>`;
  }).join("");
  return `<table class="tbl tbl-shelters tbl-cards">
    <thead><tr><th scope="col">${esc(t("shelters.name"))}</th><th scope="col">${esc(t("shelters.occupancy"))}</th>
    <th scope="col" class="num">${esc(t("shelters.meals"))}<span class="unit">${esc(t("shelters.mealsSub"))}</span></th><th scope="col">${esc(t("shelters.area"))}</th>
    <th scope="col">${esc(t("shelters.toilets"))}</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** Per service: how many eligible persons still lack it (from the snapshot; no names). */
function unmetSummary(snap) {
  const ind = snap?.indicator;
  if (!ind?.services) return "";
  const lacking = SERVICES.filter((s) => ind.services[s]).map((s) => [s, ind.services[s].eligible - ind.services[s].fulfilled])
    .filter(([, n]) => n > 0);
  if (!lacking.length) return "";
  return `<p class="unmet-summary">${lacking.map(([s, n]) => `<span class="chip chip--${s}">${esc(t(`svc.${s}`))} <b>${fmt(n)}</b></span>`).join(" ")}</p>`;
}

export function unmetHtml(page, pageSize, snap) {
  if (page.hidden) {
    const ind = snap?.indicator;
    const n = ind ? ind.eligible - ind.fulfilled : null;
    return `${n === null ? "" : `<p class="unmet-count" id="unmet-total" data-value="${n}">${esc(t("unmet.count", { n: fmt(n) }))}</p>`}
      ${unmetSummary(snap)}<p class="note note-info" id="unmet-hidden">${esc(t("unmet.hidden"))}</p>`;
  }
  if (page.error) return `<p class="note note-bad">${esc(page.error)}</p>`;
  if (!page.loaded) return `<p class="muted">…</p>`;
  if (page.total === 0) return `<p class="note note-ok" id="unmet-none">${esc(t("unmet.none"))}</p>`;
  const pages = Math.max(1, Math.ceil(page.total / pageSize));
  const current = Math.floor(page.offset / pageSize) + 1;
  const rows = page.items.map((u) => `<li class="unmet-item" data-person="${esc(u.person_id)}">
      <span class="unmet-name">${u.name ? esc(u.name) : `<i>${esc(t("unmet.unnamed"))}</i>`}</span>
      <span class="unmet-lacks" aria-label="${esc(t("unmet.lacks"))}">${u.missing.map((m) => `<span class="chip chip--${esc(m)}">${esc(t(`svc.${m}`))}</span>`).join(" ")}</span>
    </li>`).join("");
  return `<p class="unmet-count" id="unmet-total" data-value="${page.total}">${esc(t("unmet.count", { n: fmt(page.total) }))}
</p>${unmetSummary(snap)}
    <p class="muted unmet-legend">${esc(t("unmet.name"))} · ${esc(t("unmet.lacks"))}</p>
    <ul class="unmet-list">${rows}</ul>
    <nav class="pager" aria-label="${esc(t("unmet.title"))}">
      <button type="button" class="btn btn-ghost" data-page="prev" ${current <= 1 ? "disabled" : ""}>${esc(t("unmet.prev"))}</button>
      <span class="pager-pos">${esc(t("unmet.page", { p: fmt(current), n: fmt(pages) }))}</span>
      <button type="button" class="btn btn-ghost" data-page="next" ${current >= pages ? "disabled" : ""}>${esc(t("unmet.next"))}</button>
    </nav>`;
}

export function feedHtml(feed, ctx) {
  if (feed.error) return `<p class="note note-bad">${esc(feed.error)}</p>`;
  if (!feed.loaded) return `<p class="muted">…</p>`;
  const note = feed.mode === "audit" ? t("feed.noteAudit") : (ctx.names ? t("feed.noteField") : t("feed.noteFieldNoNames"));
  if (!feed.items.length) return `<p class="muted feed-note">${esc(note)}</p><p class="muted">${esc(t("feed.none"))}</p>`;
  const shelterName = (id) => ctx.shelters[id]?.name || "—";
  const today = new Date().toDateString();
  const when = (iso) => fmtTime(iso, new Date(iso).toDateString() !== today);
  const li = feed.items.map((r) => {
    if (r.kind === "audit") {
      // the server names the actor, the action (Indonesian) and the object (GET /events/{id}/audit)
      const [obj, act] = String(r.action).split(".");
      const text = r.action_label && getLang() === "id" ? r.action_label : `${label("object", obj)} ${label("action", act, act)}`;
      const what = r.object_label || r.object_kind || label("object", obj);
      return `<li class="feed-item feed-audit" data-action="${esc(r.action)}"><time datetime="${esc(r.at)}">${esc(when(r.at))}</time>
        <span class="feed-kind"><b class="audit-actor">${esc(r.actor_name || r.actor_username || "—")}</b> ${esc(text)}</span>
        <span class="feed-text audit-object">${esc(what)}</span></li>`;
    }
    if (r.kind === "distribution") {
      const d = r.row;
      const item = ctx.items[d.item_code];
      const name = label("item", d.item_code, item?.name || d.item_code);
      const unit = unitFor(item?.unit, d.quantity);
      const to = d.shelter_id ? t("feed.toShelter", { s: shelterName(d.shelter_id) })
        : d.person_id ? t("feed.toPerson") : d.household_id ? t("feed.toHousehold") : t("feed.general");
      return `<li class="feed-item feed-dist"><time datetime="${esc(d.delivered_at)}">${esc(when(d.delivered_at))}</time>
        <span class="feed-kind">${esc(t("feed.distribution"))}</span>
        <span class="feed-text"><b>${esc(fmt(d.quantity, 2))} ${esc(unit)}</b> ${esc(name)} ${esc(to)}</span></li>`;
    }
    const p = r.row;
    const age = typeof p.age_months === "number" ? t("age.months", { n: p.age_months }) // under 2: months
      : p.age !== null && p.age !== undefined ? t("age.years", { n: p.age }) : null;
    const bits = [p.sex, age].filter(Boolean).join(", ");
    const cond = p.condition && p.condition !== "selamat"
      ? ` <span class="badge ${p.condition === "luka" ? "badge-warn" : "badge-bad"}">${esc(t(`cond.${p.condition}`))}</span>` : "";
    const where = p.shelter_id ? ` — ${esc(t("feed.displaced", { s: shelterName(p.shelter_id) }))}` : "";
    return `<li class="feed-item feed-person"><time datetime="${esc(p.registered_at)}">${esc(when(p.registered_at))}</time>
      <span class="feed-kind">${esc(t("feed.person"))}</span>
      <span class="feed-text"><b>${esc(p.full_name)}</b> (${esc(bits)})${cond}${where}</span></li>`;
  }).join("");
  return `<p class="muted feed-note">${esc(note)}</p><ul class="feed">${li}</ul>`;
}
