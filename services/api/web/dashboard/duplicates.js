// "Kemungkinan ganda": likely duplicate persons side by side; an operator merges them (choosing each
// field's value) or marks them "not the same person". Roles that see names read the list; only admin
// and posko decide (the server enforces both).

import { api, ApiError, get } from "./api.js";
import { fmt, t } from "./i18n.js";
import { esc } from "./render.js";

const $ = (id) => document.getElementById(id);
const PAGE = 20;
// The person fields shown, in order; those the merge may set on the survivor are marked `pick`.
const FIELDS = [
  ["full_name", true], ["sex", true], ["birth_date", true], ["age_years", true], ["nik", true],
  ["nik_mismatch_confirmed", true], ["household_id", true], ["needs_psychosocial", true], ["condition", true],
  ["vulnerabilities", false], ["shelter_id", false],
];

function shown(field, side) {
  const p = side.person;
  const v = p[field];
  if (field === "sex") return v ? t(`sex.${v}`) : "—";
  if (field === "household_id") return side.household_head || (v ? v.slice(0, 8) : "—");
  if (field === "shelter_id") return side.shelter_name || (v ? v.slice(0, 8) : "—");
  if (field === "needs_psychosocial" || field === "nik_mismatch_confirmed") return v ? t("common.yes") : t("common.no");
  if (field === "vulnerabilities") return v && v.length ? v.map((x) => t(`vul.${x}`)).join(", ") : "—";
  if (v === null || v === undefined || v === "") return "—";
  return String(v);
}

function movesText(moves) {
  return t("dup.moves", { stays: fmt(moves.stays), distributions: fmt(moves.distributions), services: fmt(moves.services) });
}

export class Duplicates {
  constructor({ toast, errorText, canDecide }) {
    this.toast = toast;
    this.errorText = errorText;
    this.canDecide = canDecide;
    this.eventId = null;
    this.page = { loaded: false, items: [], total: 0, offset: 0 };
  }

  bind() {
    const root = $("dups");
    root.addEventListener("click", (ev) => {
      const b = ev.target.closest("button[data-dup-action]");
      if (!b || b.disabled) return;
      const action = b.dataset.dupAction;
      if (action === "prev" || action === "next") {
        this.load(Math.max(0, this.page.offset + (action === "next" ? PAGE : -PAGE)));
      } else if (action === "dismiss") {
        this.dismiss(b.dataset.pair);
      } else if (action === "merge") {
        this.merge(b.dataset.pair);
      }
    });
    root.addEventListener("change", (ev) => {
      const keep = ev.target.closest("input[data-keep]");
      if (keep) {
        this.followKept(keep.dataset.keep);
        this.renderMovesFor(keep.dataset.keep);
      }
    });
  }

  /** Show the card for an event (hidden for roles that do not see names). */
  open(eventId, seesNames) {
    this.eventId = eventId;
    $("dups-card").hidden = !seesNames;
    this.page = { loaded: false, items: [], total: 0, offset: 0 };
    if (seesNames) this.load(0);
  }

  async load(offset) {
    const eventId = this.eventId;
    try {
      const page = await get(`/events/${encodeURIComponent(eventId)}/duplicates?status=open&limit=${PAGE}&offset=${offset}`);
      if (eventId !== this.eventId) return;
      this.page = { loaded: true, items: page.items, total: page.total, offset };
    } catch (err) {
      this.page = { loaded: true, items: [], total: 0, offset, error: err instanceof ApiError && err.status === 403
        ? t("dup.hidden") : this.errorText(err) };
    }
    this.render();
  }

  rerender() { if (this.eventId) this.render(); }

  render() {
    const p = this.page;
    let html;
    if (p.error) html = `<p class="note note-bad">${esc(p.error)}</p>`;
    else if (!p.loaded) html = `<p class="muted">…</p>`;
    else if (p.total === 0) html = `<p class="note note-ok" id="dups-none">${esc(t("dup.none"))}</p>`;
    else {
      const pages = Math.max(1, Math.ceil(p.total / PAGE));
      const current = Math.floor(p.offset / PAGE) + 1;
      html = `<p class="dup-count" id="dups-total" data-value="${p.total}">${esc(t("dup.count", { n: fmt(p.total) }))}</p>
        ${p.items.map((pair) => this.pairHtml(pair)).join("")}
        <nav class="pager" aria-label="${esc(t("dup.title"))}">
          <button type="button" class="btn btn-ghost" data-dup-action="prev" ${current <= 1 ? "disabled" : ""}>${esc(t("unmet.prev"))}</button>
          <span class="pager-pos">${esc(t("unmet.page", { p: fmt(current), n: fmt(pages) }))}</span>
          <button type="button" class="btn btn-ghost" data-dup-action="next" ${current >= pages ? "disabled" : ""}>${esc(t("unmet.next"))}</button>
        </nav>`;
    }
    $("dups").innerHTML = html;
  }

