// Validation messages next to their fields. A 422 names each field in `loc` (["body", "username"],
// ["query", "as_of"]) with an Indonesian message; a form whose inputs carry the same `name` shows
// each message under its input. What matches no input is returned for the form's own message line.

import { ApiError } from "./api.js";

export function clearFieldErrors(form) {
  for (const el of form.querySelectorAll(".field-error")) el.remove();
  for (const el of form.querySelectorAll("[aria-invalid]")) {
    el.removeAttribute("aria-invalid");
    el.removeAttribute("aria-describedby");
  }
}

/** Put each message of `err` (an ApiError with a 422 list) under its input; returns the rest. */
export function showFieldErrors(form, err) {
  clearFieldErrors(form);
  if (!(err instanceof ApiError) || !Array.isArray(err.detail)) return err ? [err] : [];
  const rest = [];
  for (const d of err.detail) {
    const loc = Array.isArray(d.loc) ? d.loc : [];
    const name = [...loc].reverse().find((x) => typeof x === "string" && !["body", "query", "path", "header"].includes(x));
    const input = name ? form.querySelector(`[name="${CSS.escape(name)}"]`) : null;
    if (!input) {
      rest.push(d.msg);
      continue;
    }
    const p = document.createElement("p");
    p.className = "field-error";
    p.id = `${form.id || "form"}-err-${name}`;
    p.dataset.errorFor = name;
    p.textContent = d.msg;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", p.id);
    input.insertAdjacentElement("afterend", p);
  }
  return rest;
}
