"""Indonesian personal names as people write them, reduced to comparable tokens (pure, no I/O).

Why this exists: the same displaced person is written "Hj. Siti Rahmawati", "St. Rachmawati" and
"SITI RAHMAWATI, S.Pd." by three volunteers; "Rina br Sitepu", "Rina Boru Sitepu" and "Rina Sitepu"
are one Karo woman; "Soekarno" and "Sukarno", "Widjaja" and "Wijaya" one spelling before and after
the 1972 reform (EYD). Comparing raw strings would call them different people and let duplicates
into the register that the office signs.

Three levels, each used where it helps:
- `name_tokens`: the name as words, with honorifics and degrees dropped, the Batak particles
  "br"/"boru" and Malay "bin"/"binti" dropped, common abbreviations expanded (M./Moh./Mhd → muhammad,
  St. → siti, Abd. → abdul, Noer → nur), old spellings converted to EYD (oe→u, dj→j, tj→c, sj→sy,
  nj→ny and then the old j→y) and split marga names joined ("Perangin angin" → "peranginangin");
- `skeleton`: a token with the spelling freedoms of Indonesian names folded away (kh/ch→h, sy→s,
  dh→d, th→t, f/v/p→p, y→j, ie→i, double letters, final d→t and b→p), for the fuzzy comparison;
- `phonetic`: jellyfish's Metaphone code of the skeleton, for blocking and the "name_phonetic" reason.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import jellyfish

# Titles and degrees that never are a name, wherever they stand ("Drs. H. Ahmad", "Ahmad Drs").
TITLES = frozenset({
    "drs", "dra", "ir", "prof", "hj", "hjh", "hajjah", "ny", "nyonya", "tn", "tuan", "bpk", "sdr", "sdri",
    "alm", "almh", "almarhum", "almarhumah", "ust", "ustd", "ustadz", "ustaz", "ustadzah", "ustazah", "kh",
    "spd", "spdi", "mpd", "skom", "ssos", "sag", "ssi", "sip", "skm", "skep", "sked", "shi", "sthi",
    "amd", "amkeb", "amkep", "mkes", "msi", "mag", "mkom", "sst",
    "dr", "drg",
})
# Titles that are names elsewhere ("H." is Haji before a name, an initial after it; "Ibu", "Pak", "Bu").
LEADING_TITLES = frozenset({"h", "haji", "bapak", "pak", "ibu", "bu", "nn", "nona", "sdr", "kak", "mbak", "mas",
                            "teungku", "tgk"})
# Degree strings after a comma ("Ahmad Yani, S.Pd., M.Pd."), compared without dots and spaces.
DEGREES = TITLES | frozenset({"se", "sh", "ak", "mm", "mh", "mba", "st", "sp", "ssos", "spdi", "sfarm", "skg", "spsi", "sikom", "mt", "mpdi", "lc",
                              "ma", "msc", "phd", "bsc", "ba", "amd", "amdkeb", "amdkep"})
# Particles between a given name and a family name: Batak "br"/"boru", Malay/Arab "bin"/"binti".
PARTICLES = frozenset({"br", "boru", "bin", "binti", "bte", "bt"})

MUHAMMAD = frozenset({
    "mhd", "moh", "muh", "muhd", "mohd", "mohamad", "mohammad", "mochamad", "mochammad", "muhamad",
    "muchamad", "muchammad", "muhammed", "mohammed", "mukhamad", "mukhammad", "mohamed", "muhamat",
    "muhammat", "mochammat", "mhmd", "mmd",
})
ABBREVIATIONS = {**{v: "muhammad" for v in MUHAMMAD}, "st": "siti", "sti": "siti", "abd": "abdul",
                 "noer": "nur", "noor": "nur", "nor": "nur", "nurul": "nurul"}

# Batak, Karo, Mandailing, Simalungun and Pakpak clan names common in Binjai and Langkat, written
# without spaces or hyphens; a name holding one of them names a family, so two different ones mean
# two different families.
MARGAS = frozenset({
    "sitepu", "ginting", "tarigan", "sembiring", "peranginangin", "karokaro", "barus", "bangun", "surbakti",
    "sebayang", "meliala", "pelawi", "sinulingga", "kaban", "purba", "tambun", "keliat", "sinuhaji",
    "milala", "brahmana", "depari", "colia", "pandia", "gurusinga", "sinuraya", "tekang", "maha",
    "nasution", "lubis", "siregar", "harahap", "hasibuan", "daulay", "rangkuti", "batubara", "pulungan",
    "simanjuntak", "hutapea", "sinaga", "situmorang", "pardede", "panjaitan", "manurung", "sihombing",
    "tambunan", "damanik", "saragih", "sitorus", "simatupang", "hutagalung", "napitupulu", "silalahi",
    "siahaan", "sianipar", "pasaribu", "simbolon", "sitompul", "marpaung", "pohan", "hutabarat",
    "sihotang", "gultom", "nainggolan", "aritonang", "butarbutar", "simanullang", "sidabutar", "sitanggang",
    "manik", "berutu", "solin", "tumanggor", "sipayung", "girsang", "sinambela", "rambe", "dalimunthe",
})
_SPLIT_MARGAS = {"perangin": "angin", "karo": "karo", "butar": "butar"}

# Words so common that sharing them says little ("Siti ..." is a fifth of the women of a kelurahan).
COMMON_TOKENS = frozenset({
    "muhammad", "siti", "nur", "nurul", "abdul", "sri", "dwi", "eka", "tri", "putri", "putra", "ahmad",
    "dewi", "ni", "i", "made", "wayan", "ketut", "komang", "nyoman", "raden", "tengku", "teuku",
})

# Common given names (EYD spelling). Two different words that are both here are two names, even one
# letter apart (Lina / Linda, Sukarno / Suparno: twins are named so), not one name with a typo.
GIVEN_NAMES = frozenset("""
ahmad rizki syahrul zulkifli hasan husein fauzi fauzan iskandar azhar khairul anwar ramadhan syafruddin rahman
hakim amiruddin fadli hafiz irwansyah junaidi mahmud nasrul rahmat ridwan safrizal taufik hidayat yusuf zainal
abidin rizal arif budiman fikri ilham darmawan sofyan aminah rahmawati nurhayati aisyah fatimah khadijah zainab
rohani salmah aini mariani halimah rahmah syarifah juliana fitriani yusniar rosmawati wahyuni hidayah jannah
erna wati laila joko susilo bambang sutrisno slamet sugeng riyadi supriyadi agus santoso eko prasetyo budi
suparman wahyudi haryanto sukarno darmaji suyatno purwanto cipto wiyono purnomo suparno sri rahayu sumiati
wartini suharti sulastri endang susilowati tri dwi lestari ngatini painem suyati rukmini kartini puji astuti
rudi jhon martin hendra roy benny daniel togar parlindungan sahat bonar edward frans ramli eddy robert jefri
pardamean josua rina rini rosmaida lenny juita herlina nurmala tiurma sarma ernawati masta rosdiana melati
tiomina mona dameria sondang lamria andi rudy ferry hong liang kok hwa swie king aan sugianto lili linda yenny
susanti siu ling mei lina vivi meliana wenny putra putri dewa dewi dian dion adi ade indra indah yanti yani
yuni wulan bayu bagus dedi deni doni dodi heri hari anto antok eka ani ana ina ita iwan ivan imam iman irma
ira
""".split())

_OLD_SPELLING = re.compile(r"dj|tj|sj|nj|oe")
_EYD = [("dj", "\0"), ("tj", "c"), ("sj", "sy"), ("nj", "ny"), ("oe", "u"), ("j", "y"), ("\0", "j")]
_NOT_LETTER = re.compile(r"[^a-z\s]+")
_APOSTROPHES = re.compile(r"['`’‘\u02bc]")
_SKELETON_STEPS = [("kh", "h"), ("ch", "h"), ("sy", "s"), ("dh", "d"), ("th", "t"), ("ph", "p"), ("dz", "z"),
                   ("q", "k"), ("x", "ks"), ("ie", "i"), ("oo", "u"), ("ae", "ai"), ("v", "p"), ("f", "p")]
_REPEATS = re.compile(r"(.)\1+")


def _ascii_lower(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _is_degree(part: str) -> bool:
    words = [w for w in re.split(r"[\s.]+", part) if w]
    compact = "".join(words)
    return bool(compact) and (compact in DEGREES or all(w in DEGREES or len(w) <= 2 for w in words))


def eyd(token: str) -> str:
    """A token in the 1972 spelling: Soekarno → sukarno, Widjaja → wijaya, Tjahjadi → cahyadi.

    Only a token showing an old digraph is converted, because its single "j" then is the old "y";
    "Joko" stays "joko" (the skeleton folds j/y for the comparison anyway)."""
    if not _OLD_SPELLING.search(token):
        return token
    for old, new in _EYD:
        token = token.replace(old, new)
    return token


def name_tokens(full_name: str) -> tuple[str, ...]:
    """The words of a name that identify the person, lowercase, in the order written."""
    text = _APOSTROPHES.sub("", _ascii_lower(full_name or ""))
    parts = text.split(",")
    text = " ".join([parts[0], *(p for p in parts[1:] if not _is_degree(p))])
    text = text.replace("-", "")  # Perangin-angin, Karo-karo, Butar-butar are one word
    raw = _NOT_LETTER.sub(" ", text).split()
    tokens: list[str] = []
    for i, word in enumerate(raw):
        if word in TITLES or word in PARTICLES:
            continue
        if not tokens and word in LEADING_TITLES and i + 1 < len(raw):
            continue
        if not tokens and word == "m":  # "M. Rizki": a leading M. is Muhammad
            word = "muhammad"
        word = ABBREVIATIONS.get(word, word)
        word = eyd(word)
        word = ABBREVIATIONS.get(word, word)
        if tokens and _SPLIT_MARGAS.get(tokens[-1]) == word:
            tokens[-1] += word
            continue
        tokens.append(word)
    return tuple(tokens)


def normalise_name(full_name: str) -> str:
    """The name as one comparable string: "Hj. St. Rachmawati br. Sitepu, S.Pd." → "siti rachmawati sitepu"."""
    return " ".join(name_tokens(full_name))


@lru_cache(maxsize=65536)
def skeleton(token: str) -> str:
    """A token with the spelling freedoms of Indonesian names folded away (Achmad/Ahmad/Ahmat → ahmat,
    Yusuf/Jusuf/Yusup → jusup, Syaifuddin/Saifudin → saipudin)."""
    t = token
    if t.startswith("ch"):
        t = "c" + t[2:]  # Chandra/Candra; inside a word "ch" is the old "kh" (Achmad, Rachmat)
    for old, new in _SKELETON_STEPS:
        t = t.replace(old, new)
    if t.endswith("y") and len(t) > 1:
        t = t[:-1] + "i"  # Edy/Edi, Rizky/Rizki
    t = t.replace("y", "j")  # the old j and the new y are one sound: Jusuf/Yusuf, Wijaja/Wijaya
    t = _REPEATS.sub(r"\1", t)
    if len(t) > 2 and t[-1] in "db":
        t = t[:-1] + ("t" if t[-1] == "d" else "p")  # a final d/b is spoken t/p: Ahmad/Ahmat, Yakub/Yakup
    return t


@lru_cache(maxsize=65536)
def phonetic(token: str) -> str:
    """jellyfish's Metaphone of the skeleton: one code for the ways a name is heard and written down."""
    skel = skeleton(token)
    return jellyfish.metaphone(skel) or skel


@dataclass(frozen=True)
class NameInfo:
    """Everything the comparison needs about one written name, computed once."""

    tokens: tuple[str, ...]
    skeletons: tuple[str, ...]
    codes: tuple[str, ...]
    margas: frozenset[str]
    joined: str  # the skeletons without spaces, in written order (Nurhayati = Nur Hayati)

    @property
    def empty(self) -> bool:
        return not self.tokens


@lru_cache(maxsize=262144)
def analyse(full_name: str) -> NameInfo:
    """`full_name` reduced for comparison (cached: a scan meets the same names many times)."""
    tokens = name_tokens(full_name)
    skels = tuple(skeleton(t) for t in tokens)
    return NameInfo(tokens=tokens, skeletons=skels, codes=tuple(phonetic(t) for t in tokens),
                    margas=frozenset(t for t in tokens if t in MARGAS), joined="".join(skels))


def token_weight(token: str) -> float:
    """How much a word says about who someone is: a common word (Siti, Muhammad) says less."""
    return 0.4 if token in COMMON_TOKENS else 1.0
