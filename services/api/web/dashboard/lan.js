// "Ponsel lapangan": under `posko run --lan`, admin and posko see a QR code of the field app's HTTPS
// address (GET /api/v1/lan) that a volunteer's phone scans. Hidden for other roles and without --lan.

import { ApiError, get } from "./api.js";
import { getLang } from "./i18n.js";

const TEXT = {
  id: { label: "Ponsel lapangan", scan: "Pindai dengan kamera ponsel untuk membuka aplikasi lapangan.",
        first: "Ponsel baru: pasang dulu sertifikat posko di", fingerprint: "Sidik jari SHA-256" },
  en: { label: "Field phones", scan: "Scan with a phone's camera to open the field app.",
        first: "A new phone first installs the posko certificate at", fingerprint: "SHA-256 fingerprint" },
};

let answer; // undefined: not asked yet; null: no LAN mode (or not allowed)

function text(key) { return (TEXT[getLang()] || TEXT.id)[key]; }

function line(cls, ...children) {
  const p = document.createElement("p");
  p.className = cls;
  p.append(...children);
  return p;
}

function link(url) {
  const a = document.createElement("a");
  a.href = url;
  a.textContent = url;
  a.target = "_blank";
  a.rel = "noopener";
  return a;
}

function render(box) {
  box.querySelector("summary").textContent = text("label");
  const panel = box.querySelector(".lan-qr-panel");
  // The SVG is drawn by the server (segno): paths only, no script; parsed as SVG, never as HTML.
  const svg = new DOMParser().parseFromString(answer.qr_svg, "image/svg+xml").documentElement;
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", answer.field_app_url);
  panel.replaceChildren(
    document.importNode(svg, true),
    line("lan-qr-text", text("scan")),
    line("lan-qr-url", link(answer.field_app_url)),
    line("lan-qr-text muted", `${text("first")} `, link(answer.certificate_page_url)),
    line("lan-qr-fp muted", `${text("fingerprint")}: ${answer.ca_fingerprint_sha256}`),
  );
}

/** Show the QR element when `show` (a signed-in admin or posko) and the server runs with --lan. */
export async function fieldPhones(show) {
  const box = document.getElementById("lan-qr");
  if (!box) return;
  if (!show) {
    box.hidden = true;
    box.open = false;
    answer = undefined; // the next user may have another role
    return;
  }
  if (answer === undefined) {
    try {
      const got = await get("/lan");
      answer = got.enabled ? got : null; // enabled: false without --lan
    } catch (err) {
      if (err instanceof ApiError) answer = null; // 403: not for this role
      return;
    }
  }
  box.hidden = !answer;
  if (answer) render(box);
}
