// Find before register: is the person being typed already registered in this event?
// Online the server answers (GET /persons/matches, ranked across what the caller may see); offline the
// persons this phone already holds for the event are compared here. The normaliser below MIRRORS
// shared/matching on the server for the offline case only (case, spacing, punctuation, the common
// Indonesian spellings and honorifics); it is deliberately small: the server's answer wins when online.

import { ApiError, NetworkError, request } from "./api.js";
import { nikBirthDate, nikSex } from "./nik.js";

const HONORIFICS = new Set(["h", "hj", "ir", "dr", "drs", "dra", "prof", "st", "sh", "se", "spd", "amd", "bapak",
                            "pak", "ibu", "bu", "ny", "nn", "tn", "sdr", "sdri", "alm", "almh"]);
// Whole-word spellings of the same given name (after the letter rules below).
const WORDS = new Map([
  ["muhamad", "muhammad"], ["muhammad", "muhammad"], ["mohammad", "muhammad"], ["mohamad", "muhammad"],
  ["muhammed", "muhammad"], ["moh", "muhammad"], ["mhd", "muhammad"], ["muh", "muhammad"], ["m", "muhammad"],
  ["noer", "nur"], ["nor", "nur"], ["nurul", "nurul"], ["siti", "siti"], ["sity", "siti"],
  ["boru", "br"], ["br", "br"],
]);

/** A name as a list of comparable words: lower case, no punctuation, old spellings made new. */
export function nameWords(name) {
  const plain = String(name || "").toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
    .replace(/[.,'`’"()\-_/]+/g, " ");
  const out = [];
  for (let w of plain.split(/\s+/)) {
    if (!w) continue;
    if (HONORIFICS.has(w) && w !== "st") continue; // "St." is a Siti, handled below
    // Van Ophuijsen / Soewandi spellings → EYD: oe → u, dj → j, tj → c, j (old) is ambiguous: left alone.
    w = w.replace(/oe/g, "u").replace(/dj/g, "j").replace(/tj/g, "c").replace(/ch/g, "kh").replace(/y$/, "i");
    if (w === "st") w = "siti";
    w = WORDS.get(w) || w;
    w = w.replace(/(.)\1+/g, "$1"); // doubled letters: Muhammad / Muhamad, Rahmawatti
    out.push(w);
  }
  return out;
}

export function normaliseName(name) { return nameWords(name).join(" "); }

function similar(a, b) {
  // Words in any order (a swapped given name), and one word missing on either side.
  const x = nameWords(a).filter((w) => w !== "br");
  const y = nameWords(b).filter((w) => w !== "br");
  if (!x.length || !y.length) return 0;
  const shared = x.filter((w) => y.some((v) => v === w || oneEditApart(v, w))).length;
  return shared / Math.max(x.length, y.length);
}

/** A typo in a word of 5 letters or more (one letter changed, added or dropped). */
function oneEditApart(a, b) {
  if (Math.min(a.length, b.length) < 5 || Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && a[i] === b[i]) i += 1;
  return a.slice(i + 1) === b.slice(i + 1) || a.slice(i + 1) === b.slice(i) || a.slice(i) === b.slice(i + 1);
}

/**
 * Score one held person against what is being typed: {score 0–1, reasons[]} like the server's answer.
 * A masked NIK (`************1234`, what a relawan is sent) counts only with its last four digits and the
 * birth date and sex the typed NIK encodes.
 */
export function scorePerson(p, { nik, name, birth_date: birthDate, sex }) {
  const reasons = [];
  let score = 0;
  if (nik && p.nik) {
    if (p.nik === nik) { reasons.push("nik"); score = 1; }
    else if (p.nik.startsWith("*") && nik.length === 16 && p.nik.slice(-4) === nik.slice(-4)) {
      const born = nikBirthDate(nik);
      if (born && p.birth_date && p.birth_date.slice(5) === born.slice(5) && p.sex === nikSex(nik)) {
        reasons.push("nik_birth_sex");
        score = 0.95;
      }
    }
  }
  const nameScore = name ? similar(name, p.full_name) : 0;
  if (nameScore >= 0.66) {
    reasons.push(normaliseName(name) === normaliseName(p.full_name) ? "name_phonetic" : "name_fuzzy");
    const birthSame = birthDate && p.birth_date === birthDate;
    if (birthSame) reasons.push("birth_date");
    const sexOk = !sex || !p.sex || p.sex === sex;
    const byName = (birthSame ? 0.6 : 0.25) + 0.3 * nameScore - (sexOk ? 0 : 0.3);
    score = Math.max(score, byName);
  }
  return { score: Math.round(score * 100) / 100, reasons };
}

export const SHOW_FROM = 0.7; // below this a candidate is not offered

/** Offline: the held persons of the event, best first. */
export function matchLocal(persons, query, limit = 5) {
  return persons
    .map((p) => ({ p, ...scorePerson(p, query) }))
    .filter((x) => x.score >= SHOW_FROM)
    .sort((a, b) => b.score - a.score)
    .slice(0, limit)
    .map(({ p, score, reasons }) => ({
      person_id: p.id, event_id: p.event_id, full_name: p.full_name, birth_date: p.birth_date || null, sex: p.sex,
      household_id: p.household_id || null, shelter_id: p.shelter_id || null, shelter_name: null,
      kelurahan_code: null, score, reasons, local: true,
    }));
}

/**
 * Online: GET /persons/matches limited to the event. A server without that endpoint (404/405) is asked
 * the persons list by exact NIK or by name instead. A NetworkError is left to the caller (go offline).
 */
export async function matchServer(eventId, query, limit = 5) {
  const params = new URLSearchParams({ event_id: eventId, limit: String(limit) });
  for (const key of ["nik", "name", "birth_date", "sex"]) if (query[key]) params.set(key, query[key]);
  try {
    const found = await request(`/persons/matches?${params}`);
    const items = Array.isArray(found) ? found : found?.items || [];
    return items.filter((c) => c.event_id === eventId && c.score >= SHOW_FROM);
  } catch (err) {
    if (err instanceof NetworkError || !(err instanceof ApiError) || ![404, 405].includes(err.status)) throw err;
  }
  // The list's `q` is an exact NIK (answered masked to a relawan: every row found by it is that NIK) or a
  // part of a name (scored here like the offline case).
  const q = query.nik || query.name;
  const page = await request(`/events/${eventId}/persons?${new URLSearchParams({ q, limit: "20" })}`);
  if (query.nik) {
    return page.items.slice(0, limit).map((p) => ({
      person_id: p.id, event_id: p.event_id, full_name: p.full_name, birth_date: p.birth_date, sex: p.sex,
      household_id: p.household_id, shelter_id: p.shelter_id, shelter_name: null, kelurahan_code: null,
      score: 1, reasons: ["nik"] }));
  }
  return matchLocal(page.items, query, limit).map((c) => ({ ...c, local: false }));
}

/** What is worth a search: a whole NIK, or a name of two letters or more with a birth date. */
export function matchQuery(m) {
  const nik = (m.nik || "").trim();
  const q = {};
  if (/^[0-9]{16}$/.test(nik)) q.nik = nik;
  const name = (m.full_name || "").trim();
  const birth = m.age_mode === "birth" ? m.birth_date : "";
  if (name.length >= 2 && birth) { q.name = name; q.birth_date = birth; }
  if (!q.nik && !q.name) return null;
  if (m.sex) q.sex = m.sex;
  if (q.nik && name) q.name = name;
  return q;
}
