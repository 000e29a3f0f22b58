// The TAGANA roster (admin, posko): volunteers with level, account, phone, trainings and deployments;
// a form to add or edit a volunteer, and one to record a training or certificate.

import { api, get, newId } from "./api.js";
import { esc } from "./render.js";
import { fmtDay, formValues, kelurahanList, kelurahanOptions, options, problem } from "./office-common.js";

const LEVELS = [["muda", "Tagana Muda"], ["madya", "Tagana Madya"], ["utama", "Tagana Utama"], ["pelatih", "Pelatih Tagana"]];
const TRAINING_KINDS = [["pelatihan", "Pelatihan"], ["sertifikasi", "Sertifikasi"]];

export class Tagana {
  constructor(root, { toast, onChanged }) {
    this.root = root;
    this.toast = toast;
    this.onChanged = onChanged || (() => {});
    this.items = [];
    this.editing = null; // the volunteer being edited, or null for a new one
    this.pendingId = newId(); // a retried "Simpan" never creates twice
    this.pendingTraining = newId();
    this.accounts = [];
    this.kelurahan = [];
  }

  async open() {
    this.root.innerHTML = `<p class="muted">Memuat daftar TAGANA…</p>`;
    try {
      const [page, kel, users] = await Promise.all([
        get("/tagana?limit=500"), kelurahanList(), get("/users?role=relawan&limit=500").catch(() => ({ items: [] })),
      ]);
      this.items = page.items;
      this.kelurahan = kel;
      this.accounts = users.items;
    } catch (err) {
      this.root.innerHTML = `<p class="note note-bad" role="alert">${esc(problem(err))}</p>`;
      return;
    }
    this.render();
  }

  render() {
    const v = this.editing;
    const rows = this.items.map((x) => `<tr data-volunteer="${esc(x.id)}">
        <td>${esc(x.full_name)}${x.active ? "" : ` <span class="badge badge-muted">tidak aktif</span>`}</td>
        <td>${esc(x.level_label)}</td>
        <td>${x.username ? esc(x.username) : `<span class="muted">—</span>`}</td>
        <td>${x.phone ? esc(x.phone) : `<span class="muted">—</span>`}</td>
        <td data-count="trainings" data-value="${x.trainings.length}">${x.trainings.length ? `${x.trainings.length} (terakhir ${esc(fmtDay(x.trainings[x.trainings.length - 1].ended_on))})` : "0"}</td>
        <td data-count="deployments" data-value="${x.deployments.length}">${x.deployments.length ? x.deployments.map((d) => esc(d.event_name)).join(", ") : "0"}</td>
        <td><button type="button" class="btn btn-ghost btn-small" data-edit="${esc(x.id)}">Ubah</button></td>
      </tr>`).join("");
    const accountChoices = [["", "— tanpa akun —"], ...this.accounts.map((u) => [String(u.id), `${u.full_name || u.username} (${u.username})`])];
    this.root.innerHTML = `
      <div class="office-grid">
        <div class="card">
          <h2>Daftar relawan TAGANA <span class="muted">(${this.items.length})</span></h2>
          <div class="table-wrap"><table class="office-table" id="tagana-table">
            <thead><tr><th>Nama</th><th>Tingkat</th><th>Akun</th><th>Telepon</th><th>Pelatihan</th><th>Penugasan</th><th></th></tr></thead>
            <tbody>${rows || `<tr><td colspan="7" class="muted">Belum ada relawan terdaftar.</td></tr>`}</tbody>
          </table></div>
          <p class="muted office-note">Nomor telepon adalah data pribadi: hanya admin dan posko yang melihatnya. Penugasan dihitung dari keanggotaan kejadian dan pendaftaran/check-in yang dicatat akun relawan.</p>
        </div>
        <div class="card">
          <h2 id="tagana-form-title">${v ? `Ubah relawan: ${esc(v.full_name)}` : "Tambah relawan"}</h2>
          <form id="tagana-form" class="stack-form" novalidate>
            <label for="tg-name">Nama lengkap</label>
            <input id="tg-name" name="full_name" maxlength="200" value="${esc(v?.full_name || "")}">
            <div class="two">
              <div><label for="tg-level">Tingkat</label><select id="tg-level" name="level">${options(LEVELS, v?.level || "muda")}</select></div>
              <div><label for="tg-user">Akun pengguna</label><select id="tg-user" name="user_id">${options(accountChoices, v?.user_id ? String(v.user_id) : "")}</select></div>
            </div>
            <div class="two">
              <div><label for="tg-phone">Telepon</label><input id="tg-phone" name="phone" inputmode="tel" maxlength="20" value="${esc(v?.phone || "")}"></div>
              <div><label for="tg-joined">Bergabung</label><input id="tg-joined" name="joined_on" type="date" value="${esc(v?.joined_on || "")}"></div>
            </div>
            <label for="tg-kel">Kelurahan domisili</label>
            <select id="tg-kel" name="kelurahan_code">${kelurahanOptions(this.kelurahan, v?.kelurahan_code || "", true)}</select>
            <label class="check"><input type="checkbox" id="tg-active" name="active" ${!v || v.active ? "checked" : ""}> Aktif</label>
            <p id="tagana-error" class="form-error" role="alert" hidden></p>
            <div class="row-form">
              <button type="submit" class="btn btn-primary" id="tagana-submit">${v ? "Simpan perubahan" : "Tambah relawan"}</button>
              ${v ? `<button type="button" class="btn btn-ghost" id="tagana-new">Batal</button>` : ""}
            </div>
          </form>
          ${v ? this.trainingHtml(v) : ""}
        </div>
      </div>`;
  }

