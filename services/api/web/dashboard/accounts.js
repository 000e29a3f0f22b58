// "Akun pengguna" (admin only): create accounts, reset a password (the new one is shown once), disable
// and re-enable, change the role, and assign a user to events or take them off. Opened from the top
// bar; every change goes through the API, which checks the role again and audits it.

import { api, ApiError, get, getSession } from "./api.js";
import { clearFieldErrors, showFieldErrors } from "./fielderrors.js";
import { getLang } from "./i18n.js";
import { esc } from "./render.js";

const TEXT = {
  id: {
    open: "Akun", title: "Akun pengguna", close: "Tutup", create: "Buat akun baru", username: "Nama pengguna",
    usernameHint: "huruf kecil, angka, titik, garis bawah atau tanda hubung; 3–64 karakter",
    fullName: "Nama lengkap", role: "Peran", password: "Kata sandi awal",
    passwordHint: "minimal 10 karakter, bukan sandi umum, tidak sama dengan nama pengguna", createBtn: "Buat akun",
    created: "Akun {u} dibuat.", list: "Daftar akun", active: "Aktif", inactive: "Nonaktif", reset: "Atur ulang sandi",
    disable: "Nonaktifkan", enable: "Aktifkan", events: "Kejadian", confirmReset: "Buat kata sandi baru untuk {u}? Sandi lama langsung tidak berlaku dan {u} harus masuk lagi.",
    confirmDisable: "Nonaktifkan akun {u}? {u} tidak dapat masuk lagi sampai akunnya diaktifkan.",
    newPassword: "Kata sandi baru untuk {u}:", shownOnce: "Sandi ini hanya ditampilkan sekali. Sampaikan langsung kepada pemiliknya; setelah ditutup, sandi tidak dapat dilihat lagi.",
    copy: "Salin", copied: "Tersalin.", done: "Sudah dicatat, tutup", roleChanged: "Peran {u} diubah menjadi {r}.",
    disabled: "Akun {u} dinonaktifkan.", enabled: "Akun {u} diaktifkan.", assigned: "{u} ditugaskan ke {e}.",
    released: "{u} dilepas dari {e}.", noEvents: "Belum ditugaskan ke kejadian mana pun.", assign: "Tugaskan",
    release: "Lepas", pickEvent: "Pilih kejadian", noMoreEvents: "Tidak ada kejadian lain yang masih berjalan.",
    failed: "Gagal: {r}", network: "server tidak dapat dihubungi", you: "(Anda)",
    "role.admin": "Admin", "role.posko": "Petugas posko", "role.relawan": "Relawan", "role.pengamat": "Pengamat",
  },
  en: {
    open: "Accounts", title: "User accounts", close: "Close", create: "Create an account", username: "Username",
    usernameHint: "lower-case letters, digits, dot, underscore or hyphen; 3–64 characters",
    fullName: "Full name", role: "Role", password: "Initial password",
    passwordHint: "at least 10 characters, not a common password, not the username", createBtn: "Create account",
    created: "Account {u} created.", list: "Accounts", active: "Active", inactive: "Disabled", reset: "Reset password",
    disable: "Disable", enable: "Enable", events: "Events", confirmReset: "Make a new password for {u}? The old one stops working at once and {u} must sign in again.",
    confirmDisable: "Disable the account {u}? {u} cannot sign in until it is enabled again.",
    newPassword: "New password for {u}:", shownOnce: "This password is shown only once. Hand it over in person; once closed it cannot be seen again.",
    copy: "Copy", copied: "Copied.", done: "Noted, close", roleChanged: "{u}'s role changed to {r}.",
    disabled: "Account {u} disabled.", enabled: "Account {u} enabled.", assigned: "{u} assigned to {e}.",
    released: "{u} released from {e}.", noEvents: "Not assigned to any event.", assign: "Assign",
    release: "Release", pickEvent: "Pick an event", noMoreEvents: "No other event still running.",
    failed: "Failed: {r}", network: "the server cannot be reached", you: "(you)",
    "role.admin": "Admin", "role.posko": "Posko officer", "role.relawan": "Volunteer", "role.pengamat": "Observer",
  },
};
const ROLES = ["relawan", "posko", "pengamat", "admin"];

