// The posko dashboard: log in, pick an event, watch its status live, act on it.

import { ApiError, get, getSession, login, newest, setSession, whenUnauthorized } from "./api.js";
import { chartSvg, localDay } from "./chart.js";
import { applyStatic, fmt, fmtDate, fmtTime, getLang, label, setLang, t } from "./i18n.js";
import { fieldPhones } from "./lan.js";
import { Live } from "./live.js";
import { Duplicates } from "./duplicates.js";
import { Logistik } from "./logistik.js";
import { Tracing } from "./tracing.js";
import { Ops } from "./ops.js";
import { Office } from "./office.js";
import { Accounts, accountsButton } from "./accounts.js";
import { Reports } from "./downloads.js";
import { applyWidths, esc, feedHtml, indicatorHtml, needsHtml, peopleHtml, sheltersHtml } from "./render.js";
import { ShelterNeeds } from "./shelter_needs.js";
import { todayHtml } from "./today.js";
import { UnmetList } from "./grouped_unmet.js";
import { computedAt } from "./words.js";

const $ = (id) => document.getElementById(id);
const EVENT_KEY = "posko.dashboard.event";
const REFRESH_DELAY_MS = 2000; // unmet list, feed and shelter list follow the snapshot at most this often

const state = {
  events: [],
  eventId: null,
  event: null,
  snapshot: null,
  items: {},
  shelterInfo: {}, // id → the shelter as GET /shelters gives it (closed_at, kind, version)
  feed: { loaded: false, items: [], mode: "field" },
  reportDaily: null,
  kelurahanNames: null, // code → name, for displaced persons per kelurahan
  live: null,
  painted: false,
  openToken: 0,
};

const rendered = new Map(); // element id → last HTML (skip identical updates)
function put(id, html) {
  if (rendered.get(id) === html) return;
  rendered.set(id, html);
  const el = $(id);
  el.innerHTML = html;
  applyWidths(el);
}

function role() { return getSession()?.role; }
function isOperator() { return role() === "admin" || role() === "posko"; }
function seesNames() { return role() !== "pengamat"; }

function toast(message, kind = "info") {
  const el = $("toast");
  el.textContent = message;
  el.className = `toast toast--${kind}`;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, 4000);
}

function errorText(err) {
  if (err instanceof ApiError) return err.status === 0 ? t("err.network") : `${t("err.generic")}: ${err.readable}`;
  return `${t("err.generic")}: ${err?.message || err}`;
}

// ---- views ----

function showView(name) {
  $("booting").hidden = true;
  for (const v of ["login", "picker", "dash", "office"]) $(`view-${v}`).hidden = v !== name;
  const signedIn = name !== "login";
  $("who").hidden = !signedIn;
  $("logout").hidden = !signedIn;
  $("topbar-event").hidden = !signedIn || state.events.length === 0;
  $("live").hidden = name !== "dash";
  fieldPhones(signedIn && isOperator());
  $("office-open").hidden = !signedIn || name === "office" || !Office.allowed(role());
  accountsButton(signedIn && role() === "admin");
  document.body.dataset.view = name;
}

function renderWho() {
  const s = getSession();
  if (!s) return;
  $("who").innerHTML = `<span class="who-name">${esc(s.fullName || s.username)}</span> <span class="who-role">${esc(t(`role.${s.role}`))}</span>`;
}

// ---- login ----

async function onLogin(ev) {
  ev.preventDefault();
  const username = $("login-username").value.trim();
  const password = $("login-password").value;
  const errEl = $("login-error");
  errEl.hidden = true;
  if (!username || !password) {
    errEl.textContent = t("auth.needBoth");
    errEl.hidden = false;
    return;
  }
  const btn = $("login-submit");
  btn.disabled = true;
  btn.textContent = t("auth.signingIn");
  try {
    const tok = await login(username, password);
    setSession({ token: tok.access_token, role: tok.role, username, expiresAt: Date.now() + tok.expires_in * 1000 });
    $("login-password").value = "";
    get("/auth/me").then((me) => {
      setSession({ ...getSession(), fullName: me.full_name });
      renderWho();
    }).catch(() => {});
    await afterLogin();
  } catch (err) {
    errEl.textContent = err instanceof ApiError && err.status === 401 ? t("auth.wrong")
      : err instanceof ApiError && err.status === 429 ? t("auth.throttled") : errorText(err);
    errEl.hidden = false;
  } finally {
    btn.disabled = false;
    btn.textContent = t("auth.submit");
  }
}

