// The live status of one event over the websocket: reconnects with backoff and catches up with last_seq.
//
// States: "connecting" (first attempt), "live" (socket open), "reconnecting" (dropped, retrying),
// "stale" (dropped for more than STALE_MS, or the browser is offline). A close with code 1008 (bad
// token, event not visible) is final: no retry.

import { liveUrl } from "./api.js";

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 15000;
const STALE_MS = 8000;
const POLICY_VIOLATION = 1008;

export class Live {
  constructor({ eventId, lastSeq, onSnapshot, onState, onRefused, onNotice }) {
    this.eventId = eventId;
    this.lastSeq = lastSeq ?? -1;
    this.onSnapshot = onSnapshot;
    this.onState = onState;
    this.onRefused = onRefused;
    this.onNotice = onNotice;  // tracing notices (a new strong match): shared/live_messages.py
    this.socket = null;
    this.state = "idle";
    this.attempt = 0;
    this.retryAt = null;
    this.downSince = null;
    this.stopped = false;
    this.reconnects = 0;
    this._retryTimer = null;
    this._staleTimer = null;
    this._goodTimer = null;
    this._online = () => this.reconnectNow();
    this._offline = () => this._wentOffline();
    window.addEventListener("online", this._online);
    window.addEventListener("offline", this._offline);
  }

  start() {
    this._connect();
    return this;
  }

  stop() {
    this.stopped = true;
    clearTimeout(this._retryTimer);
    clearTimeout(this._staleTimer);
    clearTimeout(this._goodTimer);
    window.removeEventListener("online", this._online);
    window.removeEventListener("offline", this._offline);
    if (this.socket) {
      const s = this.socket;
      this.socket = null;
      s.onopen = s.onmessage = s.onclose = s.onerror = null;
      try { s.close(1000, "bye"); } catch { /* already closed */ }
    }
    this.state = "idle"; // stopped on purpose: nobody is told (the page moves on)
  }

  /** Drop the socket as a network failure would (used when the browser goes offline, and by tests). */
  drop() {
    if (this.socket) {
      try { this.socket.close(4000, "dropped"); } catch { /* ignore */ }
    }
  }

  /** Retry at once (the network came back). */
  reconnectNow() {
    if (this.stopped) return;
    if (this.socket && this.socket.readyState <= WebSocket.OPEN) return;
    clearTimeout(this._retryTimer);
    this.attempt = 0;
    this._connect();
  }

  _set(state) {
    if (state === this.state) {
      this.onState?.(this);
      return;
    }
    this.state = state;
    this.onState?.(this);
  }

  _connect() {
    if (this.stopped) return;
    this.retryAt = null;
    if (this.state === "idle") this._set("connecting");
    let socket;
    try {
      socket = new WebSocket(liveUrl(this.eventId, this.lastSeq));
    } catch {
      this._scheduleRetry();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (socket !== this.socket) return;
      if (this.downSince !== null) this.reconnects += 1;
      this.downSince = null;
      clearTimeout(this._staleTimer);
      this._set("live");
      // Only a connection that stays up resets the backoff (a refused one closes at once).
      clearTimeout(this._goodTimer);
      this._goodTimer = setTimeout(() => { this.attempt = 0; }, 3000);
    };
    socket.onmessage = (ev) => {
      if (socket !== this.socket) return;
      let msg;
      try { msg = JSON.parse(ev.data); } catch { return; }
      if (msg?.type === "tracing") { this.onNotice?.(msg); return; }  // news, not state: no seq
      if (msg?.type !== "status" || typeof msg.seq !== "number") return;
      if (msg.seq <= this.lastSeq) return;
      this.lastSeq = msg.seq;
      this.attempt = 0;
      this.onSnapshot?.(msg.data, msg.seq);
    };
    socket.onerror = () => { /* onclose follows */ };
    socket.onclose = (ev) => {
      if (socket !== this.socket) return;
      this.socket = null;
      clearTimeout(this._goodTimer);
      if (this.stopped) return;
      if (ev.code === POLICY_VIOLATION) {
        this.stopped = true;
        this._set("idle");
        this.onRefused?.(ev.reason || "refused");
        return;
      }
      if (this.downSince === null) this.downSince = Date.now();
      this._scheduleRetry();
    };
  }

  _scheduleRetry() {
    if (this.stopped) return;
    if (this.downSince === null) this.downSince = Date.now();
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt);
    const delay = Math.round(base * (0.5 + Math.random() * 0.5));
    this.attempt += 1;
    this.retryAt = Date.now() + delay;
    clearTimeout(this._retryTimer);
    this._retryTimer = setTimeout(() => this._connect(), delay);
    const staleIn = this.downSince + STALE_MS - Date.now();
    if (!navigator.onLine || staleIn <= 0) {
      this._set("stale");
    } else {
      this._set("reconnecting");
      clearTimeout(this._staleTimer);
      this._staleTimer = setTimeout(() => {
        if (this.state === "reconnecting") this._set("stale");
      }, staleIn);
    }
  }

  _wentOffline() {
    if (this.stopped) return;
    if (this.socket) {
      this.drop();
    } else {
      this._set("stale");
    }
  }
}
