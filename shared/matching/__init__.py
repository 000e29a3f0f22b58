"""Person matching: is this record someone already registered? Pure functions, no database.

`score_pair` weighs two records, `blocking_keys` says under which keys a record is looked up (the
database keeps them hashed in `person_match_keys`), `find_pairs` scans a set of records for likely
duplicates block by block. Names are reduced as Indonesians write them (shared/matching/names.py).
"""

from shared.matching.blocking import MAX_BLOCK, blocking_keys, find_pairs, key_hash, key_hashes
from shared.matching.names import analyse, name_tokens, normalise_name, phonetic, skeleton
from shared.matching.score import (
    CANDIDATE_FLOOR,
    REASONS,
    REVIEW_THRESHOLD,
    STRONG_THRESHOLD,
    MatchResult,
    PersonKey,
    compare_names,
    nik_birth,
    score_pair,
)

__all__ = [
    "CANDIDATE_FLOOR", "MAX_BLOCK", "REASONS", "REVIEW_THRESHOLD", "STRONG_THRESHOLD", "MatchResult", "PersonKey",
    "analyse", "blocking_keys", "compare_names", "find_pairs", "key_hash", "key_hashes", "name_tokens", "nik_birth",
    "normalise_name", "phonetic", "score_pair", "skeleton",
]
