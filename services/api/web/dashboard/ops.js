// Operator actions (admin, posko): open events, change their status, open and close shelters, assign volunteers.

import { api, ApiError, get, newId } from "./api.js";
import { clearFieldErrors, showFieldErrors } from "./fielderrors.js";
import { enumValues, fmt, fmtTime, label, t } from "./i18n.js";
import { esc } from "./render.js";

const $ = (id) => document.getElementById(id);

const NEXT_STATUS = {
  siaga_darurat: ["tanggap_darurat"],
  tanggap_darurat: ["transisi_darurat", "selesai"],
  transisi_darurat: ["selesai"],
  selesai: [],
};

function localInputValue(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function setMsg(id, text, kind = "ok") {
  const el = $(id);
  el.textContent = text || "";
  el.className = `form-msg form-msg--${kind}`;
}

export class Ops {
  constructor({ state, toast, errorText, onEventChanged, onEventCreated, onSheltersChanged, refreshEvent }) {
    this.state = state;
    this.toast = toast;
    this.errorText = errorText;
    this.onEventChanged = onEventChanged;
    this.onEventCreated = onEventCreated;
    this.onSheltersChanged = onSheltersChanged;
    this.refreshEvent = refreshEvent;
    this.regions = null; // {kelurahan: [...], kecamatan: {code: name}}
    this.shelters = [];
    this.members = [];
    this.relawan = [];
    this.pendingEventId = null;
  }

  bind() {
    $("status-form").addEventListener("submit", (ev) => { ev.preventDefault(); this.changeStatus(); });
    $("shelter-form").addEventListener("submit", (ev) => { ev.preventDefault(); this.openShelter(); });
    $("member-form").addEventListener("submit", (ev) => { ev.preventDefault(); this.assign(); });
    $("ops-new-event").addEventListener("click", () => this.openEventDialog());
    $("event-cancel").addEventListener("click", () => $("event-dialog").close());
    $("event-form").addEventListener("submit", (ev) => { ev.preventDefault(); this.createEvent(); });
    $("ops-shelters").addEventListener("click", (ev) => {
      const b = ev.target.closest("[data-close-shelter]");
      if (b) this.closeShelter(b.dataset.closeShelter);
    });
    $("ops-members").addEventListener("click", (ev) => {
      const b = ev.target.closest("[data-release]");
      if (b) this.release(Number(b.dataset.release));
    });
  }

  /** Show the panel for an event and load what it needs (after the dashboard's first paint). */
  async open(event) {
    $("ops").hidden = false;
    this.shelters = [];
    this.members = [];
    setMsg("status-msg", "");
    setMsg("shelter-msg", "");
    setMsg("member-msg", "");
    this.renderStatus();
    this.renderShelterKinds();
    this.renderClosedState();
    await Promise.all([this.loadRegions().then(() => this.renderKelurahan()), this.loadMembers()]);
  }

  rerender() {
    this.renderStatus();
    this.renderShelterKinds();
    this.renderKelurahan();
    this.renderShelters(this.shelters);
    this.renderMembers();
    this.renderClosedState();
  }

  /** The event was changed (here or by someone else): status choices and closed state follow it. */
  eventUpdated() {
    this.renderStatus();
    this.renderClosedState();
    this.renderShelters(this.shelters);
    this.renderMembers();
  }

  renderClosedState() {
    const closed = this.state.event?.status === "selesai";
    for (const id of ["shelter-form", "member-form"]) {
      for (const el of $(id).elements) el.disabled = closed;
    }
    if (closed) setMsg("shelter-msg", t("ops.closedEvent"), "info");
  }

  // ---- event status ----

  renderStatus() {
    const event = this.state.event;
    if (!event) return;
    const next = NEXT_STATUS[event.status] || [];
    const sel = $("status-select");
    sel.innerHTML = next.map((s) => `<option value="${s}">${esc(label("status", s))}</option>`).join("");
    sel.disabled = next.length === 0;
    $("status-form").querySelector("button").disabled = next.length === 0;
    if (next.length === 0) setMsg("status-msg", t("ops.noTransition"), "info");
  }

  async changeStatus() {
    const event = this.state.event;
    const status = $("status-select").value;
    if (!event || !status) return;
    if (status === "selesai" && !window.confirm(t("ops.confirmSelesai"))) return;
    try {
      const updated = await api("PATCH", `/events/${event.id}`, { status }, { "If-Match": String(event.version) });
      await this.onEventChanged(updated);
      setMsg("status-msg", t("ops.statusChanged", { s: label("status", updated.status) }), "ok");
    } catch (err) {
      setMsg("status-msg", this.errorText(err), "bad");
      if (err instanceof ApiError && (err.status === 409 || err.status === 412)) this.refreshEvent();
    }
  }

  // ---- new event ----

  async loadRegions() {
    if (this.regions) return;
    const [kel, kec] = await Promise.all([get("/regions?level=kelurahan&limit=500"), get("/regions?level=kecamatan&limit=500")]);
    this.regions = {
      kelurahan: kel.items,
      kecamatan: Object.fromEntries(kec.items.map((r) => [r.code, r.name])),
      names: Object.fromEntries(kel.items.map((r) => [r.code, r.name])),
    };
  }

  async openEventDialog() {
    const dlg = $("event-dialog");
    $("event-msg").hidden = true;
    $("ev-kind").innerHTML = enumValues("kind").map((k) => `<option value="${k}">${esc(label("kind", k))}</option>`).join("");
    $("ev-status").innerHTML = ["tanggap_darurat", "siaga_darurat"].map((s) => `<option value="${s}">${esc(label("status", s))}</option>`).join("");
    $("ev-start").value = localInputValue(new Date());
    $("ev-start").max = localInputValue(new Date(Date.now() + 4 * 60 * 1000));
    this.pendingEventId = newId();
    if (typeof dlg.showModal === "function") dlg.showModal(); else dlg.setAttribute("open", "");
    try {
      await this.loadRegions();
    } catch (err) {
      $("event-msg").textContent = this.errorText(err);
      $("event-msg").hidden = false;
      return;
    }
    const groups = {};
    for (const r of this.regions.kelurahan) (groups[r.parent_code] ||= []).push(r);
    $("ev-kel").innerHTML = Object.keys(groups).sort().map((kec) => `<div class="kel-group">
        <span class="kel-kec">${esc(this.regions.kecamatan[kec] || kec)}</span>
        ${groups[kec].map((r) => `<label class="check"><input type="checkbox" name="kel" value="${esc(r.code)}"> ${esc(r.name)}</label>`).join("")}
      </div>`).join("");
    $("ev-name").focus();
  }

  async createEvent() {
    const msg = $("event-msg");
    msg.hidden = true;
    const name = $("ev-name").value.trim();
    const codes = [...document.querySelectorAll("#ev-kel input[name=kel]:checked")].map((i) => i.value);
    const start = $("ev-start").value;
    if (!name || !start) {
      msg.textContent = `${t("ops.eventName")} / ${t("ops.startedAt")}`;
      msg.hidden = false;
      return;
    }
    if (!codes.length) {
      msg.textContent = t("ops.pickKelurahan");
      msg.hidden = false;
      return;
    }
    const body = {
      id: this.pendingEventId || newId(),
      name,
      kind: $("ev-kind").value,
      status: $("ev-status").value,
      started_at: new Date(start).toISOString(),
      kelurahan_codes: codes,
    };
    const btn = $("event-submit");
    btn.disabled = true;
    clearFieldErrors($("event-form"));
    try {
      const event = await api("POST", "/events", body);
      $("event-dialog").close();
      $("event-form").reset();
      this.pendingEventId = null;
      this.toast(t("ops.eventOpened"), "ok");
      await this.onEventCreated(event);
    } catch (err) {
      showFieldErrors($("event-form"), err); // each 422 message also under its field
      msg.textContent = this.errorText(err);
      msg.hidden = false;
    } finally {
      btn.disabled = false;
    }
  }

  // ---- shelters ----

  renderShelterKinds() {
    const sel = $("sh-kind");
    const current = sel.value;
    sel.innerHTML = enumValues("shelterKind").map((k) => `<option value="${k}">${esc(label("shelterKind", k))}</option>`).join("");
    if (current) sel.value = current;
  }

  renderKelurahan() {
    const event = this.state.event;
    if (!event) return;
    const sel = $("sh-kel");
    const current = sel.value;
    const names = this.regions?.names || {};
    const mine = event.kelurahan_codes || [];
    const others = (this.regions?.kelurahan || []).map((r) => r.code).filter((c) => !mine.includes(c));
    const opt = (c) => `<option value="${esc(c)}">${esc(names[c] ? `${names[c]} (${c})` : c)}</option>`;
    sel.innerHTML = mine.map(opt).join("") + (others.length ? `<optgroup label="—">${others.map(opt).join("")}</optgroup>` : "");
    if (current) sel.value = current;
  }

  async openShelter() {
    const event = this.state.event;
    if (!event) return;
    const f = $("shelter-form");
    const name = f.elements.name.value.trim();
    const capacity = Number(f.elements.capacity_persons.value);
    if (!name || !Number.isInteger(capacity) || capacity < 1) {
      setMsg("shelter-msg", `${t("ops.shelterName")} / ${t("ops.capacity")}`, "bad");
      return;
    }
    const body = { id: f.dataset.pendingId || newId(), name, kind: f.elements.kind.value,
      kelurahan_code: f.elements.kelurahan_code.value, capacity_persons: capacity };
    f.dataset.pendingId = body.id; // a retry after a network error reuses the id: never two shelters
    const area = f.elements.covered_area_m2.value;
    const toilets = f.elements.toilets.value;
    if (area !== "") body.covered_area_m2 = Number(area);
    if (toilets !== "") body.toilets = Number(toilets);
    const btn = f.querySelector("button[type=submit]");
    btn.disabled = true;
    clearFieldErrors(f);
    try {
      const shelter = await api("POST", `/events/${event.id}/shelters`, body);
      delete f.dataset.pendingId;
      f.reset();
      this.renderShelterKinds();
      this.renderKelurahan();
      setMsg("shelter-msg", t("ops.shelterOpened", { n: shelter.name }), "ok");
      this.onSheltersChanged();
    } catch (err) {
      if (err instanceof ApiError && err.status !== 0) delete f.dataset.pendingId;
      showFieldErrors(f, err); // each 422 message also under its field
      setMsg("shelter-msg", this.errorText(err), "bad");
    } finally {
      btn.disabled = this.state.event?.status === "selesai";
    }
  }

  renderShelters(list) {
    this.shelters = list.slice().sort((a, b) => (Boolean(a.closed_at) - Boolean(b.closed_at)) || a.name.localeCompare(b.name));
    const closedEvent = this.state.event?.status === "selesai";
    $("ops-shelters").innerHTML = this.shelters.map((s) => `<li class="ops-item ${s.closed_at ? "is-closed" : ""}" data-ops-shelter="${esc(s.id)}">
        <span class="ops-item-main"><b>${esc(s.name)}</b> <span class="muted">${esc(label("shelterKind", s.kind))} · ${fmt(s.occupants)} / ${fmt(s.capacity_persons)}</span></span>
        ${s.closed_at ? `<span class="badge badge-muted">${esc(t("ops.reopenNote", { t: fmtTime(s.closed_at, true) }))}</span>`
          : `<button type="button" class="btn btn-small btn-danger" data-close-shelter="${esc(s.id)}" ${closedEvent ? "disabled" : ""}>${esc(t("ops.closeShelter"))}</button>`}
      </li>`).join("");
  }

  async closeShelter(id) {
    const event = this.state.event;
    const s = this.shelters.find((x) => x.id === id);
    if (!event || !s) return;
    if (!window.confirm(t("ops.confirmClose", { n: s.name }))) return;
    try {
      await api("PATCH", `/events/${event.id}/shelters/${id}`, { closed_at: new Date().toISOString() },
        { "If-Match": String(s.version) });
      setMsg("shelter-msg", t("ops.shelterClosed", { n: s.name }), "ok");
      this.onSheltersChanged();
    } catch (err) {
      setMsg("shelter-msg", this.errorText(err), "bad");
      this.onSheltersChanged();
    }
  }

  // ---- volunteers ----

  async loadMembers() {
    const id = this.state.eventId;
    try {
      const [members, relawan] = await Promise.all([
        get(`/events/${id}/members?limit=500`),
        get("/users?role=relawan&limit=500"),
      ]);
      if (id !== this.state.eventId) return;
      this.members = members.items;
      this.relawan = relawan.items.filter((u) => u.is_active !== false);
      this.renderMembers();
    } catch (err) {
      setMsg("member-msg", this.errorText(err), "bad");
    }
  }

  renderMembers() {
    const memberIds = new Set(this.members.map((m) => m.user_id));
    const free = this.relawan.filter((u) => !memberIds.has(u.id));
    const sel = $("member-select");
    sel.innerHTML = free.length
      ? free.map((u) => `<option value="${u.id}">${esc(u.full_name)} (${esc(u.username)})</option>`).join("")
      : `<option value="">${esc(t("ops.noRelawan"))}</option>`;
    const closedEvent = this.state.event?.status === "selesai";
    sel.disabled = !free.length || closedEvent;
    $("member-form").querySelector("button").disabled = !free.length || closedEvent;
    const vols = this.members;
    $("ops-members").innerHTML = vols.length
      ? vols.map((m) => `<li class="ops-item" data-member="${m.user_id}"><span class="ops-item-main"><b>${esc(m.full_name)}</b> <span class="muted">${esc(m.username)} · ${esc(t(`role.${m.role}`))}</span></span>
          <button type="button" class="btn btn-small btn-ghost" data-release="${m.user_id}" ${closedEvent ? "disabled" : ""}>${esc(t("ops.release"))}</button></li>`).join("")
      : `<li class="muted">${esc(t("ops.noVolunteers"))}</li>`;
  }

  async assign() {
    const event = this.state.event;
    const userId = Number($("member-select").value);
    if (!event || !userId) return;
    const user = this.relawan.find((u) => u.id === userId);
    try {
      await api("POST", `/events/${event.id}/members`, { user_id: userId });
      setMsg("member-msg", t("ops.assigned", { n: user?.full_name || userId }), "ok");
      await this.loadMembers();
    } catch (err) {
      setMsg("member-msg", this.errorText(err), "bad");
    }
  }

  async release(userId) {
    const event = this.state.event;
    if (!event) return;
    const m = this.members.find((x) => x.user_id === userId);
    try {
      await api("DELETE", `/events/${event.id}/members/${userId}`);
      setMsg("member-msg", t("ops.released", { n: m?.full_name || userId }), "ok");
      await this.loadMembers();
    } catch (err) {
      setMsg("member-msg", this.errorText(err), "bad");
    }
  }
}
