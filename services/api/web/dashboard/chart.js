// A hand-written SVG chart: displaced persons per day (bars, left axis) and the share of fulfilled
// persons (line, right axis, with the 100% target dashed).

import { fmt, getLang, t } from "./i18n.js";

const PAD = { l: 48, r: 44, t: 14, b: 34 };

/** Local calendar date (YYYY-MM-DD) of an instant, in the browser's time zone. */
export function localDay(iso) {
  const d = iso ? new Date(iso) : new Date();
  const y = d.getFullYear();
  const m = String(d.getMonth() + 1).padStart(2, "0");
  const day = String(d.getDate()).padStart(2, "0");
  return `${y}-${m}-${day}`;
}

function daysBetween(first, last) {
  const out = [];
  const d = new Date(`${first}T12:00:00`);
  const end = new Date(`${last}T12:00:00`);
  for (let i = 0; d <= end && i < 370; i += 1) {
    out.push(localDay(d.toISOString()));
    d.setDate(d.getDate() + 1);
  }
  return out;
}

function niceMax(v) {
  if (v <= 0) return 10;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function esc(s) {
  return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
}

/**
 * points: {"YYYY-MM-DD": {displaced, percent}}; firstDay/lastDay bound the x axis.
 * Returns SVG markup (days without a point stay empty).
 */
export function chartSvg(points, firstDay, lastDay, targetPercent = 100, width = 640) {
  const W = Math.round(Math.max(300, Math.min(900, width)));
  const H = W < 520 ? 220 : 280;
  let days = daysBetween(firstDay, lastDay);
  if (days.length === 0) days = [lastDay];
  if (days.length > 60) days = days.slice(-60);
  const rows = days.map((d) => ({ day: d, ...(points[d] || {}) }));
  const maxDisplaced = niceMax(Math.max(0, ...rows.map((r) => r.displaced ?? 0)));
  const maxPct = Math.max(100, targetPercent, ...rows.map((r) => r.percent ?? 0));
  const pctTop = maxPct > 100 ? Math.ceil(maxPct / 25) * 25 : 100;
  const iw = W - PAD.l - PAD.r;
  const ih = H - PAD.t - PAD.b;
  const slot = iw / rows.length;
  const barW = Math.max(4, Math.min(46, slot * 0.62));
  const x = (i) => PAD.l + slot * i + slot / 2;
  const yD = (v) => PAD.t + ih - (v / maxDisplaced) * ih;
  const yP = (v) => PAD.t + ih - (v / pctTop) * ih;
  const lang = getLang() === "en" ? "en-GB" : "id-ID";
  const parts = [];
  parts.push(`<svg class="chart-svg" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="chart-svg-title" preserveAspectRatio="xMidYMid meet">`);
  parts.push(`<title id="chart-svg-title">${esc(t("chart.title"))}</title>`);
  // grid and left axis (displaced)
  for (let i = 0; i <= 4; i += 1) {
    const v = (maxDisplaced / 4) * i;
    const y = yD(v);
    parts.push(`<line class="grid" x1="${PAD.l}" x2="${W - PAD.r}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}"/>`);
    parts.push(`<text class="axis axis-l" x="${PAD.l - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${esc(fmt(v))}</text>`);
    const pv = (pctTop / 4) * i;
    parts.push(`<text class="axis axis-r" x="${W - PAD.r + 6}" y="${(yP(pv) + 4).toFixed(1)}">${esc(fmt(pv))}%</text>`);
  }
  // bars
  rows.forEach((r, i) => {
    if (r.displaced === undefined || r.displaced === null) return;
    const y = yD(r.displaced);
    const h = PAD.t + ih - y;
    const tip = `${r.day}: ${fmt(r.displaced)} ${t("chart.displaced").toLowerCase()}` +
      (r.percent !== undefined && r.percent !== null ? `, ${fmt(r.percent, 2)}%` : "");
    parts.push(`<rect class="bar" x="${(x(i) - barW / 2).toFixed(1)}" y="${y.toFixed(1)}" width="${barW.toFixed(1)}" height="${Math.max(0, h).toFixed(1)}" rx="2"><title>${esc(tip)}</title></rect>`);
  });
  // target line
  const yt = yP(targetPercent);
  parts.push(`<line class="target" x1="${PAD.l}" x2="${W - PAD.r}" y1="${yt.toFixed(1)}" y2="${yt.toFixed(1)}"/>`);
  parts.push(`<text class="target-label" x="${W - PAD.r - 4}" y="${(yt - 5).toFixed(1)}" text-anchor="end">${esc(t("chart.target"))} ${esc(fmt(targetPercent))}%</text>`);
  // percent line: connect consecutive days that have a value
  let path = "";
  let prev = false;
  rows.forEach((r, i) => {
    if (r.percent === undefined || r.percent === null) { prev = false; return; }
    path += `${prev ? "L" : "M"}${x(i).toFixed(1)},${yP(r.percent).toFixed(1)}`;
    prev = true;
  });
  if (path) parts.push(`<path class="pct-line" d="${path}"/>`);
  rows.forEach((r, i) => {
    if (r.percent === undefined || r.percent === null) return;
    parts.push(`<circle class="pct-dot" cx="${x(i).toFixed(1)}" cy="${yP(r.percent).toFixed(1)}" r="3.5"><title>${esc(`${r.day}: ${fmt(r.percent, 2)}%`)}</title></circle>`);
  });
  // x labels (at most ~10)
  const fits = Math.max(2, Math.floor(iw / 52)); // a label is about 45 px wide
  const every = Math.max(1, Math.ceil(rows.length / fits));
  rows.forEach((r, i) => {
    const last = i === rows.length - 1;
    if (i % every !== 0 && !last) return;
    if (!last && i % every === 0 && rows.length - 1 - i < every && every > 1) return; // keep clear of the last label
    const d = new Date(`${r.day}T12:00:00`);
    const text = d.toLocaleDateString(lang, { day: "numeric", month: "short" });
    parts.push(`<text class="axis axis-x" x="${x(i).toFixed(1)}" y="${H - PAD.b + 16}" text-anchor="middle">${esc(text)}</text>`);
  });
  parts.push(`<line class="baseline" x1="${PAD.l}" x2="${W - PAD.r}" y1="${PAD.t + ih}" y2="${PAD.t + ih}"/>`);
  parts.push("</svg>");
  return parts.join("");
}
