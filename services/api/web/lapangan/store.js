// IndexedDB: the offline queue (records), locally known persons and households, cached reference data.
// Every record keeps the client UUID it got when created; only a rejected record that the user fixes
// gets a new one (its content changed, so the old id would be a conflict on the server).

const DB_NAME = "posko-lapangan";
const DB_VERSION = 1;
let dbPromise = null;

function req(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
  });
}

export function openDb() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const r = indexedDB.open(DB_NAME, DB_VERSION);
      r.onupgradeneeded = () => {
        const db = r.result;
        db.createObjectStore("kv");
        const records = db.createObjectStore("records", { keyPath: "seq", autoIncrement: true });
        records.createIndex("id", "id", { unique: true });
        records.createIndex("status", "status");
        const persons = db.createObjectStore("persons", { keyPath: "id" });
        persons.createIndex("event_id", "event_id");
        const households = db.createObjectStore("households", { keyPath: "id" });
        households.createIndex("event_id", "event_id");
      };
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
      r.onblocked = () => reject(new Error("IndexedDB blocked"));
    });
  }
  return dbPromise;
}

async function tx(stores, mode = "readonly") {
  const db = await openDb();
  return db.transaction(stores, mode);
}

// ---- key/value cache (events, shelters, regions, items, standards) ----

export async function kvGet(key) {
  const t = await tx("kv");
  return req(t.objectStore("kv").get(key));
}

export async function kvSet(key, value) {
  const t = await tx("kv", "readwrite");
  t.objectStore("kv").put(value, key);
  return done(t);
}

// ---- the queue ----

/** Store new records (in order) with the persons/households they describe, in one transaction. */
export async function addRecords(records, { persons = [], households = [] } = {}) {
  const t = await tx(["records", "persons", "households"], "readwrite");
  const now = new Date().toISOString();
  for (const r of records) {
    t.objectStore("records").add({ ...r, status: "pending", result: null, error: null, created_at: now,
                                   updated_at: now, attempts: 0 });
  }
  for (const p of persons) t.objectStore("persons").put(p);
  for (const h of households) t.objectStore("households").put(h);
  return done(t);
}

export async function allRecords() {
  const t = await tx("records");
  return req(t.objectStore("records").getAll());
}

export async function getRecord(seq) {
  const t = await tx("records");
  return req(t.objectStore("records").get(seq));
}

export async function recordById(id) {
  const t = await tx("records");
  return req(t.objectStore("records").index("id").get(id));
}

/** The oldest pending records, in creation order, at most `limit`. */
export async function pendingBatch(limit) {
  const t = await tx("records");
  const out = [];
  return new Promise((resolve, reject) => {
    const cursor = t.objectStore("records").index("status").openCursor(IDBKeyRange.only("pending"));
    cursor.onsuccess = () => {
      const c = cursor.result;
      if (!c || out.length >= limit) { resolve(out); return; }
      out.push(c.value);
      c.continue();
    };
    cursor.onerror = () => reject(cursor.error);
  });
}

const ACCEPTED = new Set(["created", "duplicate"]);

/** Apply the server's answers to the records that were sent; answers to records changed since are ignored. */
export async function applyResults(sent, results) {
  const t = await tx(["records"], "readwrite");
  const store = t.objectStore("records");
  const now = new Date().toISOString();
  let changed = 0;
  for (const res of results) {
    const rec = sent[res.index];
    if (!rec) continue;
    const current = await req(store.get(rec.seq));
    if (!current || current.id !== rec.id || current.status !== "pending") continue;
    current.result = res.status;
    current.status = ACCEPTED.has(res.status) ? "accepted" : "rejected";
    current.error = current.status === "rejected" ? (res.error || res.status) : null;
    // A NIK already registered: who it is, for the "orang yang sama" offer (only roles that see names get it).
    current.existing = current.status === "rejected" ? (res.existing || null) : null;
    current.data_seq = res.data_seq ?? null;
    current.updated_at = now;
    current.attempts = (current.attempts || 0) + 1;
    store.put(current);
    changed += 1;
  }
  await done(t);
  return changed;
}

const REFERENCES = ["person_id", "household_id"];

/**
 * Save a rejected record the user fixed: it gets a NEW client id and waits again. Records that pointed
 * at its old id (a check-in of a rejected person, members of a rejected household) are pointed at the
 * new one; those that were rejected too are queued again with new ids of their own.
 */
