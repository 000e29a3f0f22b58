// "Laporan": download the event report (PDF, XLSX, CSV; as of a chosen moment), the HXL exports and
// the Renstra report of a year. The endpoints need the bearer token, so a plain link cannot fetch
// them: the file is fetched (api.js download), kept as a blob and saved under the server's file name.

import { ApiError, download, getSession } from "./api.js";
import { clearFieldErrors, showFieldErrors } from "./fielderrors.js";
import { getLang } from "./i18n.js";
import { esc } from "./render.js";

const TEXT = {
  id: {
    title: "Laporan", event: "Laporan pasca bencana", format: "Format", asOf: "Per waktu",
    asOfHint: "Kosongkan untuk data terkini.", download: "Unduh laporan", hxl: "Ekspor HXL", dataset: "Data",
    downloadHxl: "Unduh HXL", renstra: "Laporan capaian Renstra", year: "Tahun", downloadRenstra: "Unduh Renstra",
    busy: "Mengunduh…", done: "Terunduh: {f}", failed: "Laporan gagal diunduh: {r}", network: "server tidak dapat dihubungi",
    forbidden: "Anda tidak berhak mengunduh laporan ini.", yearBad: "tahun harus antara 2000 dan 2100",
    shelters: "Tempat penampungan", persons_summary: "Ringkasan pengungsi", distributions: "Penyaluran bantuan",
  },
  en: {
    title: "Reports", event: "Post-disaster report", format: "Format", asOf: "As of",
    asOfHint: "Leave empty for the latest data.", download: "Download report", hxl: "HXL export", dataset: "Data",
    downloadHxl: "Download HXL", renstra: "Renstra achievement report", year: "Year", downloadRenstra: "Download Renstra",
    busy: "Downloading…", done: "Downloaded: {f}", failed: "The report could not be downloaded: {r}",
    network: "the server cannot be reached", forbidden: "You may not download this report.",
    yearBad: "the year must be between 2000 and 2100",
    shelters: "Shelters", persons_summary: "Displaced persons summary", distributions: "Aid distributions",
  },
};
const FORMATS = [["pdf", "PDF"], ["xlsx", "Excel (XLSX)"], ["csv", "CSV"]];
const DATASETS = ["shelters", "persons_summary", "distributions"];

function text(key, params) {
  let s = (TEXT[getLang()] || TEXT.id)[key] ?? TEXT.id[key] ?? key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
  return s;
}