function logout(message) {
  closeEvent();
  setSession(null);
  try { sessionStorage.removeItem(EVENT_KEY); } catch { /* ignore */ }
  history.replaceState(null, "", location.pathname);
  state.events = [];
  showView("login");
  const errEl = $("login-error");
  if (message) {
    errEl.textContent = message;
    errEl.hidden = false;
  } else {
    errEl.hidden = true;
  }
  $("login-username").focus();
}

// ---- events ----

function hashEvent() {
  const m = location.hash.match(/event=([\w-]+)/);
  return m ? m[1] : null;
}

async function loadEvents() {
  const page = await get("/events?limit=500");
  state.events = page.items.slice().sort((a, b) =>
    (a.status === "selesai") - (b.status === "selesai") || b.started_at.localeCompare(a.started_at));
  renderEventChoices();
}

function renderEventChoices() {
  const sel = $("event-select");
  sel.innerHTML = `<option value="">${esc(t("event.pick"))}…</option>` + state.events.map((e) =>
    `<option value="${esc(e.id)}" ${e.id === state.eventId ? "selected" : ""}>${esc(e.name)}${e.status === "selesai" ? ` (${esc(label("status", "selesai"))})` : ""}</option>`).join("");
  $("topbar-event").hidden = state.events.length === 0 || $("view-login").hidden === false;
  const list = $("picker-list");
  if (!state.events.length) {
    list.innerHTML = `<p class="muted">${esc(t("event.none"))}</p>`;
  } else {
    list.innerHTML = state.events.map((e) => `<button type="button" class="card event-card status--${esc(e.status)}" data-event="${esc(e.id)}">
        <span class="event-card-name">${esc(e.name)}</span>
        <span class="event-card-meta">${esc(label("kind", e.kind))} · <span class="badge badge-status status-${esc(e.status)}">${esc(label("status", e.status))}</span></span>
        <span class="event-card-meta muted">${esc(t("event.started"))} ${esc(fmtDate(e.started_at))} · ${esc(fmt(e.data_seq))} ${esc(t("event.dataSeq"))}</span>
      </button>`).join("");
  }
  $("picker-new-event").hidden = !isOperator();
}

async function afterLogin() {
  renderWho();
  showView("picker");
  try {
    await loadEvents();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    $("picker-list").innerHTML = `<p class="note note-bad">${esc(errorText(err))}</p>`;
    return;
  }
  if (document.body.dataset.view === "office") return; // "Data kantor" was opened while the events loaded
  let wanted = hashEvent();
  if (!wanted) {
    try { wanted = sessionStorage.getItem(EVENT_KEY); } catch { wanted = null; }
  }
  if (wanted && state.events.some((e) => e.id === wanted)) await openEvent(wanted);
  else if (state.events.length === 1) await openEvent(state.events[0].id);
  else showView("picker");
}

function closeEvent() {
  state.live?.stop();
  state.live = null;
  $("stale-banner").hidden = true;
  delete document.body.dataset.live;
  state.eventId = null;
  state.event = null;
  state.snapshot = null;
  logistik.close();
  state.shelterInfo = {};
  state.reportDaily = null;
  unmetList.reset();
  shelterNeeds.closeSheet();
  state.feed = { loaded: false, items: [], mode: state.feed.mode };
  clearTimeout(refreshTimer);
  rendered.clear();
}

async function loadItems() {
  if (Object.keys(state.items).length) return;
  try {
    const cached = JSON.parse(sessionStorage.getItem("posko.items") || "null");
    if (cached) { state.items = cached; return; }
  } catch { /* ignore */ }
  const page = await get("/items?limit=500");
  state.items = Object.fromEntries(page.items.map((i) => [i.code, i]));
  try { sessionStorage.setItem("posko.items", JSON.stringify(state.items)); } catch { /* ignore */ }
}