export async function resubmit(seq, data, meta, newId = () => crypto.randomUUID()) {
  const t = await tx(["records", "persons", "households"], "readwrite");
  const store = t.objectStore("records");
  const rec = await req(store.get(seq));
  if (!rec || rec.status !== "rejected") { t.abort(); return null; }
  const renames = new Map();
  const oldId = rec.id;
  const id = newId();
  renames.set(oldId, id);
  const now = new Date().toISOString();
  const fixed = { ...rec, id, data: { ...data, id }, meta: { ...rec.meta, ...meta }, status: "pending",
                  result: null, error: null, updated_at: now, previous_ids: [...(rec.previous_ids || []), oldId] };
  store.put(fixed);
  // The local copy of a person/household follows its new id.
  for (const name of ["persons", "households"]) {
    const local = await req(t.objectStore(name).get(oldId));
    if (local) {
      t.objectStore(name).delete(oldId);
      t.objectStore(name).put({ ...local, ...localFields(fixed), id });
    }
  }
  const all = await req(store.getAll());
  for (const other of all) {
    if (other.seq === seq || other.status === "accepted") continue;
    const refs = REFERENCES.filter((f) => other.data[f] === oldId);
    if (!refs.length) continue;
    const d = { ...other.data };
    for (const f of refs) d[f] = id;
    if (other.status === "rejected") {
      const otherId = newId();
      d.id = otherId;
      store.put({ ...other, id: otherId, data: d, status: "pending", result: null, error: null, updated_at: now,
                  previous_ids: [...(other.previous_ids || []), other.id] });
    } else {
      store.put({ ...other, data: d, updated_at: now });
    }
  }
  for (const p of await req(t.objectStore("persons").getAll())) {
    if (p.household_id === oldId) t.objectStore("persons").put({ ...p, household_id: id });
  }
  await done(t);
  return fixed;
}

function localFields(rec) {
  const d = rec.data;
  if (rec.type === "household") return { head_name: d.head_name, kk_number: d.kk_number || null };
  if (rec.type === "person") {
    return { full_name: d.full_name, sex: d.sex, nik: d.nik || null, household_id: d.household_id || null,
             shelter_id: d.shelter_id || null, birth_date: d.birth_date || null, age_years: d.age_years ?? null,
             condition: d.condition || "selamat" };
  }
  return {};
}

export async function deleteRecord(seq) {
  const t = await tx(["records", "persons", "households"], "readwrite");
  const rec = await req(t.objectStore("records").get(seq));
  if (rec && rec.status === "rejected") {
    t.objectStore("records").delete(seq);
    if (rec.type === "person") t.objectStore("persons").delete(rec.id);
    if (rec.type === "household") t.objectStore("households").delete(rec.id);
  }
  return done(t);
}

export async function clearAccepted() {
  const t = await tx(["records"], "readwrite");
  const store = t.objectStore("records");
  for (const r of await req(store.getAll())) if (r.status === "accepted") store.delete(r.seq);
  return done(t);
}

// ---- logout ----

/**
 * At logout, delete the personal data this phone holds (UU 27/2022): records, persons, households and the
 * cached lists of this user. With `keepPending`, records not yet sent stay, with the persons and households
 * they create, so they can still be sent after the next login; the user confirmed a warning first.
 */
export async function clearPersonalData({ keepPending = false } = {}) {
  const t = await tx(["records", "persons", "households", "kv"], "readwrite");
  const records = t.objectStore("records");
  const keep = new Set();
  for (const r of await req(records.getAll())) {
    if (keepPending && r.status === "pending") keep.add(r.id);
    else records.delete(r.seq);
  }
  for (const name of ["persons", "households"]) {
    const store = t.objectStore(name);
    for (const key of await req(store.getAllKeys())) if (!keep.has(key)) store.delete(key);
  }
  t.objectStore("kv").clear();
  return done(t);
}

// ---- locally known persons and households ----

export async function putPersons(persons) {
  const t = await tx(["persons"], "readwrite");
  const store = t.objectStore("persons");
  for (const p of persons) {
    const old = await req(store.get(p.id));
    // A NIK the volunteer typed on this phone stays readable here; the server sends it masked.
    const keepNik = old?.nik && p.nik && p.nik.startsWith("*") && old.nik.endsWith(p.nik.slice(-4));
    store.put({ ...(old || {}), ...p, nik: keepNik ? old.nik : p.nik, local: Boolean(old?.local || p.local) });
  }
  return done(t);
}

export async function getPerson(id) {
  const t = await tx("persons");
  return req(t.objectStore("persons").get(id));
}

export async function updatePerson(id, fields) {
  const t = await tx(["persons"], "readwrite");
  const store = t.objectStore("persons");
  const p = await req(store.get(id));
  if (p) store.put({ ...p, ...fields });
  return done(t);
}

export async function eventPersons(eventId) {
  const t = await tx("persons");
  return req(t.objectStore("persons").index("event_id").getAll(eventId));
}

export async function putHouseholds(households) {
  const t = await tx(["households"], "readwrite");
  for (const h of households) t.objectStore("households").put(h);
  return done(t);
}

export async function eventHouseholds(eventId) {
  const t = await tx("households");
  return req(t.objectStore("households").index("event_id").getAll(eventId));
}
