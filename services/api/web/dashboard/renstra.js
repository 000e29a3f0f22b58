// The Renstra view: every indicator of the year with target, realisation, achievement and where the
// number came from (computed from events, from a register, typed in by whom, or nothing yet). An admin
// types in the realisation of the rows that are not computed (provenance manual or none) and the
// realisasi anggaran of those rows, right in the table (PUT /reports/renstra/manual and /targets); the
// rows computed from events or registers get no edit action, as the API refuses them (409).

import { api, get } from "./api.js";
import { clearFieldErrors, showFieldErrors } from "./fielderrors.js";
import { esc } from "./render.js";
import { formValues, options, problem } from "./office-common.js";

const KIND_BADGE = { events: "badge-status", register: "badge-ok", manual: "badge-warn", none: "badge-muted" };
const KIND_TEXT = { events: "Data kejadian", register: "Register", manual: "Diisi manual", none: "Belum ada data" };
const TYPED_IN = new Set(["manual", "none"]); // the kinds an admin may type in; the others are computed
const COLUMNS = 9;

function num(v, digits = 2) {
  if (v === null || v === undefined) return "—";
  return Number(v).toLocaleString("id-ID", { maximumFractionDigits: digits });
}

export class RenstraView {
  constructor(root, { toast }) {
    this.root = root;
    this.toast = toast;
    this.year = new Date().getFullYear();
    this.report = null;
    this.editable = false; // admin only: the API refuses the other roles (403)
    this.editing = null; // the code of the row whose form is open
  }

  async open() {
    this.root.innerHTML = `<p class="muted">Memuat capaian Renstra…</p>`;
    await this.reload();
  }

  async reload() {
    try {
      this.report = await get(`/reports/renstra?year=${this.year}`);
      this.editing = null;
    } catch (err) {
      this.root.innerHTML = `<p class="note note-bad" role="alert">${esc(problem(err))}</p>`;
      return;
    }
    this.render();
  }

  render() {
    const years = [];
    for (let y = new Date().getFullYear() + 1; y >= 2020; y -= 1) years.push([String(y), String(y)]);
    const rows = this.report.indicators.map((r, i) => {
      const p = r.provenance || { kind: r.source === "computed" ? "events" : r.source, label: "" };
      const action = this.editable && TYPED_IN.has(p.kind)
        ? `<button type="button" class="btn btn-ghost btn-small" data-manual-edit="${esc(r.code)}">Isi</button>` : "";
      const row = `<tr data-code="${esc(r.code)}" data-kind="${esc(p.kind)}">
        <td>${i + 1}</td><td>${esc(r.name)}</td><td>${esc(r.unit)}</td>
        <td class="num">${num(r.target)}</td>
        <td class="num" data-value="${r.realisation ?? ""}">${num(r.realisation)}</td>
        <td class="num">${r.achievement_percent === null ? "—" : `${num(r.achievement_percent)}%`}</td>
        <td class="num" data-budget="${r.budget_realisation ?? ""}">${num(r.budget_realisation, 0)}</td>
        <td class="provenance"><span class="badge ${KIND_BADGE[p.kind] || "badge-muted"}">${esc(KIND_TEXT[p.kind] || p.kind)}</span>
          <span class="provenance-label">${esc(p.label || "")}</span></td>
        <td>${action}</td>
      </tr>`;
      return r.code === this.editing ? row + this.formRow(r) : row;
    }).join("");
    this.root.innerHTML = `
      <div class="card">
        <div class="card-head">
          <h2>Capaian indikator Renstra ${esc(String(this.report.year))}</h2>
          <label>Tahun <select id="renstra-year">${options(years, String(this.year))}</select></label>
        </div>
        <div class="table-wrap"><table class="office-table" id="renstra-table">
          <thead><tr><th>No</th><th>Indikator</th><th>Satuan</th><th>Target</th><th>Realisasi</th><th>Capaian</th><th>Realisasi anggaran (Rp)</th><th>Asal angka</th><th></th></tr></thead>
          <tbody>${rows}</tbody>
        </table></div>
        <p class="muted office-note">Asal angka: dihitung dari data kejadian tahun itu, dihitung dari register (daftar TAGANA dan pelatihannya, atau register kegiatan kesiapsiagaan), atau diisi manual oleh admin (dengan nama dan waktunya).${this.editable ? " Baris yang tidak dihitung sistem dapat diisi dengan tombol “Isi”." : ""}</p>
      </div>`;
  }