async function loadKelurahanNames() {
  // Names for the per-kelurahan counts (shelter residents and mandiri persons); codes until they arrive.
  if (state.kelurahanNames) return;
  try {
    const page = await get("/regions?level=kelurahan&limit=500");
    state.kelurahanNames = Object.fromEntries(page.items.map((r) => [r.code, r.name]));
    renderDash();
  } catch { /* codes stay */ }
}

async function openEvent(eventId) {
  closeEvent();
  const token = ++state.openToken;
  state.eventId = eventId;
  try { sessionStorage.setItem(EVENT_KEY, eventId); } catch { /* ignore */ }
  history.replaceState(null, "", `#event=${eventId}`);
  $("event-select").value = eventId;
  showView("dash");
  $("event-name").textContent = state.events.find((e) => e.id === eventId)?.name || "…";
  let event;
  let snap;
  try {
    [event, snap] = await Promise.all([get(`/events/${eventId}`), get(`/events/${eventId}/status`), loadItems()]);
  } catch (err) {
    if (token !== state.openToken) return;
    if (err instanceof ApiError && err.status === 401) return;
    $("event-meta").textContent = err instanceof ApiError && err.status === 404 ? t("event.notFound") : errorText(err);
    return;
  }
  if (token !== state.openToken) return;
  state.event = event;
  state.snapshot = snap;
  rememberDay(snap);
  renderDash();
  logistik.open(event, isOperator(), state.items);
  logistik.update(snap);
  loadKelurahanNames();
  if (!state.painted) {
    state.painted = true;
    performance.mark("posko:snapshot-rendered");
  }
  document.body.dataset.eventId = eventId;
  state.live = new Live({
    eventId,
    lastSeq: snap.seq,
    onSnapshot: (data) => onSnapshot(eventId, data),
    onNotice: (msg) => { if (eventId === state.eventId) tracing.notice(msg); },
    onState: renderLive,
    onRefused: (reason) => {
      if (/token|akun|account/i.test(reason)) {
        logout(t("auth.expired"));
        return;
      }
      renderLive(state.live);
      toast(reason, "bad");
    },
  }).start();
  window.poskoDashboard.live = state.live;
  // Everything below follows the first paint.
  loadShelters();
  unmetList.load(0);
  loadFeed();
  loadReportDaily();
  if (isOperator()) ops.open(event);
  else $("ops").hidden = true;
  reports.open(event);
  dups.canDecide = isOperator();
  dups.open(event.id, seesNames());
  tracing.open(event.id, seesNames());
}

// ---- snapshots ----

function onSnapshot(eventId, data) {
  if (eventId !== state.eventId || !data) return;
  const before = state.snapshot;
  if (before && data.seq <= before.seq) return;
  state.snapshot = data;
  rememberDay(data);
  scheduleRender();
  logistik.update(data);
  if (!before || before.data_seq !== data.data_seq || before.seq === 0) scheduleRefresh();
}

let renderTimer = null;
function scheduleRender() {
  if (renderTimer) return;
  renderTimer = setTimeout(() => { renderTimer = null; renderDash(); }, 60);
}

let refreshTimer = null;
let lastRefresh = 0;
function scheduleRefresh() {
  if (refreshTimer) return;
  const wait = Math.max(150, REFRESH_DELAY_MS - (Date.now() - lastRefresh));
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    lastRefresh = Date.now();
    loadShelters();
    unmetList.load();
    loadFeed();
    refreshEvent();
  }, wait);
}

/** Re-read the event (status, version): another operator may have changed it. */
async function refreshEvent() {
  const id = state.eventId;
  try {
    const event = await get(`/events/${id}`);
    if (id !== state.eventId || !state.event) return;
    if (event.version !== state.event.version || event.status !== state.event.status) await eventChanged(event);
  } catch { /* keep what we have */ }
}

