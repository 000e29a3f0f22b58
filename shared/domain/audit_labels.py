"""Indonesian words for audit rows, so the dashboard's audit tab reads as sentences ("Admin Dinsos
mendaftarkan orang Siti Aminah") instead of `person.create` and ids (docs/api.md, "Event audit").

Plain data, no I/O: the names of the objects are looked up by shared/services/audit_view.py.
"""

from __future__ import annotations

ACTION_LABELS: dict[str, str] = {
    "event.create": "membuka kejadian",
    "event.update": "mengubah kejadian",
    "event.report": "mengunduh laporan kejadian",
    "event.retention_purge": "menganonimkan data kejadian (masa simpan habis)",
    "shelter.create": "membuka tempat penampungan",
    "shelter.update": "mengubah tempat penampungan",
    "household.create": "mendaftarkan keluarga",
    "household.update": "mengubah data keluarga",
    "household.read": "membuka data keluarga",
    "household.list": "membuka daftar keluarga",
    "person.create": "mendaftarkan orang",
    "person.update": "mengubah data orang",
    "person.read": "membuka data orang",
    "person.list": "membuka daftar orang",
    "person.match": "mencari orang yang mungkin sama",
    "person.merge": "menggabungkan data ganda",
    "person.unmerge": "membatalkan penggabungan",
    "person.export": "mengekspor data pribadi",
    "person.anonymise": "menganonimkan orang",
    "stay.check_in": "mencatat masuk",
    "stay.check_out": "mencatat keluar",
    "stay.transfer": "mencatat pindah tempat",
    "stay.create": "mencatat tinggal",
    "distribution.create": "mencatat penyaluran",
    "service.create": "mencatat layanan",
    "member.add": "menugaskan relawan",
    "member.remove": "melepas relawan",
    "unmet.list": "membuka daftar belum terpenuhi",
    "duplicate.list": "membuka daftar kemungkinan ganda",
    "duplicate.dismiss": "menandai bukan orang yang sama",
    "user.create": "membuat akun",
    "user.update": "mengubah akun",
    "user.disable": "menonaktifkan akun",
    "user.enable": "mengaktifkan akun",
    "user.password_change": "mengganti kata sandi",
    "user.password_reset": "mengatur ulang kata sandi",
    "user.role_change": "mengubah peran akun",
}

OBJECT_LABELS: dict[str, str] = {
    "event": "kejadian",
    "shelter": "tempat penampungan",
    "household": "keluarga",
    "person": "orang",
    "stay": "tinggal",
    "distribution": "penyaluran",
    "service": "layanan",
    "member": "relawan",
    "user": "akun",
    "duplicate_pair": "pasangan kemungkinan ganda",
    "item": "barang",
    "standard": "standar kebutuhan",
}

SERVICE_LABELS = {"penanganan_khusus": "penanganan khusus", "psikososial": "dukungan psikososial"}
SYSTEM_ACTOR = "Sistem"


def action_label(action: str) -> str:
    """The Indonesian verb phrase of an audit action; an unknown action reads as its words."""
    found = ACTION_LABELS.get(action)
    if found:
        return found
    obj, _, verb = action.partition(".")
    return f"{verb.replace('_', ' ')} {OBJECT_LABELS.get(obj, obj.replace('_', ' '))}".strip()


def object_kind_label(object_type: str) -> str:
    return OBJECT_LABELS.get(object_type, object_type.replace("_", " "))