function localInputValue(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function options(pairs, selected) {
  return pairs.map(([v, l]) => `<option value="${esc(v)}" ${v === selected ? "selected" : ""}>${esc(l)}</option>`).join("");
}

/** Save a blob under `filename` (an <a download> on an object URL; no inline script, CSP-safe). */
function save(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export class Reports {
  constructor() {
    this.event = null;
    this.values = {}; // form values kept across re-renders (language switch)
  }

  bind() {
    const root = document.getElementById("reports");
    root.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const form = ev.target.closest("form");
      if (form) this.submit(form);
    });
  }

  /** Show the card for `event` (every role that sees the event; Renstra not for relawan). */
  open(event) {
    this.event = event;
    document.getElementById("reports-card").hidden = !event;
    this.render();
  }

  rerender() {
    this.remember();
    this.render();
  }

  remember() {
    for (const el of document.querySelectorAll("#reports [name]")) this.values[`${el.form?.id}.${el.name}`] = el.value;
  }

  value(form, name, fallback) { return this.values[`${form}.${name}`] ?? fallback; }

  render() {
    const root = document.getElementById("reports");
    if (!root || !this.event) return;
    document.getElementById("reports-title").textContent = text("title");
    const role = getSession()?.role;
    const now = localInputValue(new Date());
    const year = String(new Date().getFullYear());
    const datasets = DATASETS.map((d) => [d, text(d)]);
    root.innerHTML = `<div class="reports-grid">
      <form id="report-event-form" class="stack-form report-form" novalidate>
        <h3>${esc(text("event"))}</h3>
        <div class="two">
          <div><label for="rep-format">${esc(text("format"))}</label>
            <select id="rep-format" name="format">${options(FORMATS, this.value("report-event-form", "format", "pdf"))}</select></div>
          <div><label for="rep-as-of">${esc(text("asOf"))}</label>
            <input id="rep-as-of" name="as_of" type="datetime-local" max="${now}" value="${esc(this.value("report-event-form", "as_of", ""))}"></div>
        </div>
        <p class="muted small">${esc(text("asOfHint"))}</p>
        <button type="submit" class="btn btn-primary" id="rep-download">${esc(text("download"))}</button>
      </form>
      <form id="report-hxl-form" class="stack-form report-form" novalidate>
        <h3>${esc(text("hxl"))}</h3>
        <label for="hxl-dataset">${esc(text("dataset"))}</label>
        <select id="hxl-dataset" name="dataset">${options(datasets, this.value("report-hxl-form", "dataset", "shelters"))}</select>
        <label for="hxl-as-of">${esc(text("asOf"))}</label>
        <input id="hxl-as-of" name="as_of" type="datetime-local" max="${now}" value="${esc(this.value("report-hxl-form", "as_of", ""))}">
        <button type="submit" class="btn btn-primary" id="hxl-download">${esc(text("downloadHxl"))}</button>
      </form>
      ${role === "relawan" ? "" : `<form id="report-renstra-form" class="stack-form report-form" novalidate>
        <h3>${esc(text("renstra"))}</h3>
        <div class="two">
          <div><label for="renstra-year">${esc(text("year"))}</label>
            <input id="renstra-year" name="year" type="number" min="2000" max="2100" step="1" inputmode="numeric" value="${esc(this.value("report-renstra-form", "year", year))}"></div>
          <div><label for="renstra-format">${esc(text("format"))}</label>
            <select id="renstra-format" name="format">${options(FORMATS, this.value("report-renstra-form", "format", "pdf"))}</select></div>
        </div>
        <button type="submit" class="btn btn-primary" id="renstra-download">${esc(text("downloadRenstra"))}</button>
      </form>`}
    </div>
    <p id="reports-msg" class="form-msg" role="status"></p>`;
  }

  /** The request path of a form, or null after showing what is wrong with its fields. */
  pathOf(form) {
    const f = form.elements;
    const q = new URLSearchParams();
    const eventId = encodeURIComponent(this.event.id);
    if (form.id === "report-renstra-form") {
      const year = Number(f.year.value);
      if (!Number.isInteger(year) || year < 2000 || year > 2100) {
        showFieldErrors(form, new ApiError(422, [{ loc: ["query", "year"], msg: text("yearBad") }]));
        return null;
      }
      q.set("year", String(year));
      q.set("format", f.format.value);
      return `/reports/renstra?${q}`;
    }
    if (f.as_of.value) q.set("as_of", new Date(f.as_of.value).toISOString());
    if (form.id === "report-hxl-form") {
      q.set("dataset", f.dataset.value);
      return `/events/${eventId}/export.hxl.csv?${q}`;
    }
    q.set("format", f.format.value);
    return `/events/${eventId}/report?${q}`;
  }

  async submit(form) {
    const msg = document.getElementById("reports-msg");
    clearFieldErrors(form);
    const path = this.pathOf(form);
    if (!path) return;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    msg.className = "form-msg form-msg--info";
    msg.textContent = text("busy");
    delete msg.dataset.file;
    try {
      const { blob, filename } = await download(path, "laporan");
      save(blob, filename);
      msg.className = "form-msg form-msg--ok";
      msg.textContent = text("done", { f: filename });
      msg.dataset.file = filename;
    } catch (err) {
      msg.className = "form-msg form-msg--bad";
      if (err instanceof ApiError && err.status === 403) {
        msg.textContent = text("forbidden");
      } else if (err instanceof ApiError && err.status === 0) {
        msg.textContent = text("failed", { r: text("network") });
      } else {
        const rest = showFieldErrors(form, err);
        const reason = err instanceof ApiError && Array.isArray(err.detail)
          ? (rest.length ? rest.join("; ") : err.detail.map((d) => d.msg).join("; "))
          : err instanceof ApiError ? err.readable : String(err?.message || err);
        msg.textContent = text("failed", { r: reason });
      }
    } finally {
      button.disabled = false;
    }
  }
}