async function eventChanged(event) {
  state.event = event;
  const i = state.events.findIndex((e) => e.id === event.id);
  if (i >= 0) state.events[i] = event;
  renderEventChoices();
  renderDash();
  if (isOperator()) ops.eventUpdated();
}

function dailyKey(eventId) { return `posko.daily.${eventId}`; }

/** Keep the latest snapshot of each local day seen by this browser (the chart's own history). */
function rememberDay(snap) {
  if (!snap?.as_of) return;
  const key = dailyKey(snap.event_id);
  let days = {};
  try { days = JSON.parse(localStorage.getItem(key) || "{}"); } catch { days = {}; }
  const day = localDay(snap.as_of);
  const prev = days[day];
  if (prev && prev.as_of >= snap.as_of) return;
  days[day] = { displaced: snap.people?.displaced_now ?? 0, percent: snap.indicator?.percent ?? null, as_of: snap.as_of };
  const keys = Object.keys(days).sort();
  while (keys.length > 120) delete days[keys.shift()];
  try { localStorage.setItem(key, JSON.stringify(days)); } catch { /* storage full: the chart keeps today */ }
}

function chartPoints() {
  let days = {};
  try { days = JSON.parse(localStorage.getItem(dailyKey(state.eventId)) || "{}"); } catch { days = {}; }
  const points = {};
  if (state.reportDaily) {
    for (const d of state.reportDaily) points[d.date] = { displaced: d.displaced, percent: d.fulfilled_percent };
  }
  for (const [day, p] of Object.entries(days)) {
    if (!points[day] || !state.reportDaily || day === localDay(state.snapshot?.as_of)) points[day] = p;
  }
  return points;
}

async function loadReportDaily() {
  // The report's day-by-day series without names (GET /events/{id}/daily): every role may draw it,
  // and reading it leaves no audit entry. Cached for a few minutes: past days do not change.
  const eventId = state.eventId;
  const cacheKey = `posko.report-daily.${eventId}`;
  try {
    const cached = JSON.parse(sessionStorage.getItem(cacheKey) || "null");
    if (cached && Date.now() - cached.at < 10 * 60 * 1000) {
      state.reportDaily = cached.daily;
      if (cached.daily) renderChart();
      return;
    }
  } catch { /* ignore */ }
  let daily = null;
  try {
    const series = await get(`/events/${eventId}/daily`);
    if (Array.isArray(series?.items)) daily = series.items.filter((d) => d && d.date);
  } catch {
    // No report endpoint (yet), or not allowed: the chart keeps the browser's own history.
  }
  try { sessionStorage.setItem(cacheKey, JSON.stringify({ at: Date.now(), daily })); } catch { /* ignore */ }
  if (eventId !== state.eventId || !daily) return;
  state.reportDaily = daily;
  renderChart();
}

// ---- rendering ----

function renderDash() {
  const snap = state.snapshot;
  const event = state.event;
  if (!snap || !event) return;
  $("event-name").textContent = event.name;
  const kel = event.kelurahan_codes?.length ?? 0;
  $("event-meta").innerHTML = `${esc(label("kind", event.kind))} · <span class="badge badge-status status-${esc(event.status)}" id="event-status" data-value="${esc(event.status)}">${esc(label("status", event.status))}</span> · ${esc(t("event.started"))} ${esc(fmtDate(event.started_at))}${event.ended_at ? ` · ${esc(t("event.ended"))} ${esc(fmtDate(event.ended_at))}` : ""} · ${esc(fmt(kel))} kelurahan`;
  put("indicator", indicatorHtml(snap));
  put("people", peopleHtml(snap, state.kelurahanNames));
  put("needs", needsHtml(snap, state.items));
  put("shelters", sheltersHtml(snap, state.shelterInfo));
  put("today", todayHtml(snap));
  shelterNeeds.render();
  if (unmetList.page.loaded) unmetList.render();
  renderChart();
  renderFreshness();
  document.body.dataset.seq = String(snap.seq);
  document.body.dataset.dataSeq = String(snap.data_seq);
}

