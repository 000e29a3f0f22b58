"""The first-page summary of the post-disaster report: plain Indonesian sentences written from the
report dict (shared/reports/event.py), so what the Kepala Dinas reads first is the figures of the
tables below it, never a separate text that could disagree with them.

Four paragraphs, each left out when it has nothing to say:

1. who was displaced: registered and displaced persons, the shelters with most occupants and the
   kelurahan with most displaced persons, the vulnerable groups;
2. how many are fulfilled of how many eligible (the SPM indicator) against the target;
3. what is lacking: the basic services with most persons not fulfilled, and the items with the
   lowest coverage (with their shortfall);
4. the main reasons, one per service not met, in the words of the needs rules (docs/rules.md): a
   missed meal day stays missed, a sandang packet not received, a vulnerable person without special
   care, a person needing psychosocial support without it.

Needs no names: the pengamat's report (no per-person data) gets the same summary.
"""

from __future__ import annotations

from typing import Any

from shared.needs.model import VULNERABILITIES
from shared.reports.render.indonesian import SERVICE_LABELS, VULNERABILITY_LABELS, fmt_int, fmt_num, fmt_pct

TOP = 3
REASONS = {
    "permakanan": "{n} orang pernah tidak mendapat makan lengkap pada satu hari atau lebih di tempat "
                  "penampungan (hari yang terlewat tetap terhitung belum terpenuhi, sesuai SPM)",
    "sandang": "{n} orang belum menerima paket sandang",
    "tempat_penampungan": "{n} orang belum tercatat menempati tempat penampungan",
    "penanganan_khusus": "{n} orang dari kelompok rentan belum mendapat penanganan khusus",
    "psikososial": "{n} orang yang memerlukan dukungan psikososial belum mendapatkannya",
}


def _series(parts: list[str]) -> str:
    """`a`, `a dan b`, `a, b, dan c`."""
    if len(parts) <= 1:
        return "".join(parts)
    if len(parts) == 2:
        return f"{parts[0]} dan {parts[1]}"
    return ", ".join(parts[:-1]) + f", dan {parts[-1]}"


def _persons(n: int) -> str:
    return f"{fmt_int(n)} orang"


def displaced_paragraph(report: dict[str, Any]) -> str:
    pp = report["people"]
    shelters = report["shelters"]
    text = (f"Sampai keadaan laporan ini, {_persons(pp['registered'])} tercatat sebagai korban "
            f"{report['event']['name']}; {_persons(pp['displaced_now'])} masih mengungsi")
    open_shelters = [s for s in shelters if s["closed_at"] is None]
    if open_shelters:
        text += f" di {fmt_int(len(open_shelters))} tempat penampungan yang masih buka"
    text += "."
    busiest = sorted((s for s in shelters if s["occupants"] > 0), key=lambda s: (-s["occupants"], s["name"]))[:TOP]
    if busiest:
        text += " Penghuni terbanyak: " + _series([f"{s['name']} ({_persons(s['occupants'])})" for s in busiest]) + "."
    areas = sorted((k for k in pp["by_kelurahan"] if k["displaced_now"] > 0 and k["kelurahan_code"]),
                   key=lambda k: (-k["displaced_now"], k["kelurahan_name"]))[:TOP]
    if areas:
        text += (" Pengungsi terbanyak berasal dari kelurahan "
                 + _series([f"{k['kelurahan_name'] or k['kelurahan_code']} ({_persons(k['displaced_now'])})"
                            for k in areas]) + ".")
    groups = [f"{fmt_int(pp['vulnerable'].get(v, 0))} {VULNERABILITY_LABELS[v].lower()}" for v in VULNERABILITIES
              if pp["vulnerable"].get(v, 0)]
    if groups:
        text += " Kelompok rentan yang terdata: " + _series(groups) + "."
    lost = [f"{fmt_int(pp[k])} {label}" for k, label in (("injured", "luka-luka"), ("missing", "hilang"),
                                                          ("dead", "meninggal dunia")) if pp.get(k)]
    if lost:
        text += " Korban " + _series(lost) + "."
    return text


def fulfilled_paragraph(report: dict[str, Any]) -> str:
    ind = report["indicator"]
    if not ind["eligible"]:
        return "Belum ada korban yang wajib dilayani, sehingga capaian kebutuhan dasar belum dapat dihitung."
    text = (f"Kebutuhan dasar sudah terpenuhi bagi {fmt_int(ind['fulfilled'])} dari {_persons(ind['eligible'])} "
            f"yang wajib dilayani ({fmt_pct(ind['percent'])}), dengan target {fmt_num(ind['target_percent'])}%.")
    short = ind["eligible"] - ind["fulfilled"]
    if short > 0:
        text += f" {_persons(short)} belum terpenuhi kebutuhan dasarnya."
    return text


def _service_gaps(report: dict[str, Any]) -> list[tuple[str, int]]:
    gaps = [(code, s["eligible"] - s["fulfilled"]) for code, s in report["indicator"]["services"].items()]
    return sorted(((c, g) for c, g in gaps if g > 0), key=lambda cg: (-cg[1], cg[0]))


def lacking_paragraph(report: dict[str, Any]) -> str:
    parts = []
    gaps = _service_gaps(report)[:TOP]
    if gaps:
        parts.append("Layanan dengan kekurangan terbesar: " + _series(
            [f"{SERVICE_LABELS[c].lower()} ({_persons(g)} belum terpenuhi)" for c, g in gaps]) + ".")
    items = sorted((n for n in report["needs"] if n["gap"] and n["gap"] > 0 and n["required"]),
                   key=lambda n: (n["coverage_percent"] if n["coverage_percent"] is not None else 0, -n["gap"]))[:TOP]
    if items:
        parts.append("Barang yang paling kurang: " + _series(
            [f"{n['item_name'] or n['item_code']} (kurang {fmt_num(n['gap'])} {n['unit']}, tersalur "
             f"{fmt_pct(n['coverage_percent'])} dari kebutuhan)" for n in items]) + ".")
    return " ".join(parts)


def reasons_paragraph(report: dict[str, Any]) -> str:
    gaps = _service_gaps(report)
    if not gaps:
        return ""
    return "Penyebab utama: " + "; ".join(REASONS[c].format(n=fmt_int(g)) for c, g in gaps if c in REASONS) + "."


def summary_paragraphs(report: dict[str, Any]) -> list[str]:
    """The summary, paragraph by paragraph (empty ones left out)."""
    paragraphs = [displaced_paragraph(report), fulfilled_paragraph(report), lacking_paragraph(report),
                  reasons_paragraph(report)]
    return [p for p in paragraphs if p]


__all__ = ["summary_paragraphs"]
