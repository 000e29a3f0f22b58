// The API client: the bearer token lives in localStorage so the app survives offline restarts.

const BASE = "/api/v1";
const TOKEN_KEY = "posko.lapangan.token";
const USER_KEY = "posko.lapangan.user";

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export class NetworkError extends Error {}

export function session() {
  const token = localStorage.getItem(TOKEN_KEY);
  if (!token) return null;
  let user = null;
  try { user = JSON.parse(localStorage.getItem(USER_KEY) || "null"); } catch { user = null; }
  return { token, user };
}

export function clearSession() {
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(USER_KEY);
}

let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

function errorText(body, status) {
  if (body && typeof body.detail === "string") return body.detail;
  if (body && Array.isArray(body.detail)) {
    return body.detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
  }
  return `HTTP ${status}`;
}

/** fetch with a timeout; a failed connection is a NetworkError, an error answer an ApiError. */
export async function request(path, { method = "GET", body, form, timeout = 30000, auth = true } = {}) {
  const headers = {};
  const s = session();
  if (auth && s) headers.Authorization = `Bearer ${s.token}`;
  let payload;
  if (form) {
    payload = new URLSearchParams(form);
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), timeout);
  let res;
  try {
    res = await fetch(BASE + path, { method, headers, body: payload, signal: ctrl.signal, cache: "no-store" });
  } catch (err) {
    throw new NetworkError(String(err && err.message || err));
  } finally {
    clearTimeout(timer);
  }
  let data = null;
  try { data = await res.json(); } catch { data = null; }
  if (res.status === 503 && data && data.offline) throw new NetworkError("offline");
  if (!res.ok) {
    if (res.status === 401 && auth) onUnauthorized();
    throw new ApiError(res.status, errorText(data, res.status));
  }
  return data;
}

export async function login(username, password) {
  const tok = await request("/auth/token", { method: "POST", form: { username, password }, auth: false });
  localStorage.setItem(TOKEN_KEY, tok.access_token);
  let user = { username, role: tok.role, full_name: "" };
  try {
    const me = await request("/auth/me");
    user = { username: me.username, role: me.role, full_name: me.full_name };
  } catch { /* the token is what matters */ }
  localStorage.setItem(USER_KEY, JSON.stringify(user));
  return user;
}

/** Every page of a list endpoint (reference lists are small: regions, items, shelters). */
export async function listAll(path, params = {}) {
  const items = [];
  for (let offset = 0; ; offset += 500) {
    const q = new URLSearchParams({ ...params, limit: "500", offset: String(offset) });
    const page = await request(`${path}?${q}`);
    items.push(...page.items);
    if (items.length >= page.total || page.items.length === 0) return items;
  }
}
