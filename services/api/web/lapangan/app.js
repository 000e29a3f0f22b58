// TAGANA field app: register households and persons, stays, distributions and services, offline first.
// Every record gets its client UUID when it is created and waits in IndexedDB until the server answers.

import * as api from "./api.js";
import { t, getLang, setLang, formatDateTime } from "./i18n.js";
import { kkProblem, nikBirthDate, nikDisagreesWithBirthDate, nikProblem, nikSex } from "./nik.js";
import { matchLocal, matchQuery, matchServer } from "./match.js";
import * as store from "./store.js";
import { tracingView, tw } from "./tracing.js";
import { startSyncLoop, syncNow, syncState, status as syncStatus } from "./sync.js";
import { stockView } from "./stok.js";

const EVENT_KEY = "posko.lapangan.event";
const VULNERABILITIES = ["ibu_hamil", "ibu_menyusui", "disabilitas"];
// A child (under 18) separated from their usual caregivers, or with no adult at all: both make penanganan
// khusus due and open a tracing request for the family on the server. Offered only once the age says child.
const CHILD_FLAGS = ["terpisah", "tanpa_pendamping"];
const CONDITIONS = ["selamat", "luka", "hilang", "meninggal"];
const SERVICE_KINDS = ["penanganan_khusus", "psikososial"];
const TABS = ["daftar", "orang", "dicari", "bantuan", "stok", "kiriman"];
const FAMILY_SHELTER = "="; // a member's shelter choice "the family's" (registration form only)
const LINKS_KEY = "family_links"; // "add to this family" waiting for its household to reach the server

const state = {
  screen: "loading",
  user: null,
  events: [],
  event: null,
  shelters: [],
  regions: [],
  kecamatan: {},
  items: [],
  dailyItems: new Set(),
  records: [],
  tab: "daftar",
  household: newHouseholdDraft(),
  search: { q: "", results: null, source: null, busy: false, error: null },
  personId: null,
  personView: null,
  distribution: newDistributionDraft(),
  editing: null,
  loginError: null,
  notice: null,
};

// ---- small helpers ----