function text(key, params) {
  let s = (TEXT[getLang()] || TEXT.id)[key] ?? TEXT.id[key] ?? key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
  return s;
}

function reason(err) {
  if (err instanceof ApiError && err.status === 0) return text("network");
  return err instanceof ApiError ? err.readable : String(err?.message || err);
}

const $ = (id) => document.getElementById(id);

/** Show the top bar's "Akun" button for a signed-in admin only. */
export function accountsButton(show) {
  const b = $("accounts-open");
  if (!b) return;
  b.hidden = !show;
  b.textContent = text("open");
  if (!show && $("accounts-dialog")?.open) $("accounts-dialog").close();
}

export class Accounts {
  constructor() {
    this.users = [];
    this.events = [];
    this.memberships = {}; // user id → [{event_id, name, status}]
    this.expanded = new Set();
    this.secret = null; // {username, password}: shown once, forgotten when the box is closed
  }

  bind() {
    $("accounts-open").addEventListener("click", () => this.open());
    const root = $("accounts");
    root.addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (ev.target.id === "account-create-form") this.create(ev.target);
      const assign = ev.target.closest("[data-assign-for]");
      if (assign) this.assign(Number(assign.dataset.assignFor), assign);
    });
    root.addEventListener("click", (ev) => {
      const b = ev.target.closest("button[data-act]");
      if (!b) return;
      const id = Number(b.closest("[data-user-id]")?.dataset.userId);
      const act = b.dataset.act;
      if (act === "close") $("accounts-dialog").close();
      else if (act === "reset") this.reset(id);
      else if (act === "toggle") this.toggle(id);
      else if (act === "events") this.toggleEvents(id);
      else if (act === "release") this.release(id, b.dataset.event);
      else if (act === "copy") this.copy();
      else if (act === "forget") { this.secret = null; this.render(); }
    });
    root.addEventListener("change", (ev) => {
      const sel = ev.target.closest("select[data-role-for]");
      if (sel) this.changeRole(Number(sel.dataset.roleFor), sel.value);
    });
    $("accounts-dialog").addEventListener("close", () => { this.secret = null; });
  }

  async open() {
    const dlg = $("accounts-dialog");
    this.render();
    if (!dlg.open) dlg.showModal();
    await this.load();
  }

  rerender() {
    $("accounts-open").textContent = text("open");
    if ($("accounts-dialog").open) this.render(true);
  }

  async load() {
    try {
      const [users, events] = await Promise.all([get("/users?limit=500"), get("/events?limit=500")]);
      this.users = users.items;
      this.events = events.items;
      await Promise.all([...this.expanded].map((id) => this.loadMemberships(id)));
      this.render();
    } catch (err) {
      this.say(text("failed", { r: reason(err) }), "bad");
    }
  }

  async loadMemberships(id) {
    const page = await get(`/users/${id}/events?limit=500`);
    this.memberships[id] = page.items;
  }

  say(message, kind = "ok") {
    const el = $("accounts-msg");
    if (!el) return;
    el.textContent = message;
    el.className = `form-msg form-msg--${kind}`;
  }

  /** Rebuild what changed: the frame (heading, create form) only when missing or after a language
   * switch (`frame`), keeping what was typed; the one-time password box and the list every time. */
  render(frame = false) {
    if (frame || !$("account-create-form")) this.renderFrame();
    const secret = this.secret ? `<div class="account-secret" id="account-secret" role="alert">
        <p>${esc(text("newPassword", { u: this.secret.username }))}</p>
        <p><code id="account-new-password" class="secret-value">${esc(this.secret.password)}</code>
          <button type="button" class="btn btn-small btn-ghost" data-act="copy">${esc(text("copy"))}</button></p>
        <p class="small">${esc(text("shownOnce"))}</p>
        <button type="button" class="btn btn-small btn-primary" data-act="forget">${esc(text("done"))}</button>
      </div>` : "";
    $("account-secret-box").innerHTML = secret;
    $("account-list").innerHTML = this.listHtml();
  }

  renderFrame() {
    const form = $("account-create-form");
    const kept = form ? Object.fromEntries([...form.elements].filter((e) => e.name).map((e) => [e.name, e.value])) : {};
    $("accounts").innerHTML = `<div class="accounts-head"><h2 id="accounts-title">${esc(text("title"))}</h2>
        <button type="button" class="btn btn-ghost" data-act="close">${esc(text("close"))}</button></div>
      <p id="accounts-msg" class="form-msg" role="status"></p>
      <div id="account-secret-box"></div>
      <form id="account-create-form" class="stack-form account-create" novalidate>
        <h3>${esc(text("create"))}</h3>
        <div class="two">
          <div><label for="acc-username">${esc(text("username"))}</label>
            <input id="acc-username" name="username" autocomplete="off" autocapitalize="none" spellcheck="false" maxlength="64">
            <p class="muted small">${esc(text("usernameHint"))}</p></div>
          <div><label for="acc-full-name">${esc(text("fullName"))}</label>
            <input id="acc-full-name" name="full_name" maxlength="200"></div>
        </div>
        <div class="two">
          <div><label for="acc-role">${esc(text("role"))}</label>
            <select id="acc-role" name="role">${this.roleOptions(kept.role || "relawan")}</select></div>
          <div><label for="acc-password">${esc(text("password"))}</label>
            <input id="acc-password" name="password" type="password" autocomplete="new-password" maxlength="200">
            <p class="muted small">${esc(text("passwordHint"))}</p></div>
        </div>
        <button type="submit" class="btn btn-primary" id="acc-create">${esc(text("createBtn"))}</button>
      </form>
      <h3>${esc(text("list"))}</h3>
      <ul id="account-list" class="account-list"></ul>`;
    const f = $("account-create-form").elements;
    for (const name of ["username", "full_name", "password"]) f[name].value = kept[name] || "";
  }

  roleOptions(selected) {
    return ROLES.map((r) => `<option value="${r}" ${r === selected ? "selected" : ""}>${esc(text(`role.${r}`))}</option>`).join("");
  }

  listHtml() {
    const me = getSession()?.username;
    return this.users.map((u) => {
      const self = u.username === me;
      const open = this.expanded.has(u.id);
      return `<li class="account-row ${u.is_active ? "" : "is-disabled"}" data-user-id="${u.id}" data-username="${esc(u.username)}">
        <div class="account-main">
          <span class="account-name"><b>${esc(u.full_name || u.username)}</b> <span class="muted">${esc(u.username)} ${self ? esc(text("you")) : ""}</span></span>
          <span class="badge ${u.is_active ? "badge-ok" : "badge-bad"}" data-active="${u.is_active}">${esc(text(u.is_active ? "active" : "inactive"))}</span>
        </div>
        <div class="account-actions">
          <label class="sr-only" for="role-${u.id}">${esc(text("role"))}</label>
          <select id="role-${u.id}" data-role-for="${u.id}">${this.roleOptions(u.role)}</select>
          <button type="button" class="btn btn-small btn-ghost" data-act="reset">${esc(text("reset"))}</button>
          <button type="button" class="btn btn-small ${u.is_active ? "btn-danger" : "btn-ghost"}" data-act="toggle">${esc(text(u.is_active ? "disable" : "enable"))}</button>
          <button type="button" class="btn btn-small btn-ghost" data-act="events" aria-expanded="${open}">${esc(text("events"))}</button>
        </div>
        ${open ? this.eventsHtml(u) : ""}
      </li>`;
    }).join("");
  }

  eventsHtml(u) {
    const mine = this.memberships[u.id];
    if (!mine) return `<div class="account-events muted">…</div>`;
    const ids = new Set(mine.map((m) => m.event_id));
    const free = this.events.filter((e) => !ids.has(e.id) && e.status !== "selesai");
    const list = mine.length
      ? mine.map((m) => `<li data-member-event="${esc(m.event_id)}">${esc(m.name)}
          <button type="button" class="btn btn-small btn-ghost" data-act="release" data-event="${esc(m.event_id)}">${esc(text("release"))}</button></li>`).join("")
      : `<li class="muted">${esc(text("noEvents"))}</li>`;
    const form = free.length
      ? `<form class="row-form" data-assign-for="${u.id}" id="assign-form-${u.id}">
          <label class="sr-only" for="assign-${u.id}">${esc(text("pickEvent"))}</label>
          <select id="assign-${u.id}" name="event_id">${free.map((e) => `<option value="${esc(e.id)}">${esc(e.name)}</option>`).join("")}</select>
          <button type="submit" class="btn btn-small btn-primary">${esc(text("assign"))}</button></form>`
      : `<p class="muted small">${esc(text("noMoreEvents"))}</p>`;
    return `<div class="account-events"><ul class="ops-list">${list}</ul>${form}</div>`;
  }

  user(id) { return this.users.find((u) => u.id === id); }

  async create(form) {
    clearFieldErrors(form);
    const f = form.elements;
    const body = { username: f.username.value.trim(), full_name: f.full_name.value.trim(), role: f.role.value,
      password: f.password.value };
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const user = await api("POST", "/users", body);
      form.reset();
      this.users.push(user);
      this.render();
      this.say(text("created", { u: user.username }), "ok");
    } catch (err) {
      const rest = showFieldErrors(form, err);
      if (rest.length) this.say(text("failed", { r: rest.map((x) => (typeof x === "string" ? x : reason(x))).join("; ") }), "bad");
      else this.say("", "info");
    } finally {
      button.disabled = false;
    }
  }

  async reset(id) {
    const u = this.user(id);
    if (!u || !window.confirm(text("confirmReset", { u: u.username }))) return;
    try {
      const answer = await api("POST", `/users/${id}/password-reset`);
      this.secret = { username: u.username, password: answer.password };
      this.render();
      this.say("", "info");
      $("account-secret")?.scrollIntoView({ block: "nearest" }); // the box sits above the list
    } catch (err) {
      this.say(text("failed", { r: reason(err) }), "bad");
    }
  }

  async toggle(id) {
    const u = this.user(id);
    if (!u) return;
    if (u.is_active && !window.confirm(text("confirmDisable", { u: u.username }))) return;
    await this.patch(id, { is_active: !u.is_active }, text(u.is_active ? "disabled" : "enabled", { u: u.username }));
  }

  async changeRole(id, role) {
    const u = this.user(id);
    if (!u || u.role === role) return;
    await this.patch(id, { role }, text("roleChanged", { u: u.username, r: text(`role.${role}`) }));
  }

  async patch(id, body, done) {
    try {
      const updated = await api("PATCH", `/users/${id}`, body);
      this.users = this.users.map((u) => (u.id === id ? updated : u));
      this.render();
      this.say(done, "ok");
    } catch (err) {
      this.render(); // the select shows the stored role again
      this.say(text("failed", { r: reason(err) }), "bad");
    }
  }

  async toggleEvents(id) {
    if (this.expanded.has(id)) {
      this.expanded.delete(id);
      this.render();
      return;
    }
    this.expanded.add(id);
    this.render();
    try {
      await this.loadMemberships(id);
      this.render();
    } catch (err) {
      this.say(text("failed", { r: reason(err) }), "bad");
    }
  }

  async assign(id, form) {
    const eventId = form.elements.event_id.value;
    const u = this.user(id);
    const e = this.events.find((x) => x.id === eventId);
    if (!eventId || !u) return;
    try {
      await api("POST", `/events/${encodeURIComponent(eventId)}/members`, { user_id: id });
      await this.loadMemberships(id);
      this.render();
      this.say(text("assigned", { u: u.username, e: e?.name || eventId }), "ok");
    } catch (err) {
      this.say(text("failed", { r: reason(err) }), "bad");
    }
  }

  async release(id, eventId) {
    const u = this.user(id);
    const e = this.events.find((x) => x.id === eventId);
    try {
      await api("DELETE", `/events/${encodeURIComponent(eventId)}/members/${id}`);
      await this.loadMemberships(id);
      this.render();
      this.say(text("released", { u: u?.username || id, e: e?.name || eventId }), "ok");
    } catch (err) {
      this.say(text("failed", { r: reason(err) }), "bad");
    }
  }

  async copy() {
    try {
      await navigator.clipboard.writeText(this.secret?.password || "");
      this.say(text("copied"), "ok");
    } catch { /* the password stays on screen to copy by hand */ }
  }
}
