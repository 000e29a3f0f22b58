// "Kekurangan per tempat saat ini": per shelter, today's meals due vs delivered per meal time and the
// once-only items its residents lack, from the snapshot the worker computed (shelters[].meals_today,
// lacking_items, unmet_persons; no names: every role sees it). Each shelter has a printable load list for
// the truck driver (#print-sheet, shown alone by @media print in actions.css).

import { fmt, label, unitFor } from "./i18n.js";
import { esc } from "./render.js";
import { computedAt, w } from "./words.js";

const $ = (id) => document.getElementById(id);

function mealName(i, time) {
  return i < 3 ? `${w(`meal.${i}`)} (${time})` : time;
}

function short(m) {
  return Math.max(0, (m.due || 0) - (m.delivered || 0));
}

function itemsText(items, catalogue) {
  return items.map((x) => `${fmt(x.quantity, 1)} ${unitFor(x.unit, x.quantity)} ${label("item", x.item_code, catalogue?.[x.item_code]?.name || x.item_code)}`);
}

function mealsHtml(row) {
  if (!row.meals_today?.length) return "";
  const cells = row.meals_today.map((m, i) => {
    const lv = !m.passed ? "none" : m.delivered >= m.due ? "ok" : "bad";
    const fig = m.passed ? `${fmt(m.delivered, 1)} / ${fmt(m.due, 1)}` : `${fmt(m.delivered, 1)} · ${w("n.notYet")}`;
    return `<li class="meal meal--${lv}" data-meal="${esc(m.time)}" data-due="${m.due}" data-delivered="${m.delivered}">
      <span class="meal-name">${esc(mealName(i, m.time))}</span> <b>${esc(fig)}</b>${m.passed && short(m) > 0 ? ` <span class="meal-short">−${esc(fmt(short(m), 1))}</span>` : ""}</li>`;
  }).join("");
  return `<ul class="meals-today" aria-label="${esc(w("n.meals"))}">${cells}</ul>`;
}

export function shelterNeedsHtml(snap, catalogue) {
  const rows = (snap?.shelters || []).filter((s) => s.occupants > 0 || s.lacking_items?.length || s.meals_due_today > 0);
  if (!rows.length) return `<p class="muted">${esc(w("n.none"))}</p>`;
  rows.sort((a, b) => a.name.localeCompare(b.name));
  const cards = rows.map((s) => {
    const items = itemsText(s.lacking_items || [], catalogue);
    return `<article class="need-now" data-shelter="${esc(s.id)}">
      <header><h3>${esc(s.name)}</h3>
        <span class="muted">${esc(w("n.residents", { n: fmt(s.occupants) }))} · <span data-unmet="${s.unmet_persons ?? 0}">${esc(w("n.unmet", { n: fmt(s.unmet_persons ?? 0) }))}</span></span>
        <button type="button" class="btn btn-ghost btn-print" data-print="${esc(s.id)}">${esc(w("n.print"))}</button></header>
      <p class="sub">${esc(w("n.meals"))}</p>${mealsHtml(s)}
      <p class="sub">${esc(w("n.items"))}</p>
      <p class="lacking" data-lacking="${esc((s.lacking_items || []).map((x) => `${x.item_code}:${x.quantity}`).join(","))}">${esc(items.length ? items.join(", ") : w("n.itemsNone"))}</p>
    </article>`;
  }).join("");
  return `<p class="muted note-small">${esc(w("n.mealRule"))}</p><div class="needs-now-grid">${cards}</div>`;
}

