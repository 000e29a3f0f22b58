"""Pydantic's validation errors in Indonesian, naming the field (docs/validation.md, "Messages").

FastAPI answers a bad body, query value, path segment or header with pydantic's own English
("Field required", "Input should be a valid integer"), which a volunteer or a commander cannot be
expected to read. Every 422 the API sends (services/api/errors.py) and every `invalid` record of
`POST /sync` (shared/services/sync.py) passes through `translate`, so no English template of
pydantic reaches a client. Pure functions: the error dicts in, the same dicts with `msg` replaced out.

- A pydantic error type gets an Indonesian sentence that starts with the field's name as the API
  spells it (`limit maksimal 500`), so the message names the field even when shown on its own.
- Messages the house wrote itself (a validator's `ValueError`, `PydanticCustomError` types such as
  `control_character`) are already Indonesian and name the field in words; they are kept, without
  pydantic's "Value error, " prefix.
- The submitted value is never echoed (it may be a NIK or a password): only `loc`, `msg`, `type`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

_DATETIME = "harus tanggal dan waktu ISO 8601 dengan zona waktu, mis. 2026-12-07T08:00:00+07:00"
_DATE = "harus tanggal dengan format TTTT-BB-HH, mis. 2026-12-07"
_TIME = "harus jam dengan format JJ:MM, mis. 08:30"
_LIST = "harus berupa daftar (JSON array)"
_OBJECT = "harus berupa objek JSON"
_INTEGER = "harus bilangan bulat"
_NUMBER = "harus angka"
_BOOL = "harus true atau false"
_UUID = "harus UUID, mis. 123e4567-e89b-42d3-a456-426614174000"

Template = str | Callable[[Mapping[str, Any]], str]


def _choices(value: Any) -> str:
    """pydantic's "'a', 'b' or 'c'" as "'a', 'b' atau 'c'"."""
    text = ", ".join(map(repr, value)) if isinstance(value, (list, tuple)) else str(value)
    return text.replace(" or ", " atau ")


def _min_text(ctx: Mapping[str, Any]) -> str:
    n = ctx.get("min_length")
    return "tidak boleh kosong" if n == 1 else f"minimal {n} karakter"


def _min_items(ctx: Mapping[str, Any]) -> str:
    n = ctx.get("min_length")
    return "tidak boleh kosong" if n == 1 else f"minimal berisi {n} butir"


