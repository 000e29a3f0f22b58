// Today's permakanan beside the event-wide figure, with the one-line SPM rule that explains why the
// event-wide percentage does not rise with today's delivery (indicator.today from the worker's snapshot).

import { fmt, fmtPercent } from "./i18n.js";
import { esc } from "./render.js";
import { w } from "./words.js";

export function todayHtml(snap) {
  const today = snap?.indicator?.today?.permakanan;
  const whole = snap?.indicator?.services?.permakanan;
  if (!today || !whole) return "";
  const wholePct = whole.eligible ? (whole.fulfilled / whole.eligible) * 100 : null;
  const todayFig = today.eligible
    ? `<b>${esc(fmtPercent(today.percent, 0))}</b> <span class="muted">${esc(w("t.of", { f: fmt(today.fulfilled), e: fmt(today.eligible) }))}</span>`
    : `<span class="muted">${esc(w("t.none"))}</span>`;
  return `<div class="today-box" id="today-permakanan" data-value="${today.percent ?? ""}" data-event-value="${wholePct === null ? "" : wholePct.toFixed(2)}">
    <div class="today-figs">
      <div class="today-fig" id="today-fig"><span class="today-label">${esc(w("t.today"))}</span> ${todayFig}</div>
      <div class="today-fig" id="event-fig"><span class="today-label">${esc(w("t.event"))}</span>
        <b>${esc(fmtPercent(wholePct, 0))}</b> <span class="muted">${esc(w("t.of", { f: fmt(whole.fulfilled), e: fmt(whole.eligible) }))}</span></div>
    </div>
    <p class="today-rule" id="today-rule">${esc(w("t.rule"))}</p>
  </div>`;
}