export function uuid() {
  if (globalThis.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16)); // non-secure origins have no randomUUID
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, "0")).join("");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** Now as ISO 8601 with the phone's own offset, e.g. 2026-11-29T13:05:00.000+07:00. */
export function isoNow(d = new Date()) {
  const pad = (n, w = 2) => String(Math.abs(n)).padStart(w, "0");
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? "+" : "-";
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:` +
    `${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}${sign}${pad(Math.trunc(off / 60))}:${pad(off % 60)}`;
}

function today() { return isoNow().slice(0, 10); }

let idCounter = 0;
function nextId(prefix) { idCounter += 1; return `${prefix}-${idCounter}`; }

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  let value;
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "value") value = v;
    else if (k === "checked" || k === "disabled" || k === "selected") el[k] = Boolean(v);
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  if (value !== undefined) el.value = value;
  return el;
}

function toast(message, kind = "info") {
  const box = document.getElementById("toast");
  if (!box) return;
  const item = h("div", { class: `toast toast-${kind}` }, message);
  box.append(item);
  setTimeout(() => item.remove(), 5000);
}

function shelterName(id) {
  if (id === MANDIRI) return t("mandiri_option");
  const s = state.shelters.find((x) => x.id === id);
  return s ? s.name : t("unknown_shelter");
}

function itemOf(code) { return state.items.find((i) => i.code === code); }

function regionName(code) {
  const r = state.regions.find((x) => x.code === code);
  return r ? r.name : code;
}

function openShelters() {
  const now = Date.now();
  return state.shelters.filter((s) => !s.closed_at || Date.parse(s.closed_at) > now);
}

function enumLabel(group, value) { return t(`${group}.${value}`); }

function ageText(p) {
  if (typeof p.age_months === "number") return t("age_months_short", { n: p.age_months });
  if (p.birth_date && p.age === undefined) {
    const months = monthsOld(p.birth_date);
    if (months < 24) return t("age_months_short", { n: months });
  }
  if (p.age !== undefined && p.age !== null) return t("age_years_short", { n: p.age });
  if (p.age_years !== undefined && p.age_years !== null && p.age_years !== "") return t("age_years_short", { n: p.age_years });
  if (p.birth_date) {
    const b = new Date(p.birth_date);
    const n = new Date();
    let age = n.getFullYear() - b.getFullYear();
    if (n.getMonth() < b.getMonth() || (n.getMonth() === b.getMonth() && n.getDate() < b.getDate())) age -= 1;
    return t("age_years_short", { n: Math.max(0, age) });
  }
  return null;
}

/** Completed years of a member being typed (birth date or age in years), or null while unknown. */
function typedAgeYears(m) {
  if (m.age_mode === "age") {
    const n = Number(m.age_years);
    return m.age_years !== "" && m.age_years !== undefined && m.age_years !== null && Number.isInteger(n) && n >= 0 ? n : null;
  }
  if (!m.birth_date || !/^\d{4}-\d{2}-\d{2}$/.test(m.birth_date)) return null;
  return Math.floor(monthsOld(m.birth_date) / 12);
}

/** Completed months from a birth date to today (a baby registered on this phone, not yet from the server). */
function monthsOld(birthDate) {
  const b = new Date(birthDate);
  const n = new Date();
  const months = (n.getFullYear() - b.getFullYear()) * 12 + n.getMonth() - b.getMonth() - (n.getDate() < b.getDate() ? 1 : 0);
  return Math.max(0, months);
}

// ---- reference data: cached in IndexedDB, refreshed whenever the network answers ----

async function loadCaches() {
  state.events = (await store.kvGet("events")) || [];
  state.regions = (await store.kvGet("regions")) || [];
  state.kecamatan = (await store.kvGet("kecamatan")) || {};
  state.items = (await store.kvGet("items")) || [];
  const eid = localStorage.getItem(EVENT_KEY);
  state.event = state.events.find((e) => e.id === eid) || null;
  if (state.event) await loadEventCaches();
}

async function loadEventCaches() {
  state.shelters = (await store.kvGet(`shelters:${state.event.id}`)) || [];
  const standard = await store.kvGet(`standard:${state.event.standard_code}`);
  state.dailyItems = new Set((standard?.items || []).filter((i) => i.basis === "per_person_day").map((i) => i.code));
}

async function refreshEvents() {
  const events = await api.listAll("/events");
  state.events = events;
  await store.kvSet("events", events);
  if (state.event) {
    // The server's list is authoritative: an event the user is no longer a member of is dropped.
    state.event = events.find((e) => e.id === state.event.id) || null;
    if (!state.event) localStorage.removeItem(EVENT_KEY);
  }
  return events;
}

async function refreshReference() {
  const [regions, kecamatan, items] = await Promise.all([
    api.listAll("/regions", { level: "kelurahan" }),
    api.listAll("/regions", { level: "kecamatan" }),
    api.listAll("/items"),
  ]);
  state.regions = regions;
  state.kecamatan = Object.fromEntries(kecamatan.map((k) => [k.code, k.name]));
  state.items = items;
  await store.kvSet("regions", regions);
  await store.kvSet("kecamatan", state.kecamatan);
  await store.kvSet("items", items);
}

async function refreshEventData() {
  if (!state.event) return;
  const eid = state.event.id;
  const shelters = await api.listAll(`/events/${eid}/shelters`);
  await store.kvSet(`shelters:${eid}`, shelters);
  try {
    const versions = await api.request(`/standards/${encodeURIComponent(state.event.standard_code)}`);
    const latest = versions.reduce((a, b) => (b.version > a.version ? b : a), versions[0]);
    await store.kvSet(`standard:${state.event.standard_code}`, latest);
  } catch { /* the distribution form still works; the server says when a shelter is needed */ }
  if (state.event && state.event.id === eid) await loadEventCaches();
}

/** Refresh everything the app keeps for offline use; quiet when the network is away. */
async function refreshAll() {
  if (!api.session()) return;
  const before = referenceSignature();
  try {
    await refreshEvents();
    await refreshReference();
    await refreshEventData();
  } catch (err) {
    if (!(err instanceof api.NetworkError)) console.warn("refresh failed", err);
    return;
  }
  // Redraw only when something changed: a redraw keeps what was typed but moves the focus.
  if (referenceSignature() === before) return;
  if (state.screen === "main" && !state.event) { state.screen = "events"; render(); return; }
  if (state.screen === "main") renderMain();
  else if (state.screen === "events") render();
}

function referenceSignature() {
  return JSON.stringify([state.event, state.events.map((e) => [e.id, e.name, e.status]), state.regions.length,
                         state.items.map((i) => i.code), [...state.dailyItems],
                         state.shelters.map((s) => [s.id, s.name, s.closed_at, s.occupants])]);
}

async function refreshRecords() {
  state.records = await store.allRecords();
  renderSyncBar();
  if (state.screen === "main" && state.tab === "kiriman" && !state.editing) renderTab();
  if (state.screen === "main" && state.tab === "orang") updatePersonBadges();
}

function counts() {
  const c = { pending: 0, accepted: 0, rejected: 0 };
  for (const r of state.records) c[r.status] += 1;
  return c;
}

// ---- screens ----

function render() {
  const app = document.getElementById("app");
  document.documentElement.lang = getLang();
  document.title = t("app_title");
  app.replaceChildren();
  if (state.screen === "loading") app.append(h("p", { class: "loading" }, t("loading")));
  else if (state.screen === "login") app.append(loginScreen());
  else if (state.screen === "events") app.append(eventsScreen());
  else {
    app.append(mainScreen());
    renderSyncBar();
    renderTab();
  }
}

function langButton(long = false) {
  const other = getLang() === "id" ? "en" : "id";
  const label = long ? (other === "en" ? "English" : "Bahasa Indonesia") : other.toUpperCase();
  return h("button", {
    type: "button", class: "btn-lang", id: "lang", lang: other, "aria-label": t("switch_language"),
    title: t("switch_language"), onclick: () => { setLang(other); render(); },
  }, label);
}

function loginScreen() {
  const userId = nextId("u");
  const passId = nextId("p");
  const form = h("form", { class: "card login", novalidate: true },
    h("h1", {}, t("app_title")),
    h("p", { class: "muted" }, t("login_intro")),
    state.notice ? h("p", { class: "notice", role: "status" }, state.notice) : null,
    h("div", { class: "field" },
      h("label", { for: userId }, t("username")),
      h("input", { id: userId, name: "username", autocomplete: "username", autocapitalize: "none", required: true,
                   spellcheck: "false", value: state.loginUsername || "" })),
    h("div", { class: "field" },
      h("label", { for: passId }, t("password")),
      h("input", { id: passId, name: "password", type: "password", autocomplete: "current-password", required: true })),
    state.loginError ? h("p", { class: "error", role: "alert" }, state.loginError) : null,
    h("button", { type: "submit", class: "btn btn-primary btn-block" }, t("login")),
    h("div", { class: "login-foot" }, langButton(true)));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const username = form.elements.username.value.trim();
    const password = form.elements.password.value;
    state.loginUsername = username;
    if (!username || !password) { state.loginError = t("login_missing"); render(); return; }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    button.textContent = t("logging_in");
    try {
      state.user = await api.login(username, password);
      state.loginError = null;
      state.notice = null;
      await afterLogin();
    } catch (err) {
      state.loginError = err instanceof api.NetworkError ? t("login_offline")
        : err.status === 401 ? t("login_wrong") : err.message;
      render();
    }
  });
  return h("main", { class: "screen-login" }, form);
}

async function afterLogin() {
  state.screen = "events";
  render();
  try {
    await Promise.all([refreshEvents(), refreshReference()]);
  } catch { /* offline: the cached lists are shown */ }
  if (state.events.length === 1 && !state.event) {
    await chooseEvent(state.events[0]);
    return;
  }
  if (state.event) { state.screen = "main"; render(); refreshEventData().then(() => renderMain()).catch(() => {}); syncNow(); return; }
  render();
  syncNow();
}

function eventsScreen() {
  const list = h("ul", { class: "event-list" });
  for (const e of state.events) {
    list.append(h("li", {},
      h("button", { type: "button", class: "event-card", onclick: () => chooseEvent(e), dataset: { eventId: e.id },
                    "aria-current": state.event && state.event.id === e.id ? "true" : null },
        h("span", { class: "event-name" }, e.name),
        h("span", { class: "muted" }, `${enumLabel("kind", e.kind)} · ${enumLabel("status", e.status)}`),
        h("span", { class: "muted" }, t("started", { when: formatDateTime(e.started_at) })))));
  }
  return h("main", { class: "screen-events" },
    topBar(false),
    h("section", { class: "card" },
      h("h1", {}, t("choose_event")),
      state.events.length ? list : h("p", { class: "muted" }, navigator.onLine ? t("no_events") : t("no_events_offline")),
      h("button", { type: "button", class: "btn", onclick: async () => {
        try { await refreshEvents(); render(); } catch (err) { toast(errorMessage(err), "error"); }
      } }, t("reload_events"))),
    h("div", { id: "toast", class: "toasts", "aria-live": "polite" }));
}

async function chooseEvent(e) {
  const same = state.event && state.event.id === e.id;
  state.event = e;
  localStorage.setItem(EVENT_KEY, e.id);
  if (!same) { // a draft belongs to its event
    state.search = { q: "", results: null, source: null, busy: false, error: null };
    state.personId = null;
    state.distribution = newDistributionDraft();
    state.household = newHouseholdDraft();
  }
  await loadEventCaches();
  state.screen = "main";
  render();
  const before = referenceSignature();
  refreshEventData().then(() => { if (referenceSignature() !== before) renderMain(); }).catch(() => {});
}

function topBar(withEvent) {
  const s = api.session();
  const online = navigator.onLine && syncStatus.lastError !== "network";
  return h("header", { class: "topbar" },
    h("div", { class: "topbar-row" },
      h("span", { class: "brand" }, h("img", { src: "/static/lapangan/icon.svg", alt: "", width: 26, height: 26 }),
        h("span", {}, t("app_short"))),
      h("span", { id: "net", class: `pill ${online ? "pill-on" : "pill-off"}`, role: "status" },
        online ? t("online") : t("offline")),
      langButton()),
    h("div", { class: "topbar-row small" },
      withEvent && state.event
        ? h("button", { type: "button", class: "link event-switch", title: state.event.name,
                        "aria-label": `${t("change_event")}: ${state.event.name}`,
                        onclick: () => { state.screen = "events"; render(); } },
            h("span", { class: "event-title" }, state.event.name))
        : h("span", { class: "event-switch" }),
      h("span", { class: "who" }, h("span", { class: "who-name" }, s?.user ? (s.user.full_name || s.user.username) : ""),
        h("button", { type: "button", class: "link", id: "logout", onclick: logout }, t("logout")))));
}

/**
 * Logging out deletes the personal data on this phone. Records not sent yet are kept only when the user
 * confirms a warning that they stay here (with names and NIKs) until the next login; declining asks
 * whether to delete them, and declining that too cancels the logout.
 */
async function logout() {
  const pending = counts().pending;
  let keepPending = false;
  if (pending > 0) {
    keepPending = confirm(t("logout_keep_pending", { n: pending }));
    if (!keepPending && !confirm(t("logout_delete_pending", { n: pending }))) return;
  }
  try {
    await store.clearPersonalData({ keepPending });
    if (self.caches) await caches.delete("posko-lapangan-api-v1");
  } catch (err) {
    alert(t("logout_clear_failed", { error: String(err && err.message || err) }));
    return;
  }
  api.clearSession();
  localStorage.removeItem(EVENT_KEY);
  // A fresh page: nothing of this session (search results, drafts) stays in memory either.
  location.reload();
}

function mainScreen() {
  const nav = h("nav", { class: "tabs", "aria-label": t("menu") });
  for (const tab of TABS) {
    nav.append(h("button", {
      type: "button", class: "tab", id: `tab-${tab}`, "aria-current": state.tab === tab ? "page" : null,
      onclick: () => switchTab(tab),
    }, icon(tab), h("span", {}, t(`tab.${tab}`)),
    tab === "kiriman" ? h("span", { class: "badge", id: "tab-badge" }) : null));
  }
  return h("div", { class: "shell" },
    h("div", { class: "head" }, topBar(true), h("div", { id: "syncbar", class: "syncbar" })),
    h("main", { id: "view", class: "view", tabindex: "-1" }),
    h("div", { id: "toast", class: "toasts", "aria-live": "polite" }),
    nav);
}

// Small inline icons (no icon font, nothing fetched).
const ICON_PATHS = {
  daftar: "M15 19v-1.5A3.5 3.5 0 0 0 11.5 14h-5A3.5 3.5 0 0 0 3 17.5V19M9 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7zM19 8v6M22 11h-6",
  orang: "M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14zM21 21l-5-5",
  bantuan: "M3 8l9-5 9 5v8l-9 5-9-5zM3 8l9 5 9-5M12 13v8",
  kiriman: "M7 4v14M7 4 3 8M7 4l4 4M17 20V6M17 20l-4-4M17 20l4-4",
  stok: "M4 20h16M6 20V10h5v10M13 20V6h5v14",
  dicari: "M12 21s-7-6.5-7-11a7 7 0 0 1 14 0c0 4.5-7 11-7 11zM12 12a2 2 0 1 0 0-4 2 2 0 0 0 0 4z",
};

function icon(name) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "24");
  svg.setAttribute("height", "24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "tab-icon");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", ICON_PATHS[name]);
  path.setAttribute("fill", "none");
  path.setAttribute("stroke", "currentColor");
  path.setAttribute("stroke-width", "2");
  path.setAttribute("stroke-linecap", "round");
  path.setAttribute("stroke-linejoin", "round");
  svg.append(path);
  return svg;
}

function renderMain() {
  if (state.screen !== "main") return;
  if (!document.getElementById("view")) { render(); return; }
  const header = document.querySelector(".topbar");
  if (header) header.replaceWith(topBar(true));
  renderSyncBar();
  renderTab();
}

function switchTab(tab) {
  state.tab = tab;
  state.editing = null;
  for (const b of document.querySelectorAll(".tab")) {
    b.setAttribute("aria-current", b.id === `tab-${tab}` ? "page" : "false");
  }
  renderTab();
  document.getElementById("view")?.focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

function renderTab() {
  const view = document.getElementById("view");
  if (!view) return;
  const build = { daftar: householdView, orang: personsView, dicari: tracingTab, bantuan: distributionView,
                  kiriman: queueView,
                  stok: () => stockView({ h, state, uuid, isoNow, toast, syncNow, refreshRecords, openShelters, itemOf }) }[state.tab];
  view.replaceChildren(build());
}

function tracingTab() {
  return tracingView({ h, state, store, syncNow, request: api.request, uuid, toast, rerender: renderTab,
                       refresh: refreshRecords, kelurahanOptions });
}

function renderSyncBar() {
  const bar = document.getElementById("syncbar");
  if (!bar) return;
  const c = counts();
  const net = document.getElementById("net");
  const online = navigator.onLine && syncStatus.lastError !== "network";
  if (net) {
    net.className = `pill ${online ? "pill-on" : "pill-off"}`;
    net.textContent = online ? t("online") : t("offline");
  }
  const badge = document.getElementById("tab-badge");
  if (badge) {
    badge.textContent = c.rejected ? String(c.rejected) : c.pending ? String(c.pending) : "";
    badge.className = `badge ${c.rejected ? "badge-bad" : c.pending ? "badge-wait" : ""}`;
  }
  bar.replaceChildren(
    h("button", { type: "button", class: "counts", onclick: () => switchTab("kiriman"), "aria-label": t("open_queue") },
      h("span", { class: "count count-pending" }, h("b", { id: "count-pending" }, c.pending), h("span", {}, t("pending"))),
      h("span", { class: "count count-accepted" }, h("b", { id: "count-accepted" }, c.accepted), h("span", {}, t("accepted"))),
      h("span", { class: "count count-rejected" }, h("b", { id: "count-rejected" }, c.rejected), h("span", {}, t("rejected")))),
    h("button", { type: "button", id: "send-now", class: "btn btn-small", disabled: syncStatus.running,
                  onclick: () => { if (!navigator.onLine) toast(t("still_offline"), "warn"); syncNow(); } },
      syncStatus.running ? t("sending") : t("send_now")));
}

// ---- form pieces ----

/** A labelled control with an inline message under it; `check(value, typing)` returns an i18n key or null. */
function field(label, control, { required = false, hint = null, check = null, touched = false, hideLabel = false } = {}) {
  const id = control.id || nextId("f");
  control.id = id;
  const msg = h("p", { class: "field-msg", id: `${id}-msg`, "aria-live": "polite" });
  control.setAttribute("aria-describedby", `${id}-msg`);
  if (required) control.setAttribute("aria-required", "true");
  const show = (typing) => {
    const problem = check ? check(control.value, typing) : null;
    msg.textContent = problem ? t(problem) : hint ? (typeof hint === "function" ? hint(control.value) : hint) : "";
    msg.classList.toggle("error", Boolean(problem));
    control.setAttribute("aria-invalid", problem ? "true" : "false");
  };
  if (check) {
    control.addEventListener("input", () => show(true));
    control.addEventListener("blur", () => show(!control.value ? true : false));
    control.recheck = () => show(!touched);
  }
  show(!touched);
  return h("div", { class: "field" },
    h("label", { for: id, class: hideLabel ? "sr-only" : null }, label,
      required ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null),
    control, msg);
}

function textInput(obj, key, attrs = {}) {
  return h("input", { type: "text", value: obj[key] ?? "", ...attrs,
                      oninput: (e) => { obj[key] = e.target.value; } });
}

function selectInput(obj, key, options, attrs = {}) {
  const sel = h("select", { ...attrs, onchange: (e) => { obj[key] = e.target.value; attrs.after?.(e.target.value); } });
  for (const o of options) {
    if (o.group) {
      const g = h("optgroup", { label: o.group });
      for (const x of o.options) g.append(h("option", { value: x.value }, x.label));
      sel.append(g);
    } else {
      sel.append(h("option", { value: o.value }, o.label));
    }
  }
  sel.value = obj[key] ?? "";
  return sel;
}

function kelurahanOptions() {
  const eventCodes = new Set(state.event?.kelurahan_codes || []);
  const opts = [{ value: "", label: t("choose_optional") }];
  const inEvent = state.regions.filter((r) => eventCodes.has(r.code));
  if (inEvent.length) opts.push({ group: t("event_area"), options: inEvent.map((r) => ({ value: r.code, label: r.name })) });
  const byKec = new Map();
  for (const r of state.regions) {
    if (eventCodes.has(r.code)) continue;
    const k = r.parent_code || "";
    if (!byKec.has(k)) byKec.set(k, []);
    byKec.get(k).push({ value: r.code, label: r.name });
  }
  for (const [k, options] of byKec) opts.push({ group: state.kecamatan[k] ? `Kec. ${state.kecamatan[k]}` : k, options });
  return opts;
}

function shelterOptions(emptyLabel) {
  const opts = emptyLabel ? [{ value: "", label: emptyLabel }] : [];
  for (const s of openShelters()) {
    opts.push({ value: s.id, label: `${s.name} (${s.occupants ?? 0}/${s.capacity_persons})` });
  }
  return opts;
}

function checkNik(value, typing) { return nikProblem(value.trim(), { typing }); }
function checkKk(value, typing) { return kkProblem(value.trim(), { typing }); }

// ---- household registration ----

function newHouseholdDraft() {
  return { head_name: "", kk_number: "", kelurahan_code: "", address: "", shelter_id: "", members: [newMember()],
           submitted: false };
}

function newMember() {
  return { key: uuid(), full_name: "", name_edited: false, sex: "", age_mode: "birth", birth_date: "", age_years: "",
           nik: "", vulnerabilities: [], needs_psychosocial: false, condition: "selamat", shelter_id: FAMILY_SHELTER,
           nik_mismatch_confirmed: false, same: null, matches: null };
}

function memberProblems(m, family = null) {
  const p = {};
  if (m.same) return sameMemberProblems(m, family);
  if (!m.full_name.trim()) p.full_name = "required";
  if (!m.sex) p.sex = "required";
  const nik = nikProblem(m.nik.trim());
  if (nik) p.nik = nik;
  Object.assign(p, nikMismatchProblems(m));
  if (m.age_mode === "birth" && m.birth_date && m.birth_date > today()) p.birth_date = "date_future";
  if (m.age_mode === "age" && m.age_years !== "") {
    const n = Number(m.age_years);
    if (!Number.isInteger(n) || n < 0 || n > 130) p.age_years = "age_range";
  }
  return p;
}

function householdProblems(d) {
  const p = {};
  if (!d.head_name.trim()) p.head_name = "required";
  const kk = kkProblem(d.kk_number.trim());
  if (kk) p.kk_number = kk;
  return p;
}

/** The member fields, shared by the registration form and the editor of a rejected person. */
function memberFields(m, index, { onRemove = null, submitted = false, showShelter = true, family = null,
                                   onChange = null } = {}) {
  if (m.same) return sameMemberCard(m, index, { onRemove, submitted, family, onChange });
  // Checked live once the form was submitted: an error goes away as soon as the field is fixed.
  const req = (key) => (submitted ? () => memberProblems(m, family)[key] || null : null);
  const name = textInput(m, "full_name", { autocomplete: "off", maxlength: 200, name: "full_name" });
  name.addEventListener("input", () => { m.name_edited = true; });
  const sexGroup = nextId("sex");
  const sexWarning = h("p", { class: "field-msg warn", "aria-live": "polite" });
  const updateSexWarning = () => {
    const s = nikSex(m.nik.trim());
    sexWarning.textContent = s && m.sex && s !== m.sex ? t(s === "P" ? "nik_says_female" : "nik_says_male") : "";
  };
  const sex = h("fieldset", { class: "field radios tiles", "data-field": "sex" },
    h("legend", {}, t("sex"), h("span", { class: "req", "aria-hidden": "true" }, " *")),
    ...["L", "P"].map((v) => h("label", { class: "radio" },
      h("input", { type: "radio", name: sexGroup, value: v, checked: m.sex === v,
                   onchange: () => { m.sex = v; updateSexWarning(); } }),
      h("span", {}, enumLabel("sex", v)))),
    h("p", { class: "field-msg sex-msg", "aria-live": "polite" }));
  const sexMsg = sex.querySelector(".sex-msg");
  const showSexProblem = () => {
    const problem = submitted ? memberProblems(m, family).sex : null;
    sexMsg.textContent = problem ? t(problem) : "";
    sexMsg.classList.toggle("error", Boolean(problem));
  };
  showSexProblem();

  const ageBox = h("div", { class: "age-box" });
  const drawAge = () => {
    ageBox.replaceChildren(
      h("div", { class: "seg", role: "group", "aria-label": t("age_how") },
        h("button", { type: "button", class: "seg-btn", "aria-pressed": String(m.age_mode === "birth"),
                      onclick: () => { m.age_mode = "birth"; drawAge(); } }, t("birth_date")),
        h("button", { type: "button", class: "seg-btn", "aria-pressed": String(m.age_mode === "age"),
                      onclick: () => { m.age_mode = "age"; drawAge(); } }, t("age_years"))),
      m.age_mode === "birth"
        ? field(t("birth_date"), typedBirthDate(m), { check: req("birth_date"), touched: submitted, hideLabel: true })
        : field(t("age_years"), textInput(m, "age_years", { type: "number", min: 0, max: 130, step: 1, inputmode: "numeric",
                                                            name: "age_years" }),
            { check: req("age_years") || ((v) => (v !== "" && !(Number.isInteger(Number(v)) && Number(v) >= 0 && Number(v) <= 130) ? "age_range" : null)),
              touched: submitted, hideLabel: true }));
  };
  drawAge();

  const nikInput = textInput(m, "nik", { inputmode: "numeric", autocomplete: "off", maxlength: 20, name: "nik",
                                         class: "mono", placeholder: "16 digit" });
  const confirmBox = h("div", { class: "nik-confirm" });
  const drawConfirm = () => confirmBox.replaceChildren(nikMismatchConfirm(m));
  nikInput.addEventListener("input", () => {
    if (fillFromNik(m)) {
      drawAge();
      for (const r of sex.querySelectorAll("input[type=radio]")) r.checked = r.value === m.sex;
    }
    updateSexWarning();
  });
  const nikField = field(t("nik"), nikInput, {
    check: checkNik, touched: submitted,
    hint: (v) => (v.trim() ? t("nik_progress", { n: v.trim().length }) : t("nik_hint")),
  });
  updateSexWarning();
  drawConfirm();
  for (const r of sex.querySelectorAll("input[type=radio]")) r.addEventListener("change", () => { m.sex_from_nik = false; });

  // One checkbox per flag of m.vulnerabilities (the typed vulnerabilities, and the children's flags).
  const flagCheck = (v, name) => h("label", { class: "check" },
    h("input", { type: "checkbox", value: v, name, checked: m.vulnerabilities.includes(v),
                 onchange: (e) => {
                   m.vulnerabilities = e.target.checked ? [...new Set([...m.vulnerabilities, v])]
                     : m.vulnerabilities.filter((x) => x !== v);
                 } }),
    ` ${enumLabel("vuln", v)}`);
  const vuln = h("fieldset", { class: "field checks" }, h("legend", {}, t("vulnerabilities")),
    ...VULNERABILITIES.map((v) => flagCheck(v, "vulnerabilities")),
    h("label", { class: "check" },
      h("input", { type: "checkbox", name: "needs_psychosocial", checked: m.needs_psychosocial,
                   onchange: (e) => { m.needs_psychosocial = e.target.checked; } }),
      ` ${t("needs_psychosocial")}`));

  // The children's flags, shown while the typed age is under 18; an adult's age clears them.
  const childBox = h("div", { class: "child-flags" });
  const drawChildFlags = () => {
    const age = typedAgeYears(m);
    if (age === null || age >= 18) {
      if (m.vulnerabilities.some((v) => CHILD_FLAGS.includes(v))) {
        m.vulnerabilities = m.vulnerabilities.filter((v) => !CHILD_FLAGS.includes(v));
      }
      childBox.replaceChildren();
      return;
    }
    if (childBox.childElementCount) return;  // already drawn: keep the boxes the volunteer is clicking
    childBox.replaceChildren(h("fieldset", { class: "field checks" }, h("legend", {}, t("child_flags")),
      ...CHILD_FLAGS.map((v) => flagCheck(v, "child_flags")),
      h("p", { class: "hint" }, t("child_flags_hint"))));
  };
  drawChildFlags();

  const condition = selectInput(m, "condition", CONDITIONS.map((c) => ({ value: c, label: enumLabel("condition", c) })),
                                { name: "condition" });
  const shelter = showShelter ? memberShelterField(m, family) : null;
  const matchBox = family ? h("div", { class: "match-box", "aria-live": "polite" }) : null;

  const card = h("section", { class: "card member", dataset: { member: String(index) } },
    h("div", { class: "card-head" },
      h("h3", {}, t("member_n", { n: index + 1 })),
      onRemove ? h("button", { type: "button", class: "link danger", onclick: onRemove }, t("remove")) : null),
    field(t("full_name"), name, { required: true, check: req("full_name"), touched: submitted }),
    sex, sexWarning, ageBox, nikField, confirmBox, matchBox, vuln, childBox,
    field(t("condition"), condition),
    shelter);
  // Any change in the card re-checks every field of it (an error goes as soon as it is fixed, also one
  // fixed from another field: a NIK corrected clears the birth date's disagreement), and looks the
  // person up (find before register).
  const recheck = () => {
    for (const c of card.querySelectorAll("input,select")) c.recheck?.();
    showSexProblem();
    drawConfirm();
    drawChildFlags();
    if (matchBox) scheduleMatch(m, matchBox, () => onChange?.());
  };
  card.addEventListener("input", (ev) => { if (!ev.target.closest(".nik-confirm")) recheck(); });
  card.addEventListener("change", (ev) => { if (!ev.target.closest(".nik-confirm")) recheck(); });
  if (matchBox && m.matches) drawMatches(m, matchBox, () => onChange?.());
  return card;
}

function householdView() {
  const d = state.household;
  const req = (key) => (d.submitted ? () => householdProblems(d)[key] || null : null);
  const head = textInput(d, "head_name", { autocomplete: "off", maxlength: 200, name: "head_name" });
  head.addEventListener("input", () => {
    const first = d.members[0];
    if (first && !first.name_edited) {
      first.full_name = d.head_name;
      const input = document.querySelector('[data-member="0"] input[name=full_name]');
      if (input) { input.value = d.head_name; input.recheck?.(); }
    }
  });
  const members = h("div", { class: "members" });
  const drawMembers = () => {
    members.replaceChildren(...d.members.map((m, i) => memberFields(m, i, {
      submitted: d.submitted, family: d, onChange: drawMembers,
      onRemove: d.members.length > 1 ? () => { d.members.splice(i, 1); drawMembers(); } : null,
    })));
  };
  drawMembers();
  const form = h("form", { class: "stack", novalidate: true, id: "household-form" },
    h("h2", { tabindex: "-1" }, t("register_household")),
    h("section", { class: "card" },
      h("h3", {}, t("household")),
      field(t("head_name"), head, { required: true, check: req("head_name"), touched: d.submitted }),
      field(t("kk_number"), textInput(d, "kk_number", { inputmode: "numeric", maxlength: 20, autocomplete: "off",
                                                        name: "kk_number", class: "mono", placeholder: "16 digit" }),
            { check: checkKk, touched: d.submitted, hint: t("kk_hint") }),
      field(t("kelurahan"), selectInput(d, "kelurahan_code", kelurahanOptions(), { name: "kelurahan_code" }),
            { hint: state.regions.length ? null : t("no_regions_cached") }),
      field(t("address"), textInput(d, "address", { maxlength: 500, autocomplete: "street-address", name: "address" })),
      familyShelterField(d, drawMembers)),
    h("h3", { class: "section-title" }, t("members")),
    members,
    h("button", { type: "button", class: "btn btn-block", id: "add-member",
                  onclick: () => { d.members.push(newMember()); drawMembers();
                                   members.lastElementChild?.querySelector("input")?.focus(); } },
      `+ ${t("add_member")}`),
    h("div", { class: "form-actions" },
      h("button", { type: "submit", class: "btn btn-primary btn-block", id: "save-household" }, t("save_household"))));
  form.addEventListener("submit", (ev) => { ev.preventDefault(); saveHousehold(); });
  return form;
}

function personData(m, { id, householdId, registeredAt }) {
  const data = { id, full_name: m.full_name.trim(), sex: m.sex, vulnerabilities: [...m.vulnerabilities],
                 needs_psychosocial: Boolean(m.needs_psychosocial), condition: m.condition || "selamat" };
  if (householdId) data.household_id = householdId;
  if (m.age_mode === "birth" && m.birth_date) data.birth_date = m.birth_date;
  if (m.age_mode === "age" && m.age_years !== "") data.age_years = Number(m.age_years);
  if (m.nik.trim()) data.nik = m.nik.trim();
  if (m.nik_mismatch_confirmed && Object.keys(nikMismatchProblems({ ...m, nik_mismatch_confirmed: false })).length) {
    data.nik_mismatch_confirmed = true;
  }
  if (m.shelter_id && m.shelter_id !== FAMILY_SHELTER) data.shelter_id = m.shelter_id;
  mandiriRegistration(data, m.shelter_id, state.household?.kelurahan_code);
  data.registered_at = registeredAt;
  return data;
}

function localPerson(data, eventId) {
  return { id: data.id, event_id: eventId, full_name: data.full_name, sex: data.sex, nik: data.nik || null,
           household_id: data.household_id || null, shelter_id: data.shelter_id || null,
           stay_kind: data.mandiri ? "mandiri" : (data.shelter_id ? "shelter" : null),
           birth_date: data.birth_date || null, age_years: data.age_years ?? null, condition: data.condition,
           vulnerabilities: data.vulnerabilities, local: true };
}

async function saveHousehold() {
  const d = state.household;
  d.submitted = true;
  const bad = Object.keys(householdProblems(d)).length || d.members.some((m) => Object.keys(memberProblems(m, d)).length);
  if (!bad && mandiriNeedsKelurahan(d)) { toast(t("mandiri_pick_kelurahan"), "error"); return; }
  if (bad) {
    renderTab();
    document.querySelector("#view [aria-invalid=true], #view .field-msg.error")?.closest(".field")
      ?.querySelector("input,select")?.focus();
    toast(t("fix_form"), "error");
    return;
  }
  const eid = state.event.id;
  const now = isoNow();
  const hid = uuid();
  const household = { id: hid, head_name: d.head_name.trim() };
  if (d.kk_number.trim()) household.kk_number = d.kk_number.trim();
  if (d.kelurahan_code) household.kelurahan_code = d.kelurahan_code;
  if (d.address.trim()) household.address = d.address.trim();
  const same = d.members.filter((m) => m.same);
  const fresh = d.members.filter((m) => !m.same);
  // A family whose every member is already registered is not created again (the server would not
  // keep it either): only their check-ins are sent.
  const needHousehold = fresh.length > 0 || same.some((m) => m.same.action === "family");
  const records = needHousehold
    ? [{ id: hid, type: "household", event_id: eid, data: household, meta: { label: household.head_name } }] : [];
  const persons = [];
  const sameOutcome = await sameMemberRecords(same, d, needHousehold ? hid : null, now);
  records.push(...sameOutcome.records);
  persons.push(...sameOutcome.persons);
  for (const m of fresh) {
    const data = personData({ ...m, shelter_id: memberShelter(m, d) }, { id: uuid(), householdId: hid, registeredAt: now });
    records.push({ id: data.id, type: "person", event_id: eid, data,
                   meta: { label: data.full_name, shelter_name: data.shelter_id ? shelterName(data.shelter_id) : null } });
    persons.push(localPerson(data, eid));
  }
  await store.addRecords(records, {
    persons, households: needHousehold ? [{ ...household, event_id: eid, local: true }] : [],
  });
  await addFamilyLinks(sameOutcome.links);
  state.household = newHouseholdDraft();
  renderTab();
  window.scrollTo(0, 0);
  toast(needHousehold ? t("saved_household", { n: persons.length }) : t("saved_same_only", { n: same.length }), "ok");
  await refreshRecords();
  syncNow();
}

// ---- plausible data at the door: a NIK fills and checks the birth date and sex ----

/** Fill the birth date and sex from a typed NIK where the volunteer has not typed them (or they came from
 * an earlier NIK). Returns whether anything changed. */
function fillFromNik(m) {
  const nik = m.nik.trim();
  if (nikProblem(nik, { typing: true })) return false; // a NIK already wrong says nothing reliable
  let changed = false;
  const born = nikBirthDate(nik);
  if (born && (!m.birth_date || m.birth_from_nik) && m.birth_date !== born) {
    m.birth_date = born;
    m.birth_from_nik = true;
    m.age_mode = "birth";
    changed = true;
  }
  const sex = nikSex(nik);
  if (sex && (!m.sex || m.sex_from_nik) && m.sex !== sex) {
    m.sex = sex;
    m.sex_from_nik = true;
    changed = true;
  }
  return changed;
}

/** The server's rule (shared/domain/plausibility.py nik_mismatch): a whole NIK must agree with the birth date
 * and the sex unless the volunteer confirms that it does not. */
function nikMismatchProblems(m) {
  const nik = m.nik.trim();
  if (m.nik_mismatch_confirmed || nikProblem(nik)) return {};
  const p = {};
  if (m.age_mode === "birth" && nikDisagreesWithBirthDate(nik, m.birth_date)) p.birth_date = "nik_birth_mismatch";
  const sex = nikSex(nik);
  if (sex && m.sex && sex !== m.sex) p.sex = "nik_sex_mismatch";
  return p;
}

function nikMismatchConfirm(m) {
  const disagree = Object.keys(nikMismatchProblems({ ...m, nik_mismatch_confirmed: false })).length > 0;
  if (!disagree) return "";
  return h("label", { class: "check warn" },
    h("input", { type: "checkbox", name: "nik_mismatch_confirmed", checked: m.nik_mismatch_confirmed,
                 onchange: (e) => {
                   m.nik_mismatch_confirmed = e.target.checked;
                   e.target.closest(".member")?.dispatchEvent(new Event("input", { bubbles: true }));
                 } }),
    ` ${t("nik_mismatch_confirm")}`);
}

// ---- one shelter for the whole family (each member can still differ) ----

/** The birth date input: a date typed by hand is never replaced by one read from the NIK. */
function typedBirthDate(m) {
  const input = textInput(m, "birth_date", { type: "date", max: today(), name: "birth_date" });
  input.addEventListener("input", () => { m.birth_from_nik = false; });
  return input;
}

function memberShelter(m, family) {
  return m.shelter_id === FAMILY_SHELTER ? (family?.shelter_id || "") : (m.shelter_id || "");
}

function familyShelterField(d, redraw) {
  return field(t("family_shelter"),
    selectInput(d, "shelter_id", withMandiriOption(shelterOptions(t("no_shelter"))),
                { name: "family_shelter_id", after: () => redraw() }),
    { hint: openShelters().length ? t("family_shelter_hint") : t("no_shelters_cached") });
}

function memberShelterField(m, family, check = null) {
  const options = withMandiriOption(shelterOptions(t("no_shelter")));
  if (family) {
    options.unshift({ value: FAMILY_SHELTER, label: family.shelter_id
      ? t("same_as_family", { shelter: shelterName(family.shelter_id) }) : t("same_as_family_none") });
  } else if (m.shelter_id === FAMILY_SHELTER) {
    m.shelter_id = "";
  }
  return field(t("check_in_at"), selectInput(m, "shelter_id", options, { name: "shelter_id" }),
               { check, touched: Boolean(check), hint: openShelters().length ? null : t("no_shelters_cached") });
}

// ---- find before register, and "orang yang sama" ----

const matchTimers = new WeakMap();

/** Look the member up (debounced): the server when online, the persons this phone holds otherwise. */
function scheduleMatch(m, box, redraw) {
  clearTimeout(matchTimers.get(m));
  const query = matchQuery(m);
  const key = JSON.stringify(query);
  if (key === m.match_key) return;
  if (!query) { m.match_key = key; m.matches = null; box.replaceChildren(); return; }
  matchTimers.set(m, setTimeout(async () => {
    m.match_key = key;
    const eid = state.event.id;
    let found;
    try {
      if (!navigator.onLine) throw new api.NetworkError("offline");
      found = await matchServer(eid, query);
    } catch (err) {
      if (!(err instanceof api.NetworkError)) console.warn("match search failed", err);
      found = matchLocal(await store.eventPersons(eid), query);
    }
    if (m.match_key !== key || m.same) return; // typed on since, or already chosen
    m.matches = found;
    drawMatches(m, box, redraw);
  }, 400));
}

function candidateFacts(c) {
  return [enumLabel("sex", c.sex), c.birth_date ? formatDate(c.birth_date) : null,
          c.shelter_id ? (c.shelter_name || shelterName(c.shelter_id)) : t("not_in_shelter")].filter(Boolean).join(" · ");
}

function formatDate(iso) { return iso.split("-").reverse().join("-"); }

function drawMatches(m, box, redraw) {
  if (!m.matches || !m.matches.length) { box.replaceChildren(); return; }
  const target = memberShelter(m, state.household);
  box.replaceChildren(
    h("p", { class: "match-title" }, h("b", {}, t("maybe_registered"))),
    h("ul", { class: "list matches" }, m.matches.map((c) => h("li", { class: "match", dataset: { personId: c.person_id } },
      h("div", {}, h("b", {}, c.full_name), " ", h("span", { class: "muted small" }, candidateFacts(c))),
      h("div", { class: "rec-actions" },
        h("button", { type: "button", class: "btn btn-small btn-primary", dataset: { action: "stay" },
                      onclick: () => { m.same = { candidate: c, action: "stay" }; redraw(); } },
          sameStayLabel(c.shelter_id, target)),
        h("button", { type: "button", class: "btn btn-small", dataset: { action: "family" },
                      onclick: () => { m.same = { candidate: c, action: "family" }; redraw(); } },
          t("same_add_family")))))));
}

function sameStayLabel(current, target) {
  if (current && target && current === target) return t("same_here_already");
  return current ? t("same_move") : t("same_check_in");
}

function sameMemberProblems(m, family) {
  return m.same.action === "stay" && !memberShelter(m, family) ? { shelter_id: "same_needs_shelter" } : {};
}

/** A member the volunteer recognised as a registered person: nothing new is registered for them. */
function sameMemberCard(m, index, { onRemove, submitted, family, onChange }) {
  const c = m.same.candidate;
  const what = h("p", { class: "same-what" });
  const describe = () => {
    const target = memberShelter(m, family);
    const bits = [];
    if (m.same.action === "family") bits.push(t("same_will_join"));
    if (target && target === c.shelter_id) bits.push(t("same_already_there", { shelter: shelterName(target) }));
    else if (target && c.shelter_id) bits.push(t("same_will_move", { from: shelterName(c.shelter_id), shelter: shelterName(target) }));
    else if (target) bits.push(t("same_will_check_in", { shelter: shelterName(target) }));
    what.textContent = bits.join(" ");
  };
  describe();
  const shelter = memberShelterField(m, family, submitted ? () => sameMemberProblems(m, family).shelter_id || null : null);
  shelter.addEventListener("change", describe);
  return h("section", { class: "card member same", dataset: { member: String(index), same: c.person_id } },
    h("div", { class: "card-head" },
      h("h3", {}, t("same_title", { n: index + 1 })),
      onRemove ? h("button", { type: "button", class: "link danger", onclick: onRemove }, t("remove")) : null),
    h("p", {}, h("b", {}, c.full_name), " ", h("span", { class: "muted small" }, candidateFacts(c))),
    what, shelter,
    h("button", { type: "button", class: "link", onclick: () => { m.same = null; m.matches = null; m.match_key = null; onChange?.(); } },
      t("same_cancel")));
}

/** The records of the recognised members: a check-in (or transfer) where they are not yet, and the
 * "add to this family" links sent once the household is on the server. */
async function sameMemberRecords(members, family, householdId, at) {
  const out = { records: [], persons: [], links: [] };
  for (const m of members) {
    const c = m.same.candidate;
    const target = memberShelter(m, family);
    const held = (await store.getPerson(c.person_id)) || {};
    if (target && target !== c.shelter_id) {
      const id = uuid();
      const place = target === MANDIRI ? { kind: MANDIRI, kelurahan_code: family.kelurahan_code } : { shelter_id: target };
      out.records.push({ id, type: "check_in", event_id: state.event.id,
                         data: { id, person_id: c.person_id, ...place, at },
                         meta: { label: c.full_name, shelter_name: shelterName(target),
                                 from_shelter: c.shelter_id ? shelterName(c.shelter_id) : null } });
    }
    if (m.same.action === "family" && householdId) {
      out.links.push({ person_id: c.person_id, household_id: householdId, name: c.full_name });
    }
    out.persons.push({ ...held, id: c.person_id, event_id: state.event.id, full_name: c.full_name, sex: held.sex || c.sex,
                       birth_date: c.birth_date ?? held.birth_date ?? null, household_id: c.household_id ?? null,
                       shelter_id: target === MANDIRI ? null : (target || c.shelter_id || null),
                       stay_kind: target === MANDIRI ? MANDIRI : held.stay_kind, local: Boolean(held.local) });
  }
  return out;
}

async function addFamilyLinks(links) {
  if (!links.length) return;
  await store.kvSet(LINKS_KEY, [...((await store.kvGet(LINKS_KEY)) || []), ...links]);
  processFamilyLinks();
}

let linking = false;

/** Send the waiting "add to this family" changes (PATCH /persons/{id}) whose household the server has. */
async function processFamilyLinks() {
  if (linking || !navigator.onLine || !api.session()) return;
  linking = true;
  try {
    const links = (await store.kvGet(LINKS_KEY)) || [];
    if (!links.length) return;
    const waiting = [];
    for (const link of links) {
      const household = await store.recordById(link.household_id);
      if (household && household.status === "pending") { waiting.push(link); continue; }
      if (household && household.status === "rejected") {
        toast(t("family_link_failed", { name: link.name, error: household.error || "" }), "error");
        continue;
      }
      try {
        await api.request(`/persons/${link.person_id}`, { method: "PATCH", body: { household_id: link.household_id } });
        await store.updatePerson(link.person_id, { household_id: link.household_id });
        toast(t("saved_family_link", { name: link.name }), "ok");
      } catch (err) {
        if (err instanceof api.NetworkError) waiting.push(link);
        else toast(t("family_link_failed", { name: link.name, error: errorMessage(err) }), "error");
      }
    }
    await store.kvSet(LINKS_KEY, waiting);
  } finally {
    linking = false;
  }
}

/** A person refused because the NIK is registered: offer "orang yang sama" instead of "edit and resend". */
function conflictOffer(r) {
  const ex = r.existing;
  const choice = { shelter_id: r.data.shelter_id || "" };
  const household = r.data.household_id ? state.records.find((x) => x.id === r.data.household_id) : null;
  const familyExists = r.data.household_id && (!household || household.status === "accepted");
  const where = [ex.household_head_name ? t("household_of", { name: ex.household_head_name }) : null,
                 ex.shelter_name || t("not_in_shelter")].filter(Boolean).join(" · ");
  const stay = h("button", { type: "button", class: "btn btn-small btn-primary", dataset: { action: "stay" },
                             onclick: () => resolveConflict(r, "stay", choice.shelter_id) },
    sameStayLabel(ex.shelter_id, choice.shelter_id));
  return h("div", { class: "same-offer" },
    h("p", {}, h("b", {}, `${t("same_person_q")} `), ex.full_name, h("span", { class: "muted small" }, ` · ${where}`)),
    r.data.shelter_id ? null : field(t("shelter"), selectInput(choice, "shelter_id", shelterOptions(t("choose")),
      { name: "same_shelter", after: () => { stay.textContent = sameStayLabel(ex.shelter_id, choice.shelter_id); } })),
    h("div", { class: "rec-actions" }, stay,
      familyExists ? h("button", { type: "button", class: "btn btn-small", dataset: { action: "family" },
                                   onclick: () => resolveConflict(r, "family", choice.shelter_id) }, t("same_add_family"))
        : null));
}

async function resolveConflict(r, action, shelterId) {
  const ex = r.existing;
  if (action === "stay" && !shelterId) { toast(t("same_needs_shelter"), "error"); return; }
  const candidate = { person_id: ex.person_id, full_name: ex.full_name, sex: r.data.sex, birth_date: null,
                      household_id: ex.household_id, shelter_id: ex.shelter_id };
  const made = await sameMemberRecords([{ same: { candidate, action }, shelter_id: shelterId }], null,
                                       action === "family" ? r.data.household_id : null, isoNow());
  await store.addRecords(made.records, { persons: made.persons });
  await store.deleteRecord(r.seq);
  // A family the server did not keep (every member was registered) goes from the queue with its last member.
  const household = r.data.household_id ? await store.recordById(r.data.household_id) : null;
  const others = (await store.allRecords()).filter((x) => x.type === "person" && x.status !== "accepted"
                                                       && x.data.household_id === r.data.household_id);
  if (household && household.status === "rejected" && !others.length) await store.deleteRecord(household.seq);
  await addFamilyLinks(made.links);
  toast(t("same_done", { name: ex.full_name }), "ok");
  await refreshRecords();
  renderTab();
  syncNow();
}

// ---- persons: search, check-in/out, transfer, services ----

function personsView() {
  if (state.personId) return personDetail();
  const s = state.search;
  const qId = nextId("q");
  const input = h("input", { id: qId, type: "search", value: s.q, name: "q", autocomplete: "off", maxlength: 100,
                             placeholder: t("search_placeholder"), oninput: (e) => { s.q = e.target.value; } });
  const form = h("form", { class: "search", role: "search" },
    h("label", { for: qId, class: "sr-only" }, t("search_label")), input,
    h("button", { type: "submit", class: "btn btn-primary" }, t("search")));
  form.addEventListener("submit", (ev) => { ev.preventDefault(); searchPersons(); });
  const results = h("div", { id: "person-results" });
  if (s.busy) results.append(h("p", { class: "muted" }, t("searching")));
  else if (s.error) results.append(h("p", { class: "error" }, s.error));
  if (s.results) {
    results.append(h("p", { class: "muted small" },
      s.source === "server" ? t("results_server", { n: s.results.length })
        : t("results_local", { n: s.results.length })));
    const ul = h("ul", { class: "list" });
    for (const p of s.results) ul.append(personRow(p));
    results.append(ul);
    if (!s.results.length) results.append(h("p", { class: "muted" }, t("no_results")));
  }
  const view = h("div", { class: "stack" }, h("h2", { tabindex: "-1" }, t("find_person")), form, results);
  if (!s.results && !s.busy) {
    view.append(h("p", { class: "muted small" }, t("search_help")));
    showRecentLocal(results);
  }
  return view;
}

async function showRecentLocal(container) {
  const local = (await store.eventPersons(state.event.id)).filter((p) => p.local).reverse().slice(0, 20);
  if (!local.length || state.search.results) return;
  const ul = h("ul", { class: "list" });
  for (const p of local) ul.append(personRow(p));
  container.append(h("h3", { class: "section-title" }, t("registered_here")), ul);
  updatePersonBadges();
}

function personRow(p) {
  const shelter = p.shelter_id ? shelterName(p.shelter_id) : t("not_in_shelter");
  const bits = [enumLabel("sex", p.sex), ageText(p), p.nik].filter(Boolean).join(" · ");
  return h("li", {},
    h("button", { type: "button", class: "row", dataset: { personId: p.id },
                  onclick: () => { state.personId = p.id; state.personView = p; renderTab(); window.scrollTo(0, 0); } },
      h("span", { class: "row-main" }, h("b", {}, p.full_name), h("span", { class: "badge-slot", dataset: { for: p.id } })),
      h("span", { class: "muted small" }, bits),
      h("span", { class: "small" }, shelter)));
}

function recordStatusOf(id) {
  const r = state.records.find((x) => x.id === id);
  return r ? r.status : null;
}

function updatePersonBadges() {
  for (const slot of document.querySelectorAll(".badge-slot")) {
    const st = recordStatusOf(slot.dataset.for);
    slot.replaceChildren(st ? h("span", { class: `tag tag-${st}` }, t(st)) : "");
  }
}

/** A person as the server sent it; a stay recorded here and not yet accepted keeps the local shelter. */
function serverPerson(p) {
  const waiting = state.records.some((r) => r.status !== "accepted" && r.data.person_id === p.id
                                          && (r.type === "check_in" || r.type === "check_out"));
  const copy = { ...p, local: false };
  if (waiting) delete copy.shelter_id;
  return copy;
}

function matchesPerson(p, q) {
  const needle = q.trim().toLowerCase();
  if (!needle) return true;
  if (/^[0-9*]+$/.test(needle)) return (p.nik || "").includes(needle);
  return p.full_name.toLowerCase().includes(needle);
}

async function searchPersons() {
  const s = state.search;
  const q = s.q.trim();
  s.busy = true;
  s.error = null;
  renderTab();
  const eid = state.event.id;
  const local = (await store.eventPersons(eid)).filter((p) => matchesPerson(p, q));
  try {
    if (!navigator.onLine) throw new api.NetworkError("offline");
    const params = new URLSearchParams({ limit: "50" });
    if (q) params.set("q", q);
    const page = await api.request(`/events/${eid}/persons?${params}`);
    await store.putPersons(page.items.map(serverPerson));
    const known = new Set(page.items.map((p) => p.id));
    // Persons registered here and not yet on the server are still shown, first.
    const waiting = local.filter((p) => !known.has(p.id) && recordStatusOf(p.id) !== "accepted");
    const merged = [];
    for (const p of page.items) merged.push((await store.getPerson(p.id)) || p);
    s.results = [...waiting, ...merged];
    s.source = "server";
  } catch (err) {
    if (!(err instanceof api.NetworkError)) s.error = errorMessage(err);
    s.results = local;
    s.source = "local";
  }
  s.busy = false;
  if (state.tab === "orang" && !state.personId) { renderTab(); updatePersonBadges(); }
}

function personDetail() {
  const view = h("div", { class: "stack", id: "person-detail" });
  const draw = async () => {
    const p = (await store.getPerson(state.personId)) || state.personView;
    if (!p) { state.personId = null; renderTab(); return; }
    const act = { shelter_id: "", kind: "penanganan_khusus", notes: "" };
    const st = recordStatusOf(p.id);
    const inShelter = Boolean(p.shelter_id);
    const shelterChoices = shelterOptions(null).filter((o) => o.value !== p.shelter_id);
    act.shelter_id = shelterChoices[0]?.value || "";
    const household = p.household_id ? await householdLabel(p.household_id) : null;
    view.replaceChildren(
      h("button", { type: "button", class: "link back", onclick: () => { state.personId = null; renderTab(); } },
        `← ${t("back_to_results")}`),
      h("section", { class: "card" },
        h("h2", { tabindex: "-1" }, p.full_name, st ? h("span", { class: `tag tag-${st}` }, t(st)) : null),
        h("dl", { class: "facts" },
          h("dt", {}, t("sex")), h("dd", {}, enumLabel("sex", p.sex)),
          ageText(p) ? [h("dt", {}, t("age")), h("dd", {}, ageText(p))] : null,
          p.nik ? [h("dt", {}, t("nik")), h("dd", { class: "mono" }, p.nik)] : null,
          household ? [h("dt", {}, t("household")), h("dd", {}, household)] : null,
          h("dt", {}, t("condition")), h("dd", {}, enumLabel("condition", p.condition || "selamat")),
          h("dt", {}, t("shelter")), h("dd", { id: "person-shelter" }, inShelter ? shelterName(p.shelter_id)
            : (p.stay_kind === "mandiri" ? t("mandiri_staying") : t("not_in_shelter"))))),
      h("section", { class: "card" },
        h("h3", {}, inShelter ? t("transfer") : t("check_in")),
        shelterChoices.length
          ? [field(t("shelter"), selectInput(act, "shelter_id", shelterChoices, { name: "checkin_shelter" })),
             h("button", { type: "button", class: "btn btn-primary btn-block", id: "do-check-in",
                           onclick: () => recordStay(p, "check_in", act.shelter_id) },
               inShelter ? t("do_transfer") : t("do_check_in"))]
          : h("p", { class: "muted" }, t("no_shelters_cached")),
        inShelter || p.stay_kind === "mandiri"
          ? h("button", { type: "button", class: "btn btn-block", id: "do-check-out",
                          onclick: () => recordStay(p, "check_out") }, t("do_check_out"))
          : null),
      mandiriCard(p),
      h("section", { class: "card" },
        h("h3", {}, t("service")),
        field(t("service_kind"), selectInput(act, "kind", SERVICE_KINDS.map((k) => ({ value: k, label: enumLabel("service", k) })),
                                             { name: "service_kind" })),
        field(t("notes"), textInput(act, "notes", { maxlength: 1000, name: "service_notes" })),
        h("button", { type: "button", class: "btn btn-primary btn-block", id: "do-service",
                      onclick: () => recordService(p, act.kind, act.notes) }, t("do_service"))),
      h("section", { class: "card" },
        h("h3", {}, t("aid")),
        h("button", { type: "button", class: "btn btn-block", onclick: () => aidFor("person", p.id, p.full_name) },
          t("aid_for_person")),
        p.household_id
          ? h("button", { type: "button", class: "btn btn-block", onclick: () => aidFor("household", p.household_id, household || t("household_unknown")) },
              t("aid_for_household"))
          : null));
  };
  draw();
  return view;
}

async function householdLabel(id) {
  let hh = (await store.eventHouseholds(state.event.id)).find((x) => x.id === id);
  if (!hh && navigator.onLine) {
    try {
      hh = await api.request(`/events/${state.event.id}/households/${id}`);
      await store.putHouseholds([{ ...hh, local: false }]);
    } catch { hh = null; }
  }
  return hh ? hh.head_name : null;
}

// ---- mengungsi mandiri (displaced outside the shelters: docs/rules.md, "Mandiri stays") ----

const MANDIRI = "mandiri"; // the place choice that stands for "mengungsi mandiri" beside the shelters

/** The shelter choices of the registration form, with "mengungsi mandiri" offered beside them. */
function withMandiriOption(options) {
  return [...options, { value: MANDIRI, label: t("mandiri_option") }];
}

/** A member registered as mengungsi mandiri stays in the household's kelurahan (a person create with
 *  `mandiri` in place of `shelter_id`). */
function mandiriRegistration(data, choice, kelurahanCode) {
  if (choice !== MANDIRI) return;
  delete data.shelter_id;
  data.mandiri = { kelurahan_code: kelurahanCode };
}

function mandiriNeedsKelurahan(d) {
  return !d.kelurahan_code && d.members.some((m) => memberShelter(m, d) === MANDIRI);
}

/** Check a person in as mengungsi mandiri (or move them there from a shelter): kelurahan and address. */
function mandiriCard(p) {
  const act = { kelurahan_code: state.event?.kelurahan_codes?.[0] || "", address: "" };
  return h("section", { class: "card", id: "mandiri-card" },
    h("h3", {}, t("mandiri_title")),
    h("p", { class: "muted small" }, t("mandiri_hint")),
    field(t("kelurahan"), selectInput(act, "kelurahan_code", kelurahanOptions(), { name: "mandiri_kelurahan" }),
          { hint: state.regions.length ? null : t("no_regions_cached") }),
    field(t("address"), textInput(act, "address", { maxlength: 500, name: "mandiri_address" })),
    h("button", { type: "button", class: "btn btn-block", id: "do-mandiri",
                  onclick: () => recordMandiri(p, act.kelurahan_code, act.address.trim()) }, t("do_mandiri")));
}

async function recordMandiri(p, kelurahanCode, address) {
  if (!kelurahanCode) { toast(t("mandiri_pick_kelurahan"), "error"); return; }
  const id = uuid();
  const data = { id, person_id: p.id, kind: MANDIRI, kelurahan_code: kelurahanCode, at: isoNow() };
  if (address) data.address = address;
  const meta = { label: p.full_name, shelter_name: t("mandiri_staying"),
                 from_shelter: p.shelter_id ? shelterName(p.shelter_id) : null };
  await store.addRecords([{ id, type: "check_in", event_id: state.event.id, data, meta }]);
  await store.updatePerson(p.id, { shelter_id: null, stay_kind: MANDIRI });
  toast(t("saved_mandiri", { name: p.full_name }), "ok");
  renderTab();
  await refreshRecords();
  syncNow();
}

async function recordStay(p, type, shelterId) {
  const id = uuid();
  const data = type === "check_in" ? { id, person_id: p.id, shelter_id: shelterId, at: isoNow() }
    : { id, person_id: p.id, at: isoNow() };
  const meta = { label: p.full_name, shelter_name: shelterId ? shelterName(shelterId) : null,
                 from_shelter: p.shelter_id ? shelterName(p.shelter_id) : null };
  await store.addRecords([{ id, type, event_id: state.event.id, data, meta }]);
  await store.updatePerson(p.id, { shelter_id: type === "check_in" ? shelterId : null,
                                   stay_kind: type === "check_in" ? "shelter" : null });
  toast(type === "check_in" ? t("saved_check_in", { name: p.full_name, shelter: meta.shelter_name })
    : t("saved_check_out", { name: p.full_name }), "ok");
  renderTab();
  await refreshRecords();
  syncNow();
}

async function recordService(p, kind, notes) {
  const id = uuid();
  const data = { id, person_id: p.id, kind, delivered_at: isoNow() };
  if (notes.trim()) data.notes = notes.trim();
  await store.addRecords([{ id, type: "service", event_id: state.event.id, data, meta: { label: p.full_name } }]);
  toast(t("saved_service", { name: p.full_name }), "ok");
  renderTab();
  await refreshRecords();
  syncNow();
}

function aidFor(kind, id, name) {
  state.distribution = { ...newDistributionDraft(), target: kind, recipient: { id, name } };
  state.personId = null;
  switchTab("bantuan");
}

// ---- distributions ----

function newDistributionDraft() {
  return { target: "shelter", shelter_id: "", recipient: null, item_code: "", quantity: "", notes: "", submitted: false,
           pickQ: "", pickResults: null };
}

function distributionProblems(d) {
  const p = {};
  if (!d.item_code) p.item_code = "required";
  const q = Number(d.quantity);
  if (d.quantity === "" || !Number.isFinite(q) || q <= 0) p.quantity = "quantity_positive";
  if (d.target === "shelter" && !d.shelter_id) p.shelter_id = "required";
  if (d.target !== "shelter" && !d.recipient) p.recipient = "required";
  // Daily items (meals, water) may go to a household or person too: meals for those staying mandiri
  // are counted per household-day (docs/rules.md, "Mandiri stays").
  return p;
}

function distributionView() {
  const d = state.distribution;
  if (!d.shelter_id) d.shelter_id = openShelters()[0]?.id || "";
  const problems = d.submitted ? distributionProblems(d) : {};
  const req = (key) => (d.submitted ? () => distributionProblems(d)[key] || null : null);
  const form = h("form", { class: "stack", novalidate: true, id: "distribution-form" });
  const unit = h("span", { class: "unit" }, itemOf(d.item_code)?.unit || "");
  const targetGroup = nextId("target");
  const targetBox = h("div");
  const drawTarget = () => {
    if (d.target === "shelter") {
      targetBox.replaceChildren(field(t("shelter"), selectInput(d, "shelter_id", shelterOptions(t("choose")), { name: "dist_shelter" }),
                                      { required: true, check: req("shelter_id"), touched: d.submitted }));
    } else {
      targetBox.replaceChildren(recipientPicker(d, problems.recipient));
    }
  };
  drawTarget();
  const itemOpts = [{ value: "", label: t("choose") },
                    ...state.items.map((i) => ({ value: i.code, label: `${i.name} (${i.unit})` }))];
  form.append(
    h("h2", { tabindex: "-1" }, t("record_aid")),
    h("section", { class: "card" },
      h("fieldset", { class: "field radios tiles" }, h("legend", {}, t("aid_target")),
        ...["shelter", "person", "household"].map((v) => h("label", { class: "radio" },
          h("input", { type: "radio", name: targetGroup, value: v, checked: d.target === v,
                       onchange: () => { d.target = v; d.recipient = null; d.pickResults = null; d.pickQ = "";
                                         drawTarget(); } }),
          h("span", {}, t(`target.${v}`))))),
      targetBox,
      field(t("item"), selectInput(d, "item_code", itemOpts, { name: "item_code",
                                                              after: (v) => { unit.textContent = itemOf(v)?.unit || ""; } }),
            { required: true, check: req("item_code"), touched: d.submitted,
              hint: state.items.length ? null : t("no_items_cached") }),
      h("div", { class: "qty" },
        field(t("quantity"), textInput(d, "quantity", { type: "number", min: "0", step: "any", inputmode: "decimal",
                                                        name: "quantity" }),
              { required: true, touched: d.submitted,
                check: (v, typing) => (v === "" ? (typing ? null : (d.submitted ? "quantity_positive" : null))
                  : Number(v) > 0 ? null : "quantity_positive") }),
        unit),
      field(t("notes"), textInput(d, "notes", { maxlength: 1000, name: "dist_notes" }))),
    h("button", { type: "submit", class: "btn btn-primary btn-block", id: "save-distribution" }, t("save_aid")));
  form.addEventListener("submit", (ev) => { ev.preventDefault(); saveDistribution(); });
  return form;
}

function recipientPicker(d, problem) {
  const box = h("div", { class: "picker" });
  const draw = () => {
    const qId = nextId("pick");
    const input = h("input", { id: qId, type: "search", value: d.pickQ, autocomplete: "off", maxlength: 100,
                               placeholder: t(d.target === "person" ? "search_placeholder" : "search_household"),
                               oninput: (e) => { d.pickQ = e.target.value; } });
    input.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); pick(); } });
    const pick = async () => {
      d.pickResults = await findRecipients(d.target, d.pickQ);
      draw();
    };
    box.replaceChildren(...[
      d.recipient
        ? h("div", { class: "chosen" }, h("span", {}, t(`target.${d.target}`), ": ", h("b", {}, d.recipient.name)),
            h("button", { type: "button", class: "link", onclick: () => { d.recipient = null; draw(); } }, t("change")))
        : h("div", { class: "field" },
            h("label", { for: qId }, t(d.target === "person" ? "recipient_person" : "recipient_household"),
              h("span", { class: "req", "aria-hidden": "true" }, " *")),
            h("div", { class: "search" }, input, h("button", { type: "button", class: "btn", onclick: pick }, t("search"))),
            problem ? h("p", { class: "field-msg error" }, t(problem)) : null),
      !d.recipient && d.pickResults
        ? h("ul", { class: "list compact" }, d.pickResults.length
            ? d.pickResults.map((r) => h("li", {}, h("button", { type: "button", class: "row",
                onclick: () => { d.recipient = { id: r.id, name: r.name }; d.pickResults = null; draw(); } },
                h("b", {}, r.name), h("span", { class: "muted small" }, r.detail || ""))))
            : h("li", { class: "muted" }, t("no_results")))
        : null].filter(Boolean));
  };
  draw();
  return box;
}

async function findRecipients(kind, q) {
  const eid = state.event.id;
  const needle = q.trim();
  if (kind === "person") {
    let list = (await store.eventPersons(eid)).filter((p) => matchesPerson(p, needle));
    try {
      if (navigator.onLine) {
        const params = new URLSearchParams({ limit: "30" });
        if (needle) params.set("q", needle);
        const page = await api.request(`/events/${eid}/persons?${params}`);
        await store.putPersons(page.items.map(serverPerson));
        const ids = new Set(list.map((p) => p.id));
        list = [...list, ...page.items.filter((p) => !ids.has(p.id))];
      }
    } catch { /* offline: local persons only */ }
    return list.slice(0, 40).map((p) => ({ id: p.id, name: p.full_name,
      detail: [enumLabel("sex", p.sex), ageText(p), p.shelter_id ? shelterName(p.shelter_id) : null].filter(Boolean).join(" · ") }));
  }
  const lower = needle.toLowerCase();
  let list = (await store.eventHouseholds(eid)).filter((hh) => !lower || hh.head_name.toLowerCase().includes(lower));
  try {
    if (navigator.onLine) {
      const params = new URLSearchParams({ limit: "30" });
      if (needle) params.set("q", needle);
      const page = await api.request(`/events/${eid}/households?${params}`);
      await store.putHouseholds(page.items.map((hh) => ({ ...hh, local: false })));
      const ids = new Set(list.map((x) => x.id));
      list = [...list, ...page.items.filter((x) => !ids.has(x.id))];
    }
  } catch { /* offline: local households only */ }
  return list.slice(0, 40).map((hh) => ({ id: hh.id, name: hh.head_name,
    detail: [hh.kelurahan_code ? regionName(hh.kelurahan_code) : null, hh.address].filter(Boolean).join(" · ") }));
}

async function saveDistribution() {
  const d = state.distribution;
  d.submitted = true;
  if (Object.keys(distributionProblems(d)).length) { renderTab(); toast(t("fix_form"), "error"); return; }
  const id = uuid();
  const data = { id, item_code: d.item_code, quantity: Number(d.quantity), delivered_at: isoNow() };
  if (d.target === "shelter") data.shelter_id = d.shelter_id;
  if (d.target === "person") data.person_id = d.recipient.id;
  if (d.target === "household") data.household_id = d.recipient.id;
  if (d.notes.trim()) data.notes = d.notes.trim();
  const item = itemOf(d.item_code);
  const to = d.target === "shelter" ? shelterName(d.shelter_id) : d.recipient.name;
  await store.addRecords([{ id, type: "distribution", event_id: state.event.id, data,
                            meta: { label: `${item ? item.name : d.item_code} ${data.quantity} ${item ? item.unit : ""} → ${to}`,
                                    to, item_name: item?.name, unit: item?.unit } }]);
  toast(t("saved_aid"), "ok");
  state.distribution = { ...newDistributionDraft(), target: d.target, shelter_id: d.shelter_id };
  renderTab();
  await refreshRecords();
  syncNow();
}

// ---- the queue: pending / accepted / rejected ----

function recordTitle(r) {
  const m = r.meta || {};
  const d = r.data;
  switch (r.type) {
    case "household": return t("rec.household", { name: d.head_name });
    case "person": return t("rec.person", { name: d.full_name }) + (d.shelter_id ? ` → ${m.shelter_name || shelterName(d.shelter_id)}` : "");
    case "check_in": return t(m.from_shelter ? "rec.transfer" : "rec.check_in",
                              { name: m.label || "?", shelter: m.shelter_name || shelterName(d.shelter_id), from: m.from_shelter });
    case "check_out": return t("rec.check_out", { name: m.label || "?" });
    case "distribution": return t("rec.distribution", { what: m.label || d.item_code });
    case "service": return t("rec.service", { name: m.label || "?", kind: enumLabel("service", d.kind) });
    case "tracing": return `${tw("title")}: ${d.full_name || "?"}`;
    default: return m.label || r.type; // stock records (stok.js) carry their label
  }
}

function recordCard(r) {
  const when = r.data.registered_at || r.data.at || r.data.delivered_at || r.created_at;
  const otherEvent = state.event && r.event_id !== state.event.id
    ? (state.events.find((e) => e.id === r.event_id)?.name || r.event_id) : null;
  const card = h("li", { class: `rec rec-${r.status}`, dataset: { status: r.status, type: r.type, id: r.id, seq: String(r.seq) } },
    h("div", { class: "rec-head" },
      h("span", { class: "rec-title" }, recordTitle(r)),
      h("span", { class: `tag tag-${r.status}` },
        r.status === "accepted" && r.result === "duplicate" ? t("accepted_again") : t(r.status))),
    h("div", { class: "muted small" }, formatDateTime(when), otherEvent ? ` · ${otherEvent}` : ""));
  if (r.status === "rejected") {
    card.append(
      h("p", { class: "rec-error", role: "note" }, h("b", {}, `${t(`result.${r.result}`)}: `), r.error || ""),
      r.type === "person" && r.existing ? conflictOffer(r) : null,
      h("div", { class: "rec-actions" },
        h("button", { type: "button", class: `btn btn-small${r.existing ? "" : " btn-primary"}`, onclick: () => startEdit(r) },
          r.existing ? t("not_same_fix") : t("fix_resend")),
        h("button", { type: "button", class: "btn btn-small", onclick: async () => {
          if (!confirm(t("discard_confirm"))) return;
          await store.deleteRecord(r.seq);
          await refreshRecords();
        } }, t("discard"))));
    if (state.editing && state.editing.seq === r.seq) card.append(editor(r));
  }
  return card;
}

function queueView() {
  const c = counts();
  const by = (st) => state.records.filter((r) => r.status === st);
  const rejected = by("rejected");
  const pending = by("pending");
  const accepted = by("accepted").sort((a, b) => b.updated_at.localeCompare(a.updated_at)).slice(0, 100);
  const statusLine = syncStatus.running ? t("sending")
    : !navigator.onLine ? t("offline_waiting")
      : syncStatus.lastError === "network" ? t("network_error")
        : syncStatus.lastError === "auth" ? t("session_expired")
          : syncStatus.lastError && syncStatus.lastError !== "offline" ? syncStatus.lastError
            : syncStatus.lastSuccess ? t("last_sent", { when: formatDateTime(syncStatus.lastSuccess.toISOString()) }) : "";
  const section = (title, list, id, empty) => h("section", { class: "card", id },
    h("h3", {}, `${title} (${list.length})`),
    list.length ? h("ul", { class: "recs" }, list.map(recordCard)) : h("p", { class: "muted" }, empty));
  return h("div", { class: "stack" },
    h("h2", { tabindex: "-1" }, t("queue_title")),
    h("section", { class: "card summary" },
      h("div", { class: "big-counts" },
        h("div", { class: "big big-pending" }, h("b", {}, c.pending), h("span", {}, t("pending"))),
        h("div", { class: "big big-accepted" }, h("b", {}, c.accepted), h("span", {}, t("accepted"))),
        h("div", { class: "big big-rejected" }, h("b", {}, c.rejected), h("span", {}, t("rejected")))),
      h("p", { class: "muted small", role: "status" }, statusLine),
      h("button", { type: "button", class: "btn btn-primary btn-block", id: "send-now-big", disabled: syncStatus.running,
                    onclick: () => { if (!navigator.onLine) toast(t("still_offline"), "warn"); syncNow(); } }, t("send_now"))),
    section(t("rejected_list"), rejected, "list-rejected", t("none_rejected")),
    section(t("pending_list"), pending, "list-pending", t("none_pending")),
    section(t("accepted_list"), accepted, "list-accepted", t("none_accepted")),
    accepted.length ? h("button", { type: "button", class: "link", onclick: async () => {
      await store.clearAccepted();
      await refreshRecords();
    } }, t("clear_accepted")) : null);
}

function memberDraftFrom(d) {
  return { key: uuid(), full_name: d.full_name || "", name_edited: true, sex: d.sex || "",
           age_mode: d.age_years !== undefined && d.age_years !== null ? "age" : "birth",
           birth_date: d.birth_date || "", age_years: d.age_years ?? "", nik: d.nik || "",
           vulnerabilities: [...(d.vulnerabilities || [])], needs_psychosocial: Boolean(d.needs_psychosocial),
           condition: d.condition || "selamat", shelter_id: d.shelter_id || "",
           nik_mismatch_confirmed: Boolean(d.nik_mismatch_confirmed) };
}

function startEdit(r) {
  const d = r.data;
  let draft;
  if (r.type === "household") {
    draft = { head_name: d.head_name || "", kk_number: d.kk_number || "", kelurahan_code: d.kelurahan_code || "",
              address: d.address || "" };
  } else if (r.type === "person") draft = memberDraftFrom(d);
  else draft = { ...d, quantity: d.quantity !== undefined ? String(d.quantity) : "", notes: d.notes || "" };
  state.editing = { seq: r.seq, draft, submitted: false };
  renderTab();
  document.querySelector(`[data-seq="${r.seq}"] .editor input, [data-seq="${r.seq}"] .editor select`)?.focus();
}

function editor(r) {
  const ed = state.editing;
  const d = ed.draft;
  const box = h("form", { class: "editor stack", novalidate: true });
  if (r.type === "household") {
    box.append(
      field(t("head_name"), textInput(d, "head_name", { maxlength: 200, name: "head_name" }),
            { required: true, check: ed.submitted ? () => householdProblems(d).head_name || null : null, touched: ed.submitted }),
      field(t("kk_number"), textInput(d, "kk_number", { inputmode: "numeric", maxlength: 20, name: "kk_number", class: "mono" }),
            { check: checkKk, touched: ed.submitted }),
      field(t("kelurahan"), selectInput(d, "kelurahan_code", kelurahanOptions(), { name: "kelurahan_code" })),
      field(t("address"), textInput(d, "address", { maxlength: 500, name: "address" })));
  } else if (r.type === "person") {
    box.append(memberFields(d, 0, { submitted: ed.submitted, showShelter: true }));
  } else if (r.type === "check_in") {
    box.append(field(t("shelter"), selectInput(d, "shelter_id", shelterOptions(t("choose")), { name: "checkin_shelter" })));
  } else if (r.type === "distribution") {
    box.append(
      field(t("item"), selectInput(d, "item_code", state.items.map((i) => ({ value: i.code, label: `${i.name} (${i.unit})` })),
                                   { name: "item_code" })),
      field(t("quantity"), textInput(d, "quantity", { type: "number", min: "0", step: "any", name: "quantity" }),
            { check: (v) => (Number(v) > 0 ? null : "quantity_positive"), touched: ed.submitted }),
      r.data.shelter_id ? field(t("shelter"), selectInput(d, "shelter_id", shelterOptions(null), { name: "dist_shelter" })) : null,
      field(t("notes"), textInput(d, "notes", { maxlength: 1000, name: "notes" })));
  } else if (r.type === "service") {
    box.append(
      field(t("service_kind"), selectInput(d, "kind", SERVICE_KINDS.map((k) => ({ value: k, label: enumLabel("service", k) })),
                                           { name: "service_kind" })),
      field(t("notes"), textInput(d, "notes", { maxlength: 1000, name: "notes" })));
  } else {
    box.append(h("p", { class: "muted" }, t("resend_as_is")));
  }
  box.append(h("div", { class: "rec-actions" },
    h("button", { type: "submit", class: "btn btn-primary", id: "resend" }, t("save_resend")),
    h("button", { type: "button", class: "btn", onclick: () => { state.editing = null; renderTab(); } }, t("cancel"))));
  box.addEventListener("submit", (ev) => { ev.preventDefault(); saveEdit(r); });
  if (r.error) showServerMessages(box, r.error);
  return box;
}

/** The server's reasons for a rejected record, "birth_date: …; sex: …", as [field, message] pairs. */
function serverMessages(error) {
  const out = [];
  for (const part of String(error || "").split(/; (?=[\w.[\]]+: )/)) {
    const m = /^([\w.[\]]+): ([\s\S]*)$/.exec(part);
    if (m) out.push([m[1].split(".").pop().replace(/\[\d+\]$/, ""), m[2]]);
  }
  return out;
}

/** Each reason of a rejected record under the field it names in the editor (the card keeps them all). */
function showServerMessages(box, error) {
  for (const [name, message] of serverMessages(error)) {
    const control = box.querySelector(`[name="${CSS.escape(name)}"], [data-field="${CSS.escape(name)}"]`);
    const slot = control?.closest(".field")?.querySelector(".field-msg:not(.warn)");
    if (!slot) continue;
    slot.textContent = message;
    slot.classList.add("error", "server-msg");
    control.setAttribute("aria-invalid", "true");
  }
}

async function saveEdit(r) {
  const ed = state.editing;
  const d = ed.draft;
  ed.submitted = true;
  let data;
  const meta = {};
  if (r.type === "household") {
    if (Object.keys(householdProblems(d)).length) { renderTab(); return; }
    data = { head_name: d.head_name.trim() };
    if (d.kk_number.trim()) data.kk_number = d.kk_number.trim();
    if (d.kelurahan_code) data.kelurahan_code = d.kelurahan_code;
    if (d.address.trim()) data.address = d.address.trim();
    meta.label = data.head_name;
  } else if (r.type === "person") {
    if (Object.keys(memberProblems(d)).length) { renderTab(); return; }
    data = personData(d, { id: r.id, householdId: r.data.household_id, registeredAt: r.data.registered_at || isoNow() });
    meta.label = data.full_name;
    meta.shelter_name = data.shelter_id ? shelterName(data.shelter_id) : null;
  } else if (r.type === "distribution") {
    if (!(Number(d.quantity) > 0)) { renderTab(); return; }
    data = { ...r.data, item_code: d.item_code, quantity: Number(d.quantity) };
    if (d.shelter_id) data.shelter_id = d.shelter_id;
    if (d.notes.trim()) data.notes = d.notes.trim(); else delete data.notes;
    const item = itemOf(d.item_code);
    const to = r.meta?.to || (data.shelter_id ? shelterName(data.shelter_id) : "");
    meta.label = `${item ? item.name : d.item_code} ${data.quantity} ${item ? item.unit : ""} → ${to}`;
  } else if (r.type === "service") {
    data = { ...r.data, kind: d.kind };
    if (d.notes.trim()) data.notes = d.notes.trim(); else delete data.notes;
  } else if (r.type === "check_in") {
    data = { ...r.data, shelter_id: d.shelter_id };
    meta.shelter_name = shelterName(d.shelter_id);
  } else {
    data = { ...r.data };
  }
  const fixed = await store.resubmit(r.seq, data, meta, uuid);
  if (fixed && r.type === "check_in") {
    await store.updatePerson(fixed.data.person_id, { shelter_id: fixed.data.shelter_id || null });
  }
  if (fixed && r.type === "person") await resendEmptyFamily(fixed);
  state.editing = null;
  toast(t("resent"), "ok");
  await refreshRecords();
  renderTab();
  syncNow();
}

/** The server does not keep a family whose every member was already registered; a member fixed as a new
 * person (not the same one after all) brings that family back: it is queued again, before the member. */
async function resendEmptyFamily(person) {
  const household = person.data.household_id ? await store.recordById(person.data.household_id) : null;
  if (household && household.status === "rejected") await store.resubmit(household.seq, household.data, household.meta, uuid);
}

function errorMessage(err) {
  if (err instanceof api.NetworkError) return t("network_error");
  return err.message || String(err);
}

// ---- start ----

async function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  try {
    await navigator.serviceWorker.register("/lapangan/sw.js", { scope: "/lapangan/" });
  } catch (err) {
    console.warn("service worker not registered", err);
  }
}

async function start() {
  render();
  registerServiceWorker();
  api.setUnauthorizedHandler(() => {
    api.clearSession();
    state.notice = t("session_expired");
    state.screen = "login";
    render();
  });
  syncState.addEventListener("change", () => { refreshRecords(); if (!syncStatus.running) processFamilyLinks(); });
  window.addEventListener("online", () => { refreshAll(); });
  window.addEventListener("offline", () => renderSyncBar());
  try {
    await loadCaches();
    state.records = await store.allRecords();
  } catch (err) {
    document.getElementById("app").replaceChildren(h("p", { class: "error" }, `${t("storage_error")}: ${err}`));
    return;
  }
  const s = api.session();
  if (!s) { state.screen = "login"; render(); startSyncLoop(); return; }
  state.user = s.user;
  state.screen = state.event ? "main" : "events";
  render();
  startSyncLoop();
  refreshAll();
}

start();
