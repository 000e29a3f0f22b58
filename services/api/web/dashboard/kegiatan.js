// Preparedness activities (kegiatan kesiapsiagaan): Kampung Siaga Bencana formed or supported, lumbung
// sosial, sosialisasi/KIE and school education, with date, kelurahan, participants by sex and evidence.
// admin and posko add and edit; pengamat reads.

import { api, get, newId } from "./api.js";
import { esc } from "./render.js";
import { fmtDay, formValues, kelurahanList, kelurahanOptions, options, problem } from "./office-common.js";

const KINDS = [
  ["ksb_pembentukan", "Pembentukan Kampung Siaga Bencana"],
  ["ksb_pendampingan", "Pendampingan Kampung Siaga Bencana"],
  ["lumbung_sosial", "Lumbung sosial"],
  ["sosialisasi_kie", "Sosialisasi / penyuluhan KIE"],
  ["edukasi_sekolah", "Edukasi kebencanaan di sekolah"],
];

export class Kegiatan {
  constructor(root, { toast, onChanged }) {
    this.root = root;
    this.toast = toast;
    this.onChanged = onChanged || (() => {});
    this.year = new Date().getFullYear();
    this.items = [];
    this.kelurahan = [];
    this.editing = null;
    this.canWrite = false;
    this.pendingId = newId();
  }

  async open(canWrite) {
    this.canWrite = canWrite;
    this.root.innerHTML = `<p class="muted">Memuat kegiatan…</p>`;
    try {
      this.kelurahan = await kelurahanList();
      await this.reload(false);
    } catch (err) {
      this.root.innerHTML = `<p class="note note-bad" role="alert">${esc(problem(err))}</p>`;
      return;
    }
    this.render();
  }

  async reload(render = true) {
    const page = await get(`/preparedness-activities?year=${this.year}&limit=500`);
    this.items = page.items;
    if (render) this.render();
  }

  render() {
    const a = this.editing;
    const years = [];
    for (let y = new Date().getFullYear(); y >= 2020; y -= 1) years.push([String(y), String(y)]);
    const rows = this.items.map((x) => `<tr data-activity="${esc(x.id)}">
        <td>${esc(fmtDay(x.held_on))}</td><td>${esc(x.kind_label)}</td><td>${esc(x.title)}</td>
        <td>${esc(x.kelurahan_name || x.kelurahan_code)}</td>
        <td class="num">${x.participants_male}</td><td class="num">${x.participants_female}</td>
        <td class="num" data-value="${x.participants_total}">${x.participants_total}</td>
        <td>${esc(x.evidence)}</td>
        <td>${this.canWrite ? `<button type="button" class="btn btn-ghost btn-small" data-edit="${esc(x.id)}">Ubah</button>` : ""}</td>
      </tr>`).join("");
    const form = !this.canWrite ? "" : `
        <div class="card">
          <h2>${a ? `Ubah kegiatan: ${esc(a.title)}` : "Catat kegiatan"}</h2>
          <form id="kegiatan-form" class="stack-form" novalidate>
            <label for="kg-kind">Jenis kegiatan</label>
            <select id="kg-kind" name="kind">${options(KINDS, a?.kind || "sosialisasi_kie")}</select>
            <label for="kg-title">Nama kegiatan</label>
            <input id="kg-title" name="title" maxlength="200" value="${esc(a?.title || "")}">
            <div class="two">
              <div><label for="kg-date">Tanggal</label><input id="kg-date" name="held_on" type="date" value="${esc(a?.held_on || "")}"></div>
              <div><label for="kg-kel">Kelurahan</label><select id="kg-kel" name="kelurahan_code">${kelurahanOptions(this.kelurahan, a?.kelurahan_code || "", true)}</select></div>
            </div>
            <div class="two">
              <div><label for="kg-male">Peserta laki-laki</label><input id="kg-male" name="participants_male" type="number" min="0" max="100000" inputmode="numeric" value="${a ? a.participants_male : 0}"></div>
              <div><label for="kg-female">Peserta perempuan</label><input id="kg-female" name="participants_female" type="number" min="0" max="100000" inputmode="numeric" value="${a ? a.participants_female : 0}"></div>
            </div>
            <label for="kg-evidence">Bukti (nomor berita acara, daftar hadir, SK)</label>
            <input id="kg-evidence" name="evidence" maxlength="500" value="${esc(a?.evidence || "")}">
            <label for="kg-notes">Catatan</label>
            <textarea id="kg-notes" name="notes" maxlength="1000" rows="2">${esc(a?.notes || "")}</textarea>
            <p id="kegiatan-error" class="form-error" role="alert" hidden></p>
            <div class="row-form">
              <button type="submit" class="btn btn-primary" id="kegiatan-submit">${a ? "Simpan perubahan" : "Catat kegiatan"}</button>
              ${a ? `<button type="button" class="btn btn-ghost" id="kegiatan-new">Batal</button>` : ""}
            </div>
          </form>
        </div>`;
    this.root.innerHTML = `
      <div class="office-grid">
        <div class="card">
          <div class="card-head">
            <h2>Kegiatan kesiapsiagaan <span class="muted">(${this.items.length})</span></h2>
            <label>Tahun <select id="kegiatan-year">${options(years, String(this.year))}</select></label>
          </div>
          <div class="table-wrap"><table class="office-table" id="kegiatan-table">
            <thead><tr><th>Tanggal</th><th>Jenis</th><th>Kegiatan</th><th>Kelurahan</th><th>L</th><th>P</th><th>Jumlah</th><th>Bukti</th><th></th></tr></thead>
            <tbody>${rows || `<tr><td colspan="9" class="muted">Belum ada kegiatan pada tahun ini.</td></tr>`}</tbody>
          </table></div>
        </div>
        ${form}
      </div>`;
  }

  bind() {
    this.root.addEventListener("change", (ev) => {
      if (ev.target.id === "kegiatan-year") {
        this.year = Number(ev.target.value);
        this.reload().catch((err) => this.toast(problem(err), "bad"));
      }
    });
    this.root.addEventListener("click", (ev) => {
      const edit = ev.target.closest("[data-edit]");
      if (edit) {
        this.editing = this.items.find((x) => x.id === edit.dataset.edit) || null;
        this.render();
      }
      if (ev.target.closest("#kegiatan-new")) { this.editing = null; this.render(); }
    });
    this.root.addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (ev.target.id === "kegiatan-form") this.save(ev.target);
    });
  }

  async save(form) {
    const errEl = form.querySelector("#kegiatan-error");
    errEl.hidden = true;
    const body = formValues(form);
    for (const k of ["participants_male", "participants_female"]) if (body[k] === null) body[k] = 0;
    const btn = form.querySelector("#kegiatan-submit");
    btn.disabled = true;
    try {
      let saved;
      if (this.editing) {
        saved = await api("PATCH", `/preparedness-activities/${encodeURIComponent(this.editing.id)}`, body,
          { "If-Match": String(this.editing.version) });
        this.editing = null;
      } else {
        if (body.notes === null) delete body.notes;
        saved = await api("POST", "/preparedness-activities", { id: this.pendingId, ...body });
        this.pendingId = newId();
      }
      this.toast(`Kegiatan "${saved.title}" disimpan.`, "ok");
      this.year = Number(saved.held_on.slice(0, 4));
      await this.reload();
      this.onChanged();
    } catch (err) {
      errEl.textContent = problem(err);
      errEl.hidden = false;
      btn.disabled = false;
    }
  }
}