function renderChart() {
  const snap = state.snapshot;
  const event = state.event;
  if (!snap || !event) return;
  const points = chartPoints();
  const first = localDay(event.started_at);
  const last = localDay(event.ended_at && event.ended_at < snap.as_of ? event.ended_at : snap.as_of);
  const target = snap.indicator?.target_percent ?? 100;
  const legend = `<div class="legend"><span class="lg lg-bar"></span>${esc(t("chart.displaced"))}
      <span class="lg lg-line"></span>${esc(t("chart.percent"))}
      <span class="lg lg-target"></span>${esc(t("chart.target"))}</div>`;
  const note = `<p class="muted chart-note">${esc(state.reportDaily ? t("chart.noteReport") : t("chart.noteLocal"))}</p>`;
  const width = $("chart").clientWidth || 640;
  put("chart", legend + chartSvg(points, first, last, target, width) + note);
}

function renderFreshness() {
  const snap = state.snapshot;
  if (!snap) return;
  // plain words: when the figures were computed; the counters stay as data for tests and tools, not as text
  $("freshness").innerHTML = `<span id="computed-at" title="${esc(fmtTime(snap.as_of, true, true))}">${esc(computedAt(snap.as_of))}</span><span id="data-seq" data-value="${snap.data_seq}" data-seq="${snap.seq}" hidden></span>`;
}

function renderLive(live) {
  const el = $("live");
  if (!live) {
    el.dataset.state = "idle";
    el.textContent = "";
    return;
  }
  let st = live.state;
  let text;
  if (st === "stale" && !navigator.onLine) text = t("live.offline");
  else text = t(`live.${st}`);
  if ((st === "reconnecting" || st === "stale") && live.retryAt) {
    const s = Math.max(0, Math.ceil((live.retryAt - Date.now()) / 1000));
    text += ` · ${t("live.retryIn", { s })}`;
  }
  if (st === "idle") st = "stale";
  if (el.dataset.state !== st) $("live-sr").textContent = t(`live.${st}`);
  el.dataset.state = st;
  el.className = `live live--${st}`;
  el.innerHTML = `<span class="live-dot" aria-hidden="true"></span><span class="live-text">${esc(text)}</span>`;
  el.title = t(`live.title.${st === "connecting" ? "reconnecting" : st}`);
  const banner = $("stale-banner");
  banner.hidden = st !== "stale";
  if (st === "stale" && state.snapshot) {
    banner.textContent = t("live.banner", { t: fmtTime(state.snapshot.as_of, true, true) });
  }
  document.body.dataset.live = st;
}

// ---- shelters, unmet, feed ----

async function loadShelters() {
  const eventId = state.eventId;
  try {
    const page = await get(`/events/${eventId}/shelters?limit=500`);
    if (eventId !== state.eventId) return;
    state.shelterInfo = Object.fromEntries(page.items.map((s) => [s.id, s]));
    if (state.snapshot) put("shelters", sheltersHtml(state.snapshot, state.shelterInfo));
    if (isOperator()) ops.renderShelters(page.items);
  } catch { /* the table keeps the snapshot's view */ }
}

async function loadFeed() {
  const eventId = state.eventId;
  const mode = role() === "admin" ? state.feed.mode : "field";
  $("feed-tabs").hidden = role() !== "admin";
  for (const b of document.querySelectorAll("#feed-tabs .tab")) b.setAttribute("aria-selected", String(b.dataset.feed === mode));
  try {
    let items;
    if (mode === "audit") {
      const rows = await newest(`/events/${eventId}/audit`, 15);
      items = rows.map((r) => ({ kind: "audit", ...r }));
    } else {
      const [dists, persons] = await Promise.all([
        newest(`/events/${eventId}/distributions`, 10),
        seesNames() ? newest(`/events/${eventId}/persons`, 10, state.snapshot?.people?.registered) : Promise.resolve([]),
      ]);
      items = [
        ...dists.map((d) => ({ kind: "distribution", row: d, created: d.created_at, at: d.delivered_at })),
        ...persons.map((p) => ({ kind: "person", row: p, created: p.created_at, at: p.registered_at })),
      ].sort((a, b) => b.created.localeCompare(a.created) || b.at.localeCompare(a.at)).slice(0, 12);
    }
    if (eventId !== state.eventId) return;
    state.feed = { loaded: true, items, mode };
  } catch (err) {
    if (eventId !== state.eventId) return;
    state.feed = { loaded: true, items: [], mode, error: errorText(err) };
  }
  renderFeed();
}

