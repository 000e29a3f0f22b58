// Helpers shared by the office screens (TAGANA roster, preparedness activities, Renstra): form values,
// error lines, the kelurahan list. Indonesian only: these are office registers kept in Indonesian.

import { ApiError, get } from "./api.js";
import { esc } from "./render.js";

let kelurahanCache = null;

/** [{code, name}] of the Binjai kelurahan (GET /regions), loaded once. */
export async function kelurahanList() {
  if (kelurahanCache) return kelurahanCache;
  const page = await get("/regions?level=kelurahan&limit=500");
  kelurahanCache = page.items.map((r) => ({ code: r.code, name: r.name }));
  return kelurahanCache;
}

export function kelurahanOptions(list, selected, withEmpty = false) {
  return (withEmpty ? `<option value="">—</option>` : "") + list.map((k) =>
    `<option value="${esc(k.code)}" ${k.code === selected ? "selected" : ""}>${esc(k.name)} (${esc(k.code)})</option>`).join("");
}

export function options(pairs, selected) {
  return pairs.map(([value, text]) => `<option value="${esc(value)}" ${value === selected ? "selected" : ""}>${esc(text)}</option>`).join("");
}

/** A readable Indonesian line for a failed request: every validation message with its field. */
export function problem(err) {
  if (err instanceof ApiError) {
    if (err.status === 0) return "Server tidak dapat dihubungi.";
    if (Array.isArray(err.detail)) {
      return err.detail.map((d) => {
        const where = Array.isArray(d.loc) ? d.loc.filter((x) => x !== "body").join(".") : "";
        return where ? `${where}: ${d.msg}` : d.msg;
      }).join("; ");
    }
    return err.readable;
  }
  return String(err?.message || err);
}

/** The value of a named form control: "" → null, numbers for type=number, booleans for checkboxes. */
export function formValues(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    if (el.type === "checkbox") out[el.name] = el.checked;
    else if (el.type === "number") out[el.name] = el.value === "" ? null : Number(el.value);
    else out[el.name] = el.value.trim() === "" ? null : el.value.trim();
  }
  return out;
}

export function fmtDay(iso) {
  if (!iso) return "—";
  const [y, m, d] = iso.slice(0, 10).split("-");
  return `${d}-${m}-${y}`;
}
