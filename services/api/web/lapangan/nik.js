// NIK and KK number checks, the same rules as the server (shared/domain/identity.py), applied as typed.
// A NIK is 16 digits: 6 of the area of first issue, DDMMYY birth date (women: day + 40), 4 of serial.

/** Why `nik` is not a plausible NIK, as an i18n key, or null when it is. `typing` tolerates a prefix. */
export function nikProblem(nik, { typing = false } = {}) {
  if (nik === "") return null;
  if (!/^[0-9]*$/.test(nik)) return "nik_digits";
  if (nik.length > 16) return "nik_length";
  if (nik.length >= 8) {
    const day = Number(nik.slice(6, 8));
    if (!((day >= 1 && day <= 31) || (day >= 41 && day <= 71))) return "nik_day";
  }
  if (nik.length >= 10) {
    const month = Number(nik.slice(8, 10));
    if (month < 1 || month > 12) return "nik_month";
  }
  if (nik.length === 16 && nik.slice(12) === "0000") return "nik_serial";
  if (nik.length < 16 && !typing) return "nik_length";
  return null;
}

/** The sex the NIK encodes (women have 40 added to the day of birth), or null for an incomplete NIK. */
export function nikSex(nik) {
  if (!/^[0-9]{8}/.test(nik)) return null;
  return Number(nik.slice(6, 8)) > 40 ? "P" : "L";
}

/** Why `kk` is not a plausible family-card number (16 digits), as an i18n key, or null. */
export function kkProblem(kk, { typing = false } = {}) {
  if (kk === "") return null;
  if (!/^[0-9]*$/.test(kk) || kk.length > 16) return "kk_digits";
  if (kk.length < 16 && !typing) return "kk_digits";
  return null;
}

/**
 * The birth date a NIK encodes (YYYY-MM-DD), or null while fewer than 12 digits are typed or the date
 * does not exist. The NIK holds two digits of the year: a year not after this one is 20YY, else 19YY.
 */
export function nikBirthDate(nik, today = new Date()) {
  if (!/^[0-9]{12}/.test(nik)) return null;
  let day = Number(nik.slice(6, 8));
  if (day > 40) day -= 40;
  const month = Number(nik.slice(8, 10));
  const yy = Number(nik.slice(10, 12));
  const year = 2000 + yy <= today.getFullYear() ? 2000 + yy : 1900 + yy;
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null;
  return `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

/** Whether a typed birth date disagrees with the NIK's DDMMYY (the century is not in a NIK). */
export function nikDisagreesWithBirthDate(nik, birthDate) {
  const born = nikBirthDate(nik);
  if (!born || !birthDate) return false;
  return born.slice(2) !== birthDate.slice(2);
}