  trainingHtml(v) {
    const list = v.trainings.map((t) => `<li>${esc(t.kind_label)}: ${esc(t.title)} · ${esc(fmtDay(t.started_on))} s.d. ${esc(fmtDay(t.ended_on))} · tingkat ${esc(t.level_at_training)}${t.certificate_number ? ` · sertifikat ${esc(t.certificate_number)}` : ""}</li>`).join("");
    const deps = v.deployments.map((d) => `<li>${esc(d.event_name)}${d.assigned ? " · ditugaskan" : ""} · ${d.registrations} pendaftaran, ${d.check_ins} check-in</li>`).join("");
    return `
      <h3>Pelatihan dan sertifikat</h3>
      <ul class="ops-list" id="tagana-trainings">${list || `<li class="muted">Belum ada.</li>`}</ul>
      <h3>Penugasan</h3>
      <ul class="ops-list" id="tagana-deployments">${deps || `<li class="muted">Belum ada penugasan.</li>`}</ul>
      <form id="training-form" class="stack-form" novalidate>
        <h3>Catat pelatihan / sertifikat</h3>
        <div class="two">
          <div><label for="tr-kind">Jenis</label><select id="tr-kind" name="kind">${options(TRAINING_KINDS, "pelatihan")}</select></div>
          <div><label for="tr-level">Tingkat saat itu</label><select id="tr-level" name="level_at_training">${options(LEVELS, v.level)}</select></div>
        </div>
        <label for="tr-title">Nama pelatihan</label><input id="tr-title" name="title" maxlength="200">
        <label for="tr-org">Penyelenggara</label><input id="tr-org" name="organizer" maxlength="200">
        <div class="two">
          <div><label for="tr-start">Mulai</label><input id="tr-start" name="started_on" type="date"></div>
          <div><label for="tr-end">Selesai</label><input id="tr-end" name="ended_on" type="date"></div>
        </div>
        <div class="two">
          <div><label for="tr-cert">Nomor sertifikat</label><input id="tr-cert" name="certificate_number" maxlength="100"></div>
          <div><label for="tr-evidence">Bukti (dokumen)</label><input id="tr-evidence" name="evidence" maxlength="500"></div>
        </div>
        <p id="training-error" class="form-error" role="alert" hidden></p>
        <button type="submit" class="btn btn-primary" id="training-submit">Catat pelatihan</button>
      </form>`;
  }

  bind() {
    this.root.addEventListener("click", (ev) => {
      const edit = ev.target.closest("[data-edit]");
      if (edit) this.edit(edit.dataset.edit);
      if (ev.target.closest("#tagana-new")) { this.editing = null; this.render(); }
    });
    this.root.addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (ev.target.id === "tagana-form") this.save(ev.target);
      if (ev.target.id === "training-form") this.saveTraining(ev.target);
    });
  }

  async edit(id) {
    try {
      this.editing = await get(`/tagana/${encodeURIComponent(id)}`);
    } catch (err) { this.toast(problem(err), "bad"); return; }
    this.render();
  }

  async save(form) {
    const errEl = form.querySelector("#tagana-error");
    errEl.hidden = true;
    const body = formValues(form);
    body.user_id = body.user_id ? Number(body.user_id) : null;
    const btn = form.querySelector("#tagana-submit");
    btn.disabled = true;
    try {
      if (this.editing) {
        const v = await api("PATCH", `/tagana/${encodeURIComponent(this.editing.id)}`, body, { "If-Match": String(this.editing.version) });
        this.toast(`Relawan ${v.full_name} disimpan.`, "ok");
        this.editing = v;
      } else {
        for (const k of Object.keys(body)) if (body[k] === null) delete body[k];
        const v = await api("POST", "/tagana", { id: this.pendingId, ...body });
        this.pendingId = newId();
        this.toast(`Relawan ${v.full_name} ditambahkan.`, "ok");
      }
      await this.reload();
      this.onChanged();
    } catch (err) {
      errEl.textContent = problem(err);
      errEl.hidden = false;
      btn.disabled = false;
    }
  }

  async saveTraining(form) {
    const errEl = form.querySelector("#training-error");
    errEl.hidden = true;
    const body = formValues(form);
    for (const k of Object.keys(body)) if (body[k] === null) delete body[k];
    try {
      await api("POST", `/tagana/${encodeURIComponent(this.editing.id)}/trainings`, { id: this.pendingTraining, ...body });
      this.pendingTraining = newId();
      this.toast("Pelatihan dicatat.", "ok");
      this.editing = await get(`/tagana/${encodeURIComponent(this.editing.id)}`);
      await this.reload();
      this.onChanged();
    } catch (err) {
      errEl.textContent = problem(err);
      errEl.hidden = false;
    }
  }

  async reload() {
    const page = await get("/tagana?limit=500");
    this.items = page.items;
    this.render();
  }
}