# Every pydantic-core error type a request can meet, by kind; `ctx` fills the numbers.
TEMPLATES: dict[str, Template] = {
    "missing": "wajib diisi",
    "missing_argument": "wajib diisi",
    "missing_keyword_only_argument": "wajib diisi",
    "missing_positional_only_argument": "wajib diisi",
    "extra_forbidden": "tidak dikenal; hapus kolom ini dari permintaan",
    "unexpected_keyword_argument": "tidak dikenal; hapus kolom ini dari permintaan",
    "unexpected_positional_argument": "tidak dikenal; hapus kolom ini dari permintaan",
    "no_such_attribute": "tidak dikenal",
    "multiple_argument_values": "diisi lebih dari sekali",
    "frozen_field": "tidak boleh diubah",
    "frozen_instance": "tidak boleh diubah",
    "none_required": "harus kosong (null)",
    "string_type": "harus berupa teks",
    "string_unicode": "harus teks Unicode yang sah",
    "string_not_ascii": "hanya boleh berisi huruf, angka dan tanda baca ASCII",
    "string_too_short": _min_text,
    "string_too_long": lambda c: f"maksimal {c.get('max_length')} karakter",
    "string_pattern_mismatch": lambda c: f"tidak sesuai format yang diminta (pola {c.get('pattern')})",
    "int_type": _INTEGER,
    "int_parsing": _INTEGER,
    "int_from_float": "harus bilangan bulat, tanpa pecahan",
    "int_parsing_size": "terlalu besar",
    "float_type": _NUMBER,
    "float_parsing": _NUMBER,
    "finite_number": "harus angka yang terhingga",
    "decimal_type": _NUMBER,
    "decimal_parsing": _NUMBER,
    "decimal_max_digits": lambda c: f"maksimal {c.get('max_digits')} digit",
    "decimal_max_places": lambda c: f"maksimal {c.get('decimal_places')} angka di belakang koma",
    "decimal_whole_digits": lambda c: f"maksimal {c.get('whole_digits')} digit sebelum koma",
    "fraction_type": _NUMBER,
    "fraction_parsing": _NUMBER,
    "complex_type": _NUMBER,
    "complex_str_parsing": _NUMBER,
    "greater_than": lambda c: f"harus lebih dari {c.get('gt')}",
    "greater_than_equal": lambda c: f"minimal {c.get('ge')}",
    "less_than": lambda c: f"harus kurang dari {c.get('lt')}",
    "less_than_equal": lambda c: f"maksimal {c.get('le')}",
    "multiple_of": lambda c: f"harus kelipatan {c.get('multiple_of')}",
    "bool_type": _BOOL,
    "bool_parsing": _BOOL,
    "enum": lambda c: f"harus salah satu dari: {_choices(c.get('expected', ''))}",
    "literal_error": lambda c: f"harus salah satu dari: {_choices(c.get('expected', ''))}",
    "date_type": _DATE,
    "date_parsing": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": "harus tanggal saja, tanpa jam",
    "date_past": "harus tanggal yang sudah lewat",
    "date_future": "harus tanggal yang akan datang",
    "time_type": _TIME,
    "time_parsing": _TIME,
    "datetime_type": _DATETIME,
    "datetime_parsing": _DATETIME,
    "datetime_object_invalid": _DATETIME,
    "datetime_from_date_parsing": _DATETIME,
    "datetime_past": "harus waktu yang sudah lewat",
    "datetime_future": "harus waktu yang akan datang",
    "timezone_naive": "tidak boleh memakai zona waktu",
    "timezone_aware": "harus memakai zona waktu, mis. +07:00",
    "timezone_offset": lambda c: f"harus memakai zona waktu {c.get('tz_expected')}",
    "time_delta_type": "harus durasi, mis. PT1H",
    "time_delta_parsing": "harus durasi, mis. PT1H",
    "uuid_type": _UUID,
    "uuid_parsing": _UUID,
    "uuid_version": lambda c: f"harus UUID versi {c.get('expected_version')}",
    "list_type": _LIST,
    "tuple_type": _LIST,
    "set_type": _LIST,
    "frozen_set_type": _LIST,
    "deque_type": _LIST,
    "iterable_type": _LIST,
    "iteration_error": _LIST,
    "set_item_not_hashable": "berisi butir yang tidak sah",
    "too_short": _min_items,
    "too_long": lambda c: f"maksimal berisi {c.get('max_length')} butir",
    "dict_type": _OBJECT,
    "frozen_dict_type": _OBJECT,
    "ordered_dict_type": _OBJECT,
    "counter_type": _OBJECT,
    "mapping_type": _OBJECT,
    "model_type": _OBJECT,
    "model_attributes_type": _OBJECT,
    "dataclass_type": _OBJECT,
    "dataclass_exact_type": _OBJECT,
    "named_tuple_type": _LIST,
    "arguments_type": _OBJECT,
    "invalid_key": "berisi nama kolom yang tidak sah",
    "json_invalid": "bukan JSON yang sah",
    "json_type": "harus teks JSON",
    "bytes_type": "harus berupa teks",
    "bytes_too_short": lambda c: f"minimal {c.get('min_length')} bita",
    "bytes_too_long": lambda c: f"maksimal {c.get('max_length')} bita",
    "bytes_invalid_encoding": "berisi pengodean yang tidak sah",
    "url_type": "harus alamat URL",
    "url_parsing": "harus alamat URL yang sah",
    "url_syntax_violation": "harus alamat URL yang sah",
    "url_too_long": lambda c: f"maksimal {c.get('max_length')} karakter",
    "url_scheme": lambda c: f"harus alamat dengan skema {_choices(c.get('expected_schemes', ''))}",
    "union_tag_invalid": lambda c: f"berisi {c.get('discriminator')} yang tidak dikenal; pilih salah satu dari: "
                                   f"{_choices(c.get('expected_tags', ''))}",
    "union_tag_not_found": lambda c: f"harus menyebut {c.get('discriminator')}",
    "is_instance_of": "jenisnya tidak sah",
    "is_subclass_of": "jenisnya tidak sah",
    "callable_type": "jenisnya tidak sah",
    "recursion_loop": "bersarang terlalu dalam",
    "recursion_depth_exceeded": "bersarang terlalu dalam",
}
FALLBACK = "tidak sah"
# Types whose message a validator of ours wrote (Indonesian already): kept, without pydantic's prefix.
OWN_MESSAGE_TYPES = frozenset({"value_error", "assertion_error"})
_OWN_PREFIXES = ("Value error, ", "Assertion failed, ")
_LOCATIONS = {"body": "isi permintaan", "query": "parameter", "path": "alamat", "header": "header"}


def field_label(loc: Sequence[Any]) -> str:
    """The field as the API spells it: `username`, `items[2].quantity`, `If-Match`; the request body
    itself is `isi permintaan`. pydantic's union branch tags (`function-after[...]`, `str`) are skipped."""
    parts: list[str] = []
    for i, part in enumerate(loc):
        if i == 0 and part in _LOCATIONS:
            continue
        if isinstance(part, int):
            parts.append(f"[{part}]")
        elif isinstance(part, str) and ("[" in part or "(" in part):
            continue  # a validator or union-branch tag, not a field
        else:
            parts.append(("." if parts else "") + str(part))
    if not parts:
        return _LOCATIONS.get(str(loc[0]), "data") if loc else "data"
    return "".join(parts).lstrip(".")


def message(error: Mapping[str, Any]) -> str:
    """The Indonesian message of one pydantic error (a dict of `ValidationError.errors()`)."""
    kind = str(error.get("type", ""))
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    original = str(error.get("msg", ""))
    if kind in OWN_MESSAGE_TYPES:
        own = str(ctx.get("error") or original)
        for prefix in _OWN_PREFIXES:
            own = own.removeprefix(prefix)
        return own or f"{field_label(error.get('loc', ()))} {FALLBACK}"
    template = TEMPLATES.get(kind)
    if template is None:
        if original and kind not in _PYDANTIC_TYPES:
            return original  # a PydanticCustomError of ours (e.g. control_character): Indonesian already
        template = FALLBACK
    reason = template(ctx) if callable(template) else template
    return f"{field_label(error.get('loc', ()))} {reason}"


def translate(errors: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """`[{loc, msg, type}]` with Indonesian messages; the input values are dropped."""
    return [{"loc": list(e.get("loc", ())), "msg": message(e), "type": e.get("type", "value_error")}
            for e in errors]


def _pydantic_types() -> frozenset[str]:
    from typing import get_args

    from pydantic_core.core_schema import ErrorType

    return frozenset(get_args(ErrorType))


_PYDANTIC_TYPES = _pydantic_types()
