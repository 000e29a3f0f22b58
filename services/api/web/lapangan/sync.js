// The sync loop: pending records go through POST /api/v1/sync in creation order, at most BATCH at a
// time. A record stays pending until its own answer arrives: a network error (or a phone going
// offline mid-request) leaves it pending, and resending it later is answered `duplicate` → accepted.

import { ApiError, NetworkError, request, session } from "./api.js";
import { applyResults, pendingBatch } from "./store.js";

export const BATCH = 500; // the server takes at most 1,000 per request
const RETRY_MS = 15000;

export const syncState = new EventTarget();
export const status = { running: false, lastAttempt: null, lastSuccess: null, lastError: null };

let again = false;
let timer = null;

function emit() { syncState.dispatchEvent(new Event("change")); }

/** Send every pending record now (if online and logged in); concurrent calls fold into one run. */
export async function syncNow() {
  if (status.running) { again = true; return; }
  if (!navigator.onLine) { status.lastError = "offline"; emit(); return; }
  if (!session()) return;
  status.running = true;
  status.lastError = null;
  emit();
  try {
    do {
      again = false;
      for (;;) {
        const batch = await pendingBatch(BATCH);
        if (!batch.length) break;
        status.lastAttempt = new Date();
        const body = { records: batch.map((r) => ({ type: r.type, event_id: r.event_id, data: r.data })) };
        const answer = await request("/sync", { method: "POST", body, timeout: 120000 });
        const changed = await applyResults(batch, answer.results || []);
        status.lastSuccess = new Date();
        emit();
        if (changed === 0) break; // nothing moved: never spin on an answer we cannot use
      }
    } while (again);
  } catch (err) {
    if (err instanceof NetworkError) status.lastError = "network";
    else if (err instanceof ApiError) status.lastError = err.status === 401 ? "auth" : `HTTP ${err.status}: ${err.message}`;
    else status.lastError = String(err);
  } finally {
    status.running = false;
    emit();
  }
}

/** Start the loop: on the 'online' event, when the app comes back to the foreground, and periodically. */
export function startSyncLoop() {
  window.addEventListener("online", () => { emit(); syncNow(); });
  window.addEventListener("offline", () => emit());
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") syncNow(); });
  if (timer === null) timer = setInterval(() => syncNow(), RETRY_MS);
  syncNow();
}