  /** The inline form under a typed-in row: the realisation and the realisasi anggaran of the year. */
  formRow(r) {
    return `<tr class="manual-edit-row"><td colspan="${COLUMNS}">
      <form id="renstra-manual-form" class="manual-form" data-code="${esc(r.code)}" novalidate>
        <p class="manual-form-title">Isi manual tahun ${esc(String(this.report.year))}: ${esc(r.name)}</p>
        <div class="manual-form-fields">
          <label for="rm-value">Realisasi (${esc(r.unit)})
            <input id="rm-value" name="value" type="number" step="any" inputmode="decimal" value="${r.realisation ?? ""}"></label>
          <label for="rm-budget">Realisasi anggaran (Rp)
            <input id="rm-budget" name="budget_realisation" type="number" step="any" inputmode="decimal" value="${r.budget_realisation ?? ""}"></label>
        </div>
        <p class="muted manual-form-hint">Kosongkan realisasi untuk menghapus angka manual.</p>
        <p class="note note-bad" id="renstra-manual-error" role="alert" hidden></p>
        <div class="manual-form-actions">
          <button type="submit" class="btn btn-primary btn-small" id="renstra-manual-submit">Simpan</button>
          <button type="button" class="btn btn-ghost btn-small" data-manual-cancel>Batal</button>
        </div>
      </form></td></tr>`;
  }

  /** Saves what changed: the value through /manual, the realisasi anggaran through /targets (other
   * fields of the target row are not sent, so they keep their stored values). */
  async save(form) {
    const code = form.dataset.code;
    const row = this.report.indicators.find((r) => r.code === code);
    const errorLine = form.querySelector("#renstra-manual-error");
    errorLine.hidden = true;
    clearFieldErrors(form);
    const input = formValues(form);
    for (const name of ["value", "budget_realisation"]) {
      const el = form.elements[name];
      // a number input holding text reads as "": send the text so the server names the field
      if (el.validity.badInput) input[name] = el.value || "bukan angka";
    }
    const submit = form.querySelector("#renstra-manual-submit");
    submit.disabled = true;
    try {
      const base = { year: this.report.year, indicator_code: code };
      if (input.value !== (row.realisation ?? null)) {
        await api("PUT", "/reports/renstra/manual", { ...base, value: input.value });
        row.realisation = input.value; // saved: a retry after a refused budget does not send it again
      }
      if (input.budget_realisation !== (row.budget_realisation ?? null)) {
        await api("PUT", "/reports/renstra/targets", { ...base, budget_realisation: input.budget_realisation });
      }
    } catch (err) {
      submit.disabled = false;
      const rest = showFieldErrors(form, err);
      if (rest.length) {
        errorLine.textContent = rest.map((x) => (typeof x === "string" ? x : problem(x))).join("; ");
        errorLine.hidden = false;
      }
      return;
    }
    this.toast?.("Realisasi Renstra tersimpan.");
    await this.reload();
  }

  bind() {
    this.root.addEventListener("change", (ev) => {
      if (ev.target.id === "renstra-year") {
        this.year = Number(ev.target.value);
        this.reload();
      }
    });
    this.root.addEventListener("click", (ev) => {
      const edit = ev.target.closest("[data-manual-edit]");
      if (edit) {
        this.editing = edit.dataset.manualEdit;
        this.render();
        this.root.querySelector("#rm-value")?.focus();
      } else if (ev.target.closest("[data-manual-cancel]")) {
        this.editing = null;
        this.render();
      }
    });
    this.root.addEventListener("submit", (ev) => {
      if (ev.target.id !== "renstra-manual-form") return;
      ev.preventDefault();
      this.save(ev.target);
    });
  }
}
