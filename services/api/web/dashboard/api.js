// The API under /api/v1 with the bearer token kept in sessionStorage (the dashboard forgets it with the tab).

const BASE = "/api/v1";
const SESSION_KEY = "posko.dashboard.session";

export class ApiError extends Error {
  constructor(status, detail) {
    super(typeof detail === "string" ? detail : JSON.stringify(detail));
    this.status = status;
    this.detail = detail;
  }

  /** A readable message: FastAPI's detail string, or the first validation message. */
  get readable() {
    if (typeof this.detail === "string") return this.detail;
    if (Array.isArray(this.detail) && this.detail.length) {
      const d = this.detail[0];
      const where = Array.isArray(d.loc) ? d.loc.filter((x) => x !== "body").join(".") : "";
      const named = Array.isArray(d.loc) && d.loc.length && String(d.msg).startsWith(`${d.loc[d.loc.length - 1]} `);
      return where && !named ? `${where}: ${d.msg}` : d.msg; // the server's messages name their field
    }
    return `HTTP ${this.status}`;
  }
}

let session = null;
try { session = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null"); } catch { session = null; }
let onUnauthorized = () => {};

export function getSession() { return session; }

export function setSession(value) {
  session = value;
  try {
    if (value) sessionStorage.setItem(SESSION_KEY, JSON.stringify(value));
    else sessionStorage.removeItem(SESSION_KEY);
  } catch { /* ignore */ }
}

export function whenUnauthorized(fn) { onUnauthorized = fn; }

export async function login(username, password) {
  const body = new URLSearchParams({ username, password });
  const r = await fetch(`${BASE}/auth/token`, { method: "POST", body });
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw new ApiError(r.status, data.detail ?? r.statusText);
  return data;
}

/** api("GET", "/events") → parsed JSON; throws ApiError (401 also signs the user out). */
export async function api(method, path, body, extraHeaders) {
  const headers = { Accept: "application/json", ...(extraHeaders || {}) };
  if (session?.token) headers.Authorization = `Bearer ${session.token}`;
  const init = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let r;
  try {
    r = await fetch(BASE + path, init);
  } catch (exc) {
    throw new ApiError(0, exc?.message || "network error");
  }
  if (r.status === 204) return null;
  const data = await r.json().catch(() => null);
  if (!r.ok) {
    const err = new ApiError(r.status, data?.detail ?? r.statusText);
    if (r.status === 401) onUnauthorized(err);
    throw err;
  }
  return data;
}

export const get = (path) => api("GET", path);

/** The file name the server gave in Content-Disposition (filename* first), or `fallback`. */
export function attachmentName(disposition, fallback) {
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition || "");
  if (star) {
    try { return decodeURIComponent(star[1].trim()); } catch { /* fall through */ }
  }
  const plain = /filename="?([^";]+)"?/i.exec(disposition || "");
  return plain ? plain[1].trim() : fallback;
}

/** GET a file with the bearer token → {blob, filename}; throws ApiError (401 also signs the user out). */
export async function download(path, fallbackName) {
  const headers = {};
  if (session?.token) headers.Authorization = `Bearer ${session.token}`;
  let r;
  try {
    r = await fetch(BASE + path, { headers });
  } catch (exc) {
    throw new ApiError(0, exc?.message || "network error");
  }
  if (!r.ok) {
    const data = await r.json().catch(() => null);
    const err = new ApiError(r.status, data?.detail ?? r.statusText);
    if (r.status === 401) onUnauthorized(err);
    throw err;
  }
  const blob = await r.blob();
  return { blob, filename: attachmentName(r.headers.get("Content-Disposition"), fallbackName) };
}

/** The newest `n` rows of a list ordered oldest first: one call for the total, one for the tail. */
export async function newest(path, n, knownTotal) {
  const sep = path.includes("?") ? "&" : "?";
  let total = knownTotal;
  if (total === undefined || total === null) {
    total = (await get(`${path}${sep}limit=1&offset=0`)).total;
  }
  let offset = Math.max(0, total - n);
  let page = await get(`${path}${sep}limit=${n}&offset=${offset}`);
  if (page.total !== total && Math.max(0, page.total - n) !== offset) {
    // The list grew (or the known total was behind): read the real tail.
    offset = Math.max(0, page.total - n);
    page = await get(`${path}${sep}limit=${n}&offset=${offset}`);
  }
  return page.items.slice().reverse();
}

export function liveUrl(eventId, lastSeq) {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const q = new URLSearchParams({ token: session?.token || "", last_seq: String(lastSeq ?? -1) });
  return `${proto}//${location.host}${BASE}/events/${encodeURIComponent(eventId)}/live?${q}`;
}

/** A client id for idempotent creates (a retried click never creates twice). */
export function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