function renderFeed() {
  const shelters = {};
  for (const s of state.snapshot?.shelters || []) shelters[s.id] = s;
  put("feed", feedHtml(state.feed, { names: seesNames(), shelters, items: state.items }));
}

// ---- operator panel ----

const ops = new Ops({
  state,
  toast,
  errorText,
  onEventChanged: eventChanged,
  refreshEvent,
  onEventCreated: async (event) => {
    await loadEvents();
    await openEvent(event.id);
  },
  onSheltersChanged: () => loadShelters(),
});

const dups = new Duplicates({ toast, errorText, canDecide: false });
const office = new Office({ toast });
const reports = new Reports();
const accounts = new Accounts();

const unmetList = new UnmetList({
  context: () => ({ eventId: state.eventId, snapshot: state.snapshot, seesNames: seesNames(), items: state.items,
                    kelurahanNames: state.kelurahanNames }),
  errorText,
  put,
});

const shelterNeeds = new ShelterNeeds({
  context: () => ({ snapshot: state.snapshot, items: state.items, eventName: state.event?.name }),
  put,
});
const logistik = new Logistik({ toast, errorText });
const tracing = new Tracing({ toast, errorText, role });

// ---- wiring ----

function rerenderAll() {
  applyStatic();
  for (const b of document.querySelectorAll(".lang-btn")) b.setAttribute("aria-pressed", String(b.dataset.lang === getLang()));
  rendered.clear();
  renderWho();
  renderEventChoices();
  if (state.snapshot) {
    renderDash();
    unmetList.render();
    renderFeed();
    renderLive(state.live);
    if (isOperator() && state.event) ops.rerender();
    dups.rerender();
    reports.rerender();
    logistik.update(state.snapshot);
    tracing.rerender();
  }
  accounts.rerender();
}

function boot() {
  window.poskoDashboard = { state, live: null };
  applyStatic();
  for (const b of document.querySelectorAll(".lang-btn")) {
    b.setAttribute("aria-pressed", String(b.dataset.lang === getLang()));
    b.addEventListener("click", () => { setLang(b.dataset.lang); rerenderAll(); });
  }
  $("login-form").addEventListener("submit", onLogin);
  $("logout").addEventListener("click", () => logout());
  $("event-select").addEventListener("change", (ev) => {
    if (ev.target.value) openEvent(ev.target.value);
    else { closeEvent(); showView("picker"); }
  });
  $("picker-list").addEventListener("click", (ev) => {
    const card = ev.target.closest("[data-event]");
    if (card) openEvent(card.dataset.event);
  });
  unmetList.bind();
  shelterNeeds.bind();
  $("feed-tabs").addEventListener("click", (ev) => {
    const b = ev.target.closest("[data-feed]");
    if (!b) return;
    state.feed = { loaded: false, items: [], mode: b.dataset.feed };
    renderFeed();
    loadFeed();
  });
  $("picker-new-event").addEventListener("click", () => ops.openEventDialog());
  ops.bind();
  dups.bind();
  office.bind();
  $("office-open").addEventListener("click", () => { closeEvent(); showView("office"); office.open(role()); });
  $("office-back").addEventListener("click", () => showView("picker"));
  reports.bind();
  accounts.bind();
  logistik.bind();
  tracing.bind();
  whenUnauthorized(() => logout(t("auth.expired")));
  setInterval(() => { if (state.live && state.live.state !== "live") renderLive(state.live); }, 1000);
  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(renderChart, 150);
  });
  window.addEventListener("hashchange", () => {
    const id = hashEvent();
    if (id && id !== state.eventId && getSession()) openEvent(id);
  });
  const s = getSession();
  if (s && (!s.expiresAt || s.expiresAt > Date.now() + 5000)) {
    afterLogin();
  } else {
    if (s) setSession(null);
    showView("login");
  }
}

boot();
