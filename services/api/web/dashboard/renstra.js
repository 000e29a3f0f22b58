// The Renstra view: every indicator of the year with target, realisation, achievement and where the
// number came from (computed from events, from a register, typed in by whom, or nothing yet).

import { get } from "./api.js";
import { esc } from "./render.js";
import { options, problem } from "./office-common.js";

const KIND_BADGE = { events: "badge-status", register: "badge-ok", manual: "badge-warn", none: "badge-muted" };
const KIND_TEXT = { events: "Data kejadian", register: "Register", manual: "Diisi manual", none: "Belum ada data" };

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
  }

  async open() {
    this.root.innerHTML = `<p class="muted">Memuat capaian Renstra…</p>`;
    await this.reload();
  }

  async reload() {
    try {
      this.report = await get(`/reports/renstra?year=${this.year}`);
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
      return `<tr data-code="${esc(r.code)}" data-kind="${esc(p.kind)}">
        <td>${i + 1}</td><td>${esc(r.name)}</td><td>${esc(r.unit)}</td>
        <td class="num">${num(r.target)}</td>
        <td class="num" data-value="${r.realisation ?? ""}">${num(r.realisation)}</td>
        <td class="num">${r.achievement_percent === null ? "—" : `${num(r.achievement_percent)}%`}</td>
        <td class="provenance"><span class="badge ${KIND_BADGE[p.kind] || "badge-muted"}">${esc(KIND_TEXT[p.kind] || p.kind)}</span>
          <span class="provenance-label">${esc(p.label || "")}</span></td>
      </tr>`;
    }).join("");
    this.root.innerHTML = `
      <div class="card">
        <div class="card-head">
          <h2>Capaian indikator Renstra ${esc(String(this.report.year))}</h2>
          <label>Tahun <select id="renstra-year">${options(years, String(this.year))}</select></label>
        </div>
        <div class="table-wrap"><table class="office-table" id="renstra-table">
          <thead><tr><th>No</th><th>Indikator</th><th>Satuan</th><th>Target</th><th>Realisasi</th><th>Capaian</th><th>Asal angka</th></tr></thead>
          <tbody>${rows}</tbody>
        </table></div>
        <p class="muted office-note">Asal angka: dihitung dari data kejadian tahun itu, dihitung dari register (daftar TAGANA dan pelatihannya, atau register kegiatan kesiapsiagaan), atau diisi manual oleh admin (dengan nama dan waktunya).</p>
      </div>`;
  }

  bind() {
    this.root.addEventListener("change", (ev) => {
      if (ev.target.id === "renstra-year") {
        this.year = Number(ev.target.value);
        this.reload();
      }
    });
  }
}