/** The load list of one shelter, as printed for the truck driver. */
export function printSheetHtml(snap, shelterId, eventName, catalogue) {
  const s = (snap?.shelters || []).find((x) => x.id === shelterId);
  if (!s) return "";
  const meals = (s.meals_today || []).map((m, i) => `<tr><th scope="row">${esc(mealName(i, m.time))}</th>
      <td class="num">${m.passed ? esc(fmt(m.due, 1)) : esc(w("n.notYet"))}</td><td class="num">${esc(fmt(m.delivered, 1))}</td>
      <td class="num"><b>${m.passed ? esc(fmt(short(m), 1)) : "—"}</b></td><td class="tick">☐</td></tr>`).join("");
  const items = (s.lacking_items || []).map((x) => `<tr data-item="${esc(x.item_code)}"><th scope="row">${esc(label("item", x.item_code, catalogue?.[x.item_code]?.name || x.item_code))}</th>
      <td class="num"><b>${esc(fmt(x.quantity, 1))}</b></td><td>${esc(unitFor(x.unit, x.quantity))}</td><td class="tick">☐</td></tr>`).join("");
  return `<div class="sheet-actions"><button type="button" class="btn btn-primary" id="print-go">${esc(w("p.print"))}</button>
      <button type="button" class="btn btn-ghost" id="print-close">${esc(w("p.close"))}</button></div>
    <h1>${esc(w("p.title", { s: s.name }))}</h1>
    <p>${esc(w("p.event"))}: <b>${esc(eventName || "")}</b> · ${esc(computedAt(snap.as_of))} · ${esc(w("n.residents", { n: fmt(s.occupants) }))}</p>
    <h2>${esc(w("p.meals"))}</h2>
    <table class="sheet-table"><thead><tr><th scope="col">${esc(w("n.mealTime"))}</th><th scope="col" class="num">${esc(w("n.due"))}</th>
      <th scope="col" class="num">${esc(w("n.delivered"))}</th><th scope="col" class="num">${esc(w("n.short"))}</th><th scope="col">${esc(w("p.received"))}</th></tr></thead>
      <tbody>${meals}</tbody></table>
    <p class="note-small">${esc(w("n.mealRule"))}</p>
    <h2>${esc(w("p.items"))}</h2>
    ${items ? `<table class="sheet-table" id="print-items"><thead><tr><th scope="col">${esc(w("p.item"))}</th><th scope="col" class="num">${esc(w("p.qty"))}</th>
      <th scope="col">${esc(w("p.unit"))}</th><th scope="col">${esc(w("p.received"))}</th></tr></thead><tbody>${items}</tbody></table>`
    : `<p>${esc(w("p.nothing"))}</p>`}
    <div class="signatures"><div><span>${esc(w("p.driver"))}</span><span class="sign-line"></span></div>
      <div><span>${esc(w("p.receiver"))}</span><span class="sign-line"></span></div></div>`;
}

export class ShelterNeeds {
  /** `context()` → {snapshot, items, eventName}. */
  constructor({ context, put }) {
    this.context = context;
    this.put = put;
    this.printing = null;
  }

  bind() {
    $("needs-now").addEventListener("click", (ev) => {
      const b = ev.target.closest("[data-print]");
      if (b) this.openSheet(b.dataset.print);
    });
    $("print-sheet").addEventListener("click", (ev) => {
      if (ev.target.closest("#print-go")) window.print();
      else if (ev.target.closest("#print-close")) this.closeSheet();
    });
  }

  render() {
    const { snapshot, items } = this.context();
    if (!snapshot) return;
    this.put("needs-now", shelterNeedsHtml(snapshot, items));
    if (this.printing) this.fillSheet();
  }

  fillSheet() {
    const { snapshot, items, eventName } = this.context();
    $("print-sheet").innerHTML = printSheetHtml(snapshot, this.printing, eventName, items);
  }

  openSheet(shelterId) {
    this.printing = shelterId;
    this.fillSheet();
    $("print-sheet").hidden = false;
    document.body.dataset.printing = shelterId;
    $("print-go")?.focus();
  }

  closeSheet() {
    this.printing = null;
    $("print-sheet").hidden = true;
    $("print-sheet").innerHTML = "";
    delete document.body.dataset.printing;
  }
}