  pairHtml(pair) {
    const id = esc(pair.id);
    const differing = new Set(pair.differing);
    const rows = FIELDS.map(([field, pick]) => {
      const diff = differing.has(field);
      const cell = (side, which) => {
        const text = esc(shown(field, side));
        if (!(pick && diff && this.canDecide)) return `<td>${text}</td>`;
        const checked = which === "a" ? "checked" : "";
        return `<td><label class="dup-pick"><input type="radio" name="f-${id}-${field}" value="${which}" ${checked}
          data-field="${field}"> ${text}</label></td>`;
      };
      return `<tr class="${diff ? "dup-diff" : ""}" data-field="${field}">
        <th scope="row">${esc(t(`dup.f.${field}`))}</th>${cell(pair.a, "a")}${cell(pair.b, "b")}</tr>`;
    }).join("");
    const reasons = pair.reasons.map((r) => `<span class="chip">${esc(t(`dup.r.${r}`))}</span>`).join(" ");
    const across = pair.event_id !== pair.other_event_id;
    const keep = (which) => `<label class="dup-keep"><input type="radio" name="keep-${id}" value="${which}"
      data-keep="${id}" ${which === "a" ? "checked" : ""}> ${esc(t(which === "a" ? "dup.keepA" : "dup.keepB"))}</label>`;
    const actions = this.canDecide ? `<div class="dup-actions">
        ${across ? `<p class="note note-info">${esc(t("dup.across"))}</p>` : `<div class="dup-keeps">${keep("a")} ${keep("b")}</div>
        <p class="muted dup-moves" id="moves-${id}">${esc(movesText(pair.b.moves))}</p>
        <button type="button" class="btn btn-primary" data-dup-action="merge" data-pair="${id}">${esc(t("dup.merge"))}</button>`}
        <button type="button" class="btn btn-ghost" data-dup-action="dismiss" data-pair="${id}">${esc(t("dup.dismiss"))}</button>
      </div>` : "";
    return `<article class="dup-pair" data-pair="${id}">
      <header class="dup-head"><strong>${esc(t("dup.score", { s: fmt(pair.score * 100) }))}</strong> ${reasons}</header>
      <table class="dup-table">
        <thead><tr><th></th><th scope="col">A</th><th scope="col">B</th></tr></thead>
        <tbody>${rows}</tbody>
      </table>${actions}
    </article>`;
  }

  pairById(id) { return this.page.items.find((p) => p.id === id); }

  keptSide(id) {
    const checked = document.querySelector(`input[name="keep-${CSS.escape(id)}"]:checked`);
    return checked ? checked.value : "a";
  }

  /** Choosing which record to keep takes all of its values: every field's choice moves to the kept side
   * (the values to take from the other record are then picked one by one). Without this, "keep B" kept
   * A's values in every differing field, and the survivor got A's name. */
  followKept(id) {
    const side = this.keptSide(id);
    for (const input of document.querySelectorAll(`input[name^="f-${CSS.escape(id)}-"][value="${side}"]`)) {
      input.checked = true;
    }
  }

  renderMovesFor(id) {
    const pair = this.pairById(id);
    const el = $(`moves-${id}`);
    if (!pair || !el) return;
    el.textContent = movesText(this.keptSide(id) === "a" ? pair.b.moves : pair.a.moves);
  }

  async merge(id) {
    const pair = this.pairById(id);
    if (!pair) return;
    const keep = this.keptSide(id);
    const survivor = keep === "a" ? pair.a : pair.b;
    const merged = keep === "a" ? pair.b : pair.a;
    const fields = {};
    for (const input of document.querySelectorAll(`input[name^="f-${CSS.escape(id)}-"]:checked`)) {
      const from = input.value === "a" ? pair.a : pair.b;
      if (from === survivor) continue; // the survivor's own value stays
      fields[input.dataset.field] = from.person[input.dataset.field];
    }
    if (fields.birth_date) delete fields.age_years; // one of the two, as a person update takes it
    try {
      await api("POST", `/persons/${encodeURIComponent(merged.person.id)}/merge`, { into: survivor.person.id, fields });
      this.toast(t("dup.merged"), "ok");
      await this.load(this.page.offset);
    } catch (err) {
      this.toast(this.errorText(err), "bad");
    }
  }

  async dismiss(id) {
    try {
      await api("POST", `/events/${encodeURIComponent(this.eventId)}/duplicates/${encodeURIComponent(id)}/dismiss`);
      this.toast(t("dup.dismissed"), "ok");
      await this.load(this.page.offset);
    } catch (err) {
      this.toast(this.errorText(err), "bad");
    }
  }
}
