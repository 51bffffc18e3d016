"""Build ``data/seed_problems.jsonl``: the original seed programming problems of the workbench.

Every problem below was written for this project (none is taken from HumanEval, MBPP or another
benchmark; ``tests/test_decontamination.py`` checks the n-gram overlap with HumanEval). Each one is
given as a complete reference function -- signature, docstring with doctest examples, body -- and a
HumanEval-style test ``def check(candidate): ...``. The builder cuts the function right after its
docstring: everything up to and including the closing quotes is the ``prompt``, the rest is the
``canonical_solution``. So a problem is edited in one readable place and the JSONL is derived.

Record keys (HumanEval format plus two labels):
    task_id, prompt, entry_point, canonical_solution, test, domain, difficulty

Usage:
    python data/build_seed_problems.py           # rewrite data/seed_problems.jsonl
    python data/build_seed_problems.py --check   # exit 1 if the JSONL is not what this file builds

Conventions the splitter relies on: exactly one top-level ``def`` per problem (imports may precede
it, helpers go inside the body), and the docstring's closing quotes stand alone on their own line.
Correctness (reference passes, trivial answers fail, docstring examples hold) is verified by
``tests/test_seed_problems.py``, not here.
"""

from __future__ import annotations

import json
import re
import sys
import textwrap
from pathlib import Path

OUT_PATH = Path(__file__).with_name("seed_problems.jsonl")

DOMAINS = (
    "strings", "lists", "math", "dicts", "sorting", "recursion", "parsing", "simulation",
    "matrices", "sets", "bit_manipulation", "dates_times", "geometry", "dynamic_programming",
    "search",
)
DIFFICULTIES = ("easy", "medium", "hard")

_PROBLEMS: list[tuple[str, str, str, str]] = []  # (domain, difficulty, code, test), in task-id order


def add(domain: str, difficulty: str, code: str, test: str) -> None:
    """Register one problem; ``code`` is the full reference function, ``test`` defines check()."""
    assert domain in DOMAINS, domain
    assert difficulty in DIFFICULTIES, difficulty
    _PROBLEMS.append((domain, difficulty, code, test))


def split_reference(code: str) -> tuple[str, str, str]:
    """Return (prompt, canonical_solution, entry_point) for one reference function."""
    code = textwrap.dedent(code).strip("\n") + "\n"
    defs = re.findall(r"^def (\w+)\(", code, flags=re.MULTILINE)
    if len(defs) != 1:
        raise ValueError(f"expected exactly one top-level def, found {defs}")
    lines = code.splitlines(keepends=True)
    def_line = next(i for i, line in enumerate(lines) if line.startswith("def "))
    close = next(i for i in range(def_line + 2, len(lines)) if lines[i].strip() == '"""')
    return "".join(lines[: close + 1]), "".join(lines[close + 1 :]), defs[0]


def build_records() -> list[dict]:
    records = []
    for index, (domain, difficulty, code, test) in enumerate(_PROBLEMS):
        prompt, solution, entry_point = split_reference(code)
        records.append({
            "task_id": f"Seed/{index}",
            "prompt": prompt,
            "entry_point": entry_point,
            "canonical_solution": solution,
            "test": textwrap.dedent(test).strip("\n") + "\n",
            "domain": domain,
            "difficulty": difficulty,
        })
    return records


def render(records: list[dict]) -> str:
    return "".join(json.dumps(record) + "\n" for record in records)


# ---------------------------------------------------------------------------------------------
# strings
# ---------------------------------------------------------------------------------------------

add("strings", "easy", r'''
def weave_longer_first(a: str, b: str) -> str:
    """Interleave the characters of two strings one at a time, starting with the longer
    string (with ``a`` first on a tie). Leftover characters of the longer string are
    appended at the end.
    >>> weave_longer_first('ab', 'xyz')
    'xaybz'
    >>> weave_longer_first('abc', '12')
    'a1b2c'
    """
    first, second = (a, b) if len(a) >= len(b) else (b, a)
    out = []
    for i, ch in enumerate(first):
        out.append(ch)
        if i < len(second):
            out.append(second[i])
    return ''.join(out)
''', r'''
def check(candidate):
    assert candidate('ab', 'xyz') == 'xaybz'
    assert candidate('abc', '12') == 'a1b2c'
    assert candidate('ab', 'cd') == 'acbd'
    assert candidate('', '') == ''
    assert candidate('', 'xy') == 'xy'
    assert candidate('q', '') == 'q'
    assert candidate('abcd', '1') == 'a1bcd'
''')

add("strings", "easy", r'''
def mask_digits(s: str, keep: int) -> str:
    """Replace every digit of ``s`` with '#' except the last ``keep`` digits.
    Non-digit characters are left untouched; ``keep`` is never negative.
    >>> mask_digits('card 1234-5678', 4)
    'card ####-5678'
    >>> mask_digits('pin 42', 0)
    'pin ##'
    """
    to_mask = max(sum(ch.isdigit() for ch in s) - keep, 0)
    out = []
    for ch in s:
        if ch.isdigit() and to_mask > 0:
            out.append('#')
            to_mask -= 1
        else:
            out.append(ch)
    return ''.join(out)
''', r'''
def check(candidate):
    assert candidate('card 1234-5678', 4) == 'card ####-5678'
    assert candidate('', 3) == ''
    assert candidate('abc', 0) == 'abc'
    assert candidate('12', 5) == '12'
    assert candidate('1a2b3', 1) == '#a#b3'
    assert candidate('9', 0) == '#'
    assert candidate('tel: 555 0100', 2) == 'tel: ### ##00'
''')

add("strings", "easy", r'''
def longest_consonant_run(s: str) -> int:
    """Return the length of the longest run of consecutive consonant letters in ``s``.
    Vowels are a, e, i, o, u in any case; any non-letter character also ends a run.
    >>> longest_consonant_run('strength')
    4
    >>> longest_consonant_run('a e i')
    0
    """
    best = current = 0
    for ch in s:
        if ch.isalpha() and ch.lower() not in 'aeiou':
            current += 1
            best = max(best, current)
        else:
            current = 0
    return best
''', r'''
def check(candidate):
    assert candidate('strength') == 4
    assert candidate('') == 0
    assert candidate('a e i') == 0
    assert candidate('rhythm') == 6
    assert candidate('ab-cd') == 2
    assert candidate('XYZ abc') == 3
    assert candidate('b2b') == 1
''')

add("strings", "easy", r'''
from typing import Set


def title_except_small(text: str, small: Set[str]) -> str:
    """Capitalise each space-separated word of ``text`` (first letter upper case, the rest
    lower case), except words whose lowercase form is in ``small``, which become fully
    lowercase. The first word is always capitalised. Words are separated by single spaces.
    >>> title_except_small('the lord OF the rings', {'of', 'the'})
    'The Lord of the Rings'
    """
    out = []
    for i, word in enumerate(text.split(' ')):
        lower = word.lower()
        if i > 0 and lower in small:
            out.append(lower)
        else:
            out.append(lower[:1].upper() + lower[1:])
    return ' '.join(out)
''', r'''
def check(candidate):
    assert candidate('the lord OF the rings', {'of', 'the'}) == 'The Lord of the Rings'
    assert candidate('', {'a'}) == ''
    assert candidate('a tale of two cities', {'a', 'of'}) == 'A Tale of Two Cities'
    assert candidate('HELLO', set()) == 'Hello'
    assert candidate('war and peace', {'and'}) == 'War and Peace'
    assert candidate('x', {'x'}) == 'X'
''')

add("strings", "easy", r'''
def squash_long_runs(s: str) -> str:
    """Shorten every run of three or more identical characters to the character followed
    by the run length in braces; shorter runs are copied unchanged.
    >>> squash_long_runs('aaabccdddd')
    'a{3}bccd{4}'
    """
    out = []
    i = 0
    while i < len(s):
        j = i
        while j < len(s) and s[j] == s[i]:
            j += 1
        run = j - i
        out.append(s[i] + '{' + str(run) + '}' if run >= 3 else s[i] * run)
        i = j
    return ''.join(out)
''', r'''
def check(candidate):
    assert candidate('aaabccdddd') == 'a{3}bccd{4}'
    assert candidate('') == ''
    assert candidate('ab') == 'ab'
    assert candidate('aa') == 'aa'
    assert candidate('   ') == ' {3}'
    assert candidate('z' * 12) == 'z{12}'
    assert candidate('abbbba') == 'ab{4}a'
''')

add("strings", "easy", r'''
def stagger_case(s: str) -> str:
    """Alternate the case of the letters of ``s``: the first letter becomes upper case, the
    next lower case, and so on. Non-letters are kept and do not take part in the count.
    >>> stagger_case('hello world')
    'HeLlO wOrLd'
    """
    out = []
    upper = True
    for ch in s:
        if ch.isalpha():
            out.append(ch.upper() if upper else ch.lower())
            upper = not upper
        else:
            out.append(ch)
    return ''.join(out)
''', r'''
def check(candidate):
    assert candidate('hello world') == 'HeLlO wOrLd'
    assert candidate('') == ''
    assert candidate('123') == '123'
    assert candidate('ABC') == 'AbC'
    assert candidate('a-b-c') == 'A-b-C'
    assert candidate('x') == 'X'
''')

add("strings", "easy", r'''
def dominant_letter(text: str) -> str:
    """Return the most frequent letter of ``text`` in lowercase, ignoring case and
    non-letters. Ties go to the letter that appears first in the text. Return '' when
    there are no letters.
    >>> dominant_letter('Banana split!')
    'a'
    >>> dominant_letter('xy YX')
    'x'
    """
    counts = {}
    for ch in text.lower():
        if ch.isalpha():
            counts[ch] = counts.get(ch, 0) + 1
    best = ''
    for ch, n in counts.items():  # dicts keep first-appearance order
        if best == '' or n > counts[best]:
            best = ch
    return best
''', r'''
def check(candidate):
    assert candidate('Banana split!') == 'a'
    assert candidate('') == ''
    assert candidate('123 !') == ''
    assert candidate('Zz y') == 'z'
    assert candidate('abcabc c') == 'c'
    assert candidate('b a') == 'b'
    assert candidate('Mississippi') == 'i'
''')

add("strings", "medium", r'''
def kebab_from_mixed(name: str) -> str:
    """Convert a camelCase or PascalCase identifier to lower kebab-case. A new word starts
    at an upper-case letter that follows a lower-case letter or a digit, and at the last
    capital of an acronym when it is followed by a lower-case letter. Digits stay with the
    preceding word. Underscores separate words too.
    >>> kebab_from_mixed('parseHTTPResponse')
    'parse-http-response'
    >>> kebab_from_mixed('XMLHttpRequest2')
    'xml-http-request2'
    """
    words = []
    current = ''
    for i, ch in enumerate(name):
        if ch == '_':
            if current:
                words.append(current)
            current = ''
            continue
        if ch.isupper() and current:
            prev = name[i - 1]
            nxt = name[i + 1] if i + 1 < len(name) else ''
            if prev.islower() or prev.isdigit() or (prev.isupper() and nxt.islower()):
                words.append(current)
                current = ''
        current += ch
    if current:
        words.append(current)
    return '-'.join(word.lower() for word in words)
''', r'''
def check(candidate):
    assert candidate('parseHTTPResponse') == 'parse-http-response'
    assert candidate('XMLHttpRequest2') == 'xml-http-request2'
    assert candidate('') == ''
    assert candidate('simple') == 'simple'
    assert candidate('Simple') == 'simple'
    assert candidate('getID') == 'get-id'
    assert candidate('version2Update') == 'version2-update'
    assert candidate('snake_caseMix') == 'snake-case-mix'
    assert candidate('ABC') == 'abc'
''')

add("strings", "medium", r'''
from typing import List


def align_columns(rows: List[str], sep: str = ',') -> List[str]:
    """Split each row on ``sep`` and left-align the fields into columns. Every column is
    padded with spaces to the width of its widest field and columns are joined with ' | '.
    Rows with fewer fields get empty fields. Trailing spaces are stripped from each line.
    >>> align_columns(['a,bb', 'ccc,d'])
    ['a   | bb', 'ccc | d']
    """
    table = [row.split(sep) for row in rows]
    ncols = max((len(fields) for fields in table), default=0)
    widths = [0] * ncols
    for fields in table:
        for j, field in enumerate(fields):
            widths[j] = max(widths[j], len(field))
    out = []
    for fields in table:
        cells = [(fields[j] if j < len(fields) else '').ljust(widths[j]) for j in range(ncols)]
        out.append(' | '.join(cells).rstrip())
    return out
''', r'''
def check(candidate):
    assert candidate(['a,bb', 'ccc,d']) == ['a   | bb', 'ccc | d']
    assert candidate([]) == []
    assert candidate(['x']) == ['x']
    assert candidate(['1;22;3', '4'], ';') == ['1 | 22 | 3', '4 |    |']
    assert candidate(['a,b', 'a,b']) == ['a | b', 'a | b']
    assert candidate(['', '']) == ['', '']
''')

add("strings", "medium", r'''
from typing import List


def justify_line(words: List[str], width: int) -> str:
    """Join ``words`` into a line of exactly ``width`` characters by spreading spaces between
    them as evenly as possible; the leftmost gaps receive any extra spaces. A single word is
    left-aligned and padded on the right, and no words give a line of spaces. The words
    always fit with at least one space between neighbours.
    >>> justify_line(['to', 'be', 'or'], 10)
    'to  be  or'
    >>> justify_line(['a', 'bb', 'c'], 9)
    'a   bb  c'
    """
    if not words:
        return ' ' * width
    if len(words) == 1:
        return words[0].ljust(width)
    gaps = len(words) - 1
    base, extra = divmod(width - sum(len(w) for w in words), gaps)
    out = words[0]
    for i, word in enumerate(words[1:]):
        out += ' ' * (base + (1 if i < extra else 0)) + word
    return out
''', r'''
def check(candidate):
    assert candidate(['to', 'be', 'or'], 10) == 'to  be  or'
    assert candidate(['a', 'bb', 'c'], 9) == 'a   bb  c'
    assert candidate([], 3) == '   '
    assert candidate(['hi'], 5) == 'hi   '
    assert candidate(['a', 'b'], 3) == 'a b'
    assert candidate(['a', 'b', 'c', 'd'], 10) == 'a  b  c  d'
    assert candidate(['x', 'y', 'z'], 6) == 'x  y z'
''')

add("strings", "medium", r'''
def first_distinct_window(s: str, k: int) -> int:
    """Return the start index of the first substring of length ``k`` whose characters are
    all different, or -1 if there is none (also when ``k`` <= 0 or ``k`` > len(s)).
    >>> first_distinct_window('aabcb', 3)
    1
    >>> first_distinct_window('aaaa', 2)
    -1
    """
    if k <= 0 or k > len(s):
        return -1
    counts = {}
    repeated = 0  # number of characters occurring at least twice in the window
    for i, ch in enumerate(s):
        counts[ch] = counts.get(ch, 0) + 1
        if counts[ch] == 2:
            repeated += 1
        if i >= k:
            old = s[i - k]
            counts[old] -= 1
            if counts[old] == 1:
                repeated -= 1
        if i >= k - 1 and repeated == 0:
            return i - k + 1
    return -1
''', r'''
def check(candidate):
    assert candidate('aabcb', 3) == 1
    assert candidate('aaaa', 2) == -1
    assert candidate('', 1) == -1
    assert candidate('abc', 0) == -1
    assert candidate('abc', 4) == -1
    assert candidate('abc', 3) == 0
    assert candidate('abcabcbb', 4) == -1
    assert candidate('aaab', 2) == 2
''')

add("strings", "medium", r'''
from typing import List


def wrap_words(text: str, width: int) -> List[str]:
    """Greedily wrap the whitespace-separated words of ``text`` into lines of at most
    ``width`` characters (words on a line are joined by single spaces). A word longer than
    ``width`` is first cut into consecutive pieces of ``width`` characters (the last piece
    may be shorter), and the pieces are then treated as ordinary words. ``width`` >= 1.
    >>> wrap_words('the quick brown fox', 10)
    ['the quick', 'brown fox']
    >>> wrap_words('abcdefgh ij', 3)
    ['abc', 'def', 'gh', 'ij']
    """
    pieces = []
    for word in text.split():
        while len(word) > width:
            pieces.append(word[:width])
            word = word[width:]
        pieces.append(word)
    lines = []
    current = ''
    for piece in pieces:
        if not current:
            current = piece
        elif len(current) + 1 + len(piece) <= width:
            current += ' ' + piece
        else:
            lines.append(current)
            current = piece
    if current:
        lines.append(current)
    return lines
''', r'''
def check(candidate):
    assert candidate('the quick brown fox', 10) == ['the quick', 'brown fox']
    assert candidate('abcdefgh ij', 3) == ['abc', 'def', 'gh', 'ij']
    assert candidate('', 5) == []
    assert candidate('   ', 4) == []
    assert candidate('a b c', 1) == ['a', 'b', 'c']
    assert candidate('a b c', 3) == ['a b', 'c']
    assert candidate('a b c', 5) == ['a b c']
    assert candidate('abcdefgh ij', 6) == ['abcdef', 'gh ij']
    assert candidate('hello', 2) == ['he', 'll', 'o']
''')

add("strings", "hard", r'''
def count_k_distinct_substrings(s: str, k: int) -> int:
    """Count the substrings of ``s`` (by position, so equal substrings at different places
    count separately) that contain exactly ``k`` distinct characters. It must handle
    strings of a few thousand characters quickly.
    >>> count_k_distinct_substrings('aba', 2)
    3
    >>> count_k_distinct_substrings('aa', 1)
    3
    """
    def at_most(m):
        # Sliding window: for each right end, count the windows with <= m distinct chars.
        if m <= 0:
            return 0
        counts = {}
        left = total = 0
        for right, ch in enumerate(s):
            counts[ch] = counts.get(ch, 0) + 1
            while len(counts) > m:
                old = s[left]
                counts[old] -= 1
                if counts[old] == 0:
                    del counts[old]
                left += 1
            total += right - left + 1
        return total

    return at_most(k) - at_most(k - 1)
''', r'''
def check(candidate):
    assert candidate('aba', 2) == 3
    assert candidate('aa', 1) == 3
    assert candidate('', 1) == 0
    assert candidate('abc', 0) == 0
    assert candidate('abc', 3) == 1
    assert candidate('abc', 1) == 3
    assert candidate('abc', 4) == 0
    assert candidate('abab', 2) == 6
    assert candidate('ab' * 2000, 2) == 4000 * 3999 // 2
''')

add("strings", "hard", r'''
def longest_repeat(s: str) -> str:
    """Return the longest substring that occurs at least twice in ``s`` (the occurrences
    may overlap). If several have the maximum length, return the one whose first occurrence
    starts earliest. Return '' if no character repeats.
    >>> longest_repeat('mississippi')
    'issi'
    >>> longest_repeat('abcd')
    ''
    """
    def earliest_repeat(length):
        # Start of the earliest-starting substring of this length that occurs twice, or None.
        first_seen = {}
        best = None
        for i in range(len(s) - length + 1):
            piece = s[i:i + length]
            if piece in first_seen:
                if best is None or first_seen[piece] < best:
                    best = first_seen[piece]
            else:
                first_seen[piece] = i
        return best

    # If a repeat of length L exists, so does one of length L - 1: binary search on L.
    lo, hi = 0, len(s) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if earliest_repeat(mid) is None:
            hi = mid - 1
        else:
            lo = mid
    if lo <= 0:
        return ''
    start = earliest_repeat(lo)
    return s[start:start + lo]
''', r'''
def check(candidate):
    assert candidate('mississippi') == 'issi'
    assert candidate('abcd') == ''
    assert candidate('') == ''
    assert candidate('a') == ''
    assert candidate('aa') == 'a'
    assert candidate('aaaa') == 'aaa'
    assert candidate('abcXabcYbcd') == 'abc'
    assert candidate('cdabXabYcd') == 'cd'
    assert candidate('ab' * 1000) == 'ab' * 999
''')

# ---------------------------------------------------------------------------------------------
# lists
# ---------------------------------------------------------------------------------------------

add("lists", "easy", r'''
from typing import Any, List


def chunk_pad(items: List[Any], size: int, fill: Any) -> List[List[Any]]:
    """Split ``items`` into consecutive chunks of ``size`` elements (size >= 1). If the last
    chunk is short, pad it with ``fill``.
    >>> chunk_pad([1, 2, 3, 4, 5], 2, 0)
    [[1, 2], [3, 4], [5, 0]]
    """
    chunks = []
    for start in range(0, len(items), size):
        chunk = list(items[start:start + size])
        chunk.extend([fill] * (size - len(chunk)))
        chunks.append(chunk)
    return chunks
''', r'''
def check(candidate):
    assert candidate([1, 2, 3, 4, 5], 2, 0) == [[1, 2], [3, 4], [5, 0]]
    assert candidate([], 3, None) == []
    assert candidate([1], 1, 0) == [[1]]
    assert candidate([1, 2, 3], 3, 0) == [[1, 2, 3]]
    assert candidate([1, 2, 3, 4], 3, 'x') == [[1, 2, 3], [4, 'x', 'x']]
    assert candidate(['a'], 4, '-') == [['a', '-', '-', '-']]
''')

add("lists", "easy", r'''
from typing import List


def rotate_min_first(xs: List[int]) -> List[int]:
    """Rotate ``xs`` to the left so that its smallest element (its first occurrence) comes
    first; the cyclic order of the elements is kept.
    >>> rotate_min_first([3, 4, 1, 2])
    [1, 2, 3, 4]
    """
    if not xs:
        return []
    i = xs.index(min(xs))
    return xs[i:] + xs[:i]
''', r'''
def check(candidate):
    assert candidate([3, 4, 1, 2]) == [1, 2, 3, 4]
    assert candidate([]) == []
    assert candidate([5]) == [5]
    assert candidate([2, 1, 1, 3]) == [1, 1, 3, 2]
    assert candidate([1, 2, 3]) == [1, 2, 3]
    assert candidate([0, -1, 5, -1]) == [-1, 5, -1, 0]
''')

add("lists", "easy", r'''
from typing import List, Optional, Tuple


def largest_adjacent_gap(xs: List[int]) -> Optional[Tuple[int, int]]:
    """Return the pair of neighbouring elements (a, b) with the largest absolute difference,
    the earliest such pair on ties, or None if there are fewer than two elements.
    >>> largest_adjacent_gap([1, 4, 2, 9, 8])
    (2, 9)
    """
    best = None
    for a, b in zip(xs, xs[1:]):
        if best is None or abs(b - a) > abs(best[1] - best[0]):
            best = (a, b)
    return best
''', r'''
def check(candidate):
    assert candidate([1, 4, 2, 9, 8]) == (2, 9)
    assert candidate([]) is None
    assert candidate([7]) is None
    assert candidate([5, 1, 5]) == (5, 1)
    assert candidate([10, 0, -10]) == (10, 0)
    assert candidate([3, 3]) == (3, 3)
''')

add("lists", "easy", r'''
from typing import List


def dedupe_keep_last(xs: List[int]) -> List[int]:
    """Remove repeated values, keeping only the last occurrence of each, and return the
    survivors in their original relative order.
    >>> dedupe_keep_last([1, 2, 1, 3, 2])
    [1, 3, 2]
    """
    last = {x: i for i, x in enumerate(xs)}
    return [x for i, x in enumerate(xs) if last[x] == i]
''', r'''
def check(candidate):
    assert candidate([1, 2, 1, 3, 2]) == [1, 3, 2]
    assert candidate([]) == []
    assert candidate([4]) == [4]
    assert candidate([1, 1, 1]) == [1]
    assert candidate([1, 2, 3]) == [1, 2, 3]
    assert candidate([3, 1, 3, 1]) == [3, 1]
    assert candidate([5, 4, 5, 6, 4]) == [5, 6, 4]
''')

add("lists", "easy", r'''
from typing import List, Optional, Tuple


def longest_plateau(xs: List[int]) -> Optional[Tuple[int, int, int]]:
    """Find the longest run of equal consecutive values and return it as
    (value, start_index, length). The earliest run wins ties; an empty list gives None.
    >>> longest_plateau([1, 2, 2, 2, 3, 3])
    (2, 1, 3)
    """
    best = None
    i = 0
    while i < len(xs):
        j = i
        while j < len(xs) and xs[j] == xs[i]:
            j += 1
        if best is None or j - i > best[2]:
            best = (xs[i], i, j - i)
        i = j
    return best
''', r'''
def check(candidate):
    assert candidate([1, 2, 2, 2, 3, 3]) == (2, 1, 3)
    assert candidate([]) is None
    assert candidate([7]) == (7, 0, 1)
    assert candidate([1, 2, 3]) == (1, 0, 1)
    assert candidate([1, 1, 2, 2]) == (1, 0, 2)
    assert candidate([0, 5, 5, 5, 5]) == (5, 1, 4)
    assert candidate([-1, -1, -1, 2, 2, 2, 2]) == (2, 3, 4)
''')

add("lists", "easy", r'''
from typing import List


def split_on_sentinel(xs: List[int], sentinel: int) -> List[List[int]]:
    """Split ``xs`` into groups separated by occurrences of ``sentinel``. Empty groups (from
    leading, trailing or repeated sentinels) are dropped.
    >>> split_on_sentinel([1, 0, 2, 3, 0, 0, 4], 0)
    [[1], [2, 3], [4]]
    """
    groups = []
    current = []
    for x in xs:
        if x == sentinel:
            if current:
                groups.append(current)
            current = []
        else:
            current.append(x)
    if current:
        groups.append(current)
    return groups
''', r'''
def check(candidate):
    assert candidate([1, 0, 2, 3, 0, 0, 4], 0) == [[1], [2, 3], [4]]
    assert candidate([], 0) == []
    assert candidate([0, 0], 0) == []
    assert candidate([1, 2], 0) == [[1, 2]]
    assert candidate([0, 1, 0], 0) == [[1]]
    assert candidate([1, -1, 2, -1], -1) == [[1], [2]]
''')

add("lists", "easy", r'''
from typing import List


def leaders(xs: List[int]) -> List[int]:
    """Return the elements that are strictly greater than every element to their right, in
    their original order. The last element is always one of them.
    >>> leaders([9, 3, 7, 7, 2, 4, 1])
    [9, 7, 4, 1]
    """
    result = []
    best = None
    for x in reversed(xs):
        if best is None or x > best:
            result.append(x)
            best = x
    return result[::-1]
''', r'''
def check(candidate):
    assert candidate([9, 3, 7, 7, 2, 4, 1]) == [9, 7, 4, 1]
    assert candidate([]) == []
    assert candidate([5]) == [5]
    assert candidate([1, 2, 3]) == [3]
    assert candidate([3, 2, 1]) == [3, 2, 1]
    assert candidate([2, 2]) == [2]
''')

add("lists", "easy", r'''
from typing import List


def balance_points(xs: List[int]) -> List[int]:
    """Return every index i where the sum of the elements before i equals the sum of the
    elements after i (the element at i belongs to neither side).
    >>> balance_points([2, 3, -1, 8, 4])
    [3]
    """
    total = sum(xs)
    left = 0
    result = []
    for i, x in enumerate(xs):
        if left == total - left - x:
            result.append(i)
        left += x
    return result
''', r'''
def check(candidate):
    assert candidate([2, 3, -1, 8, 4]) == [3]
    assert candidate([]) == []
    assert candidate([5]) == [0]
    assert candidate([0, 0, 0]) == [0, 1, 2]
    assert candidate([1, 2, 3]) == []
    assert candidate([1, -1, 1]) == [0, 1, 2]
''')

add("lists", "easy", r'''
from typing import List


def frequent_over_third(xs: List[int]) -> List[int]:
    """Return the values that occur more than len(xs) / 3 times, in order of their first
    appearance.
    >>> frequent_over_third([3, 1, 3, 2, 1, 1, 3])
    [3, 1]
    """
    counts = {}
    for x in xs:
        counts[x] = counts.get(x, 0) + 1
    return [x for x, n in counts.items() if n * 3 > len(xs)]
''', r'''
def check(candidate):
    assert candidate([3, 1, 3, 2, 1, 1, 3]) == [3, 1]
    assert candidate([]) == []
    assert candidate([4]) == [4]
    assert candidate([1, 2, 3]) == []
    assert candidate([1, 1, 2, 3]) == [1]
    assert candidate([1, 2, 1, 2]) == [1, 2]
    assert candidate([5, 5, 5, 6, 6, 7, 7, 8, 8]) == []
''')

add("lists", "medium", r'''
from typing import List


def best_window_start(xs: List[int], k: int) -> int:
    """Return the start index of the length-``k`` window of ``xs`` with the largest sum (the
    earliest one on ties), or -1 when ``k`` <= 0 or ``k`` > len(xs).
    >>> best_window_start([1, 3, -2, 5, 1], 2)
    3
    """
    if k <= 0 or k > len(xs):
        return -1
    window = sum(xs[:k])
    best_sum, best_start = window, 0
    for start in range(1, len(xs) - k + 1):
        window += xs[start + k - 1] - xs[start - 1]
        if window > best_sum:
            best_sum, best_start = window, start
    return best_start
''', r'''
def check(candidate):
    assert candidate([1, 3, -2, 5, 1], 2) == 3
    assert candidate([], 1) == -1
    assert candidate([1], 0) == -1
    assert candidate([1, 2], 3) == -1
    assert candidate([4], 1) == 0
    assert candidate([2, 2, 2], 2) == 0
    assert candidate([-5, -1, -3], 1) == 1
    assert candidate([0, 0, 1, 0, 0, 1], 2) == 1
''')

add("lists", "medium", r'''
from typing import List


def longest_zigzag(xs: List[int]) -> int:
    """Return the length of the longest contiguous stretch of ``xs`` whose consecutive
    differences are non-zero and strictly alternate in sign (up, down, up, ... or down, up,
    ...). One element counts as length 1; an empty list gives 0.
    >>> longest_zigzag([1, 3, 2, 4, 4, 5])
    4
    """
    if not xs:
        return 0
    best = current = 1
    prev_sign = 0
    for a, b in zip(xs, xs[1:]):
        sign = (b > a) - (b < a)
        if sign == 0:
            current = 1
        elif prev_sign != 0 and sign == -prev_sign:
            current += 1
        else:
            current = 2
        prev_sign = sign
        best = max(best, current)
    return best
''', r'''
def check(candidate):
    assert candidate([1, 3, 2, 4, 4, 5]) == 4
    assert candidate([]) == 0
    assert candidate([7]) == 1
    assert candidate([2, 2, 2]) == 1
    assert candidate([1, 2]) == 2
    assert candidate([1, 2, 3]) == 2
    assert candidate([5, 1, 5, 1, 5]) == 5
    assert candidate([1, 2, 1, 1, 2, 1, 2]) == 4
''')

add("lists", "medium", r'''
from typing import List


def next_greater_circular(xs: List[int]) -> List[int]:
    """For every element, return the first strictly greater value met when walking right
    and wrapping around to the start of the list, or -1 if there is none.
    >>> next_greater_circular([2, 5, 3, 1])
    [5, -1, 5, 2]
    """
    n = len(xs)
    result = [-1] * n
    stack = []  # indices still waiting for a greater value, values non-increasing
    for i in range(2 * n):
        x = xs[i % n]
        while stack and xs[stack[-1]] < x:
            result[stack.pop()] = x
        if i < n:
            stack.append(i)
    return result
''', r'''
def check(candidate):
    assert candidate([2, 5, 3, 1]) == [5, -1, 5, 2]
    assert candidate([]) == []
    assert candidate([7]) == [-1]
    assert candidate([1, 1]) == [-1, -1]
    assert candidate([1, 2, 3]) == [2, 3, -1]
    assert candidate([3, 2, 1]) == [-1, 3, 3]
    assert candidate([4, 0]) == [-1, 4]
''')

add("lists", "medium", r'''
from typing import List


def min_swaps_group(xs: List[int], target: int) -> int:
    """Return the minimum number of swaps (of any two positions) needed to make all
    occurrences of ``target`` in ``xs`` contiguous. Return 0 if ``target`` occurs at most
    once.
    >>> min_swaps_group([1, 0, 1, 0, 1], 1)
    1
    """
    m = xs.count(target)
    if m <= 1:
        return 0
    # The final block is some window of length m; swaps needed = targets missing from it.
    inside = sum(1 for x in xs[:m] if x == target)
    best = inside
    for start in range(1, len(xs) - m + 1):
        inside += (xs[start + m - 1] == target) - (xs[start - 1] == target)
        best = max(best, inside)
    return m - best
''', r'''
def check(candidate):
    assert candidate([1, 0, 1, 0, 1], 1) == 1
    assert candidate([], 1) == 0
    assert candidate([2, 3], 1) == 0
    assert candidate([1, 1, 0, 0], 1) == 0
    assert candidate([1, 0, 0, 1, 0, 1, 1, 0, 1], 1) == 2
    assert candidate([7, 2, 7, 2, 2, 7, 2, 7], 7) == 2
''')

add("lists", "medium", r'''
from typing import List


def count_target_subarrays(xs: List[int], target: int) -> int:
    """Count the non-empty contiguous subarrays of ``xs`` whose sum equals ``target``.
    Values may be negative.
    >>> count_target_subarrays([1, 2, -1, 2, 1], 3)
    3
    """
    seen = {0: 1}  # prefix sum -> how many prefixes had it
    prefix = count = 0
    for x in xs:
        prefix += x
        count += seen.get(prefix - target, 0)
        seen[prefix] = seen.get(prefix, 0) + 1
    return count
''', r'''
def check(candidate):
    assert candidate([1, 2, -1, 2, 1], 3) == 3
    assert candidate([], 0) == 0
    assert candidate([0], 0) == 1
    assert candidate([0, 0], 0) == 3
    assert candidate([5], 3) == 0
    assert candidate([1, -1, 1, -1], 0) == 4
    assert candidate([3, 3, 3], 6) == 2
''')

add("lists", "hard", r'''
from typing import List, Optional


def best_two_windows(xs: List[int], k: int) -> Optional[int]:
    """Return the largest total of two non-overlapping windows of ``k`` consecutive elements
    each, or None if ``k`` < 1 or the list is too short to hold both.
    >>> best_two_windows([1, 5, 1, 1, 6, 1, 1], 2)
    13
    """
    n = len(xs)
    if k < 1 or 2 * k > n:
        return None
    sums = [sum(xs[:k])]  # sums[i] = sum of the window starting at i
    for i in range(k, n):
        sums.append(sums[-1] + xs[i] - xs[i - k])
    best_left = sums[0]
    best = None
    for j in range(k, len(sums)):
        best_left = max(best_left, sums[j - k])  # best window ending before j
        if best is None or best_left + sums[j] > best:
            best = best_left + sums[j]
    return best
''', r'''
def check(candidate):
    assert candidate([1, 5, 1, 1, 6, 1, 1], 2) == 13
    assert candidate([], 1) is None
    assert candidate([1, 2, 3], 2) is None
    assert candidate([1, 2], 0) is None
    assert candidate([1, 2], 1) == 3
    assert candidate([4, -1, -1, 4], 2) == 6
    assert candidate([-3, -1, -2, -5], 1) == -3
    assert candidate([0, 9, 9, 0, 0, 9, 9, 0], 2) == 36
''')

# ---------------------------------------------------------------------------------------------
# math
# ---------------------------------------------------------------------------------------------

add("math", "easy", r'''
def digital_root_base(n: int, base: int) -> int:
    """Repeatedly replace ``n`` by the sum of its digits written in ``base`` until a single
    digit remains, and return it. ``n`` >= 0 and ``base`` >= 2.
    >>> digital_root_base(493, 10)
    7
    >>> digital_root_base(255, 16)
    15
    """
    while n >= base:
        total = 0
        while n:
            n, digit = divmod(n, base)
            total += digit
        n = total
    return n
''', r'''
def check(candidate):
    assert candidate(493, 10) == 7
    assert candidate(255, 16) == 15
    assert candidate(0, 10) == 0
    assert candidate(9, 10) == 9
    assert candidate(10, 10) == 1
    assert candidate(7, 2) == 1
    assert candidate(8, 3) == 2
    assert candidate(999999, 10) == 9
''')

add("math", "easy", r'''
def classify_by_divisors(n: int) -> str:
    """Classify a positive integer by the sum of its proper divisors (the divisors smaller
    than ``n``): 'perfect' if the sum equals ``n``, 'abundant' if it is larger and
    'deficient' if it is smaller.
    >>> classify_by_divisors(28)
    'perfect'
    >>> classify_by_divisors(12)
    'abundant'
    """
    total = 0
    d = 1
    while d * d <= n:
        if n % d == 0:
            total += d
            if n // d != d:
                total += n // d
        d += 1
    total -= n  # n itself is not a proper divisor
    if total == n:
        return 'perfect'
    return 'abundant' if total > n else 'deficient'
''', r'''
def check(candidate):
    assert candidate(28) == 'perfect'
    assert candidate(12) == 'abundant'
    assert candidate(1) == 'deficient'
    assert candidate(6) == 'perfect'
    assert candidate(496) == 'perfect'
    assert candidate(13) == 'deficient'
    assert candidate(945) == 'abundant'
    assert candidate(16) == 'deficient'
''')

add("math", "easy", r'''
def lcm_of_range(lo: int, hi: int) -> int:
    """Return the least common multiple of all integers from ``lo`` to ``hi`` inclusive
    (1 <= lo). Return 1 when the range is empty (lo > hi).
    >>> lcm_of_range(1, 10)
    2520
    >>> lcm_of_range(4, 6)
    60
    """
    from math import gcd
    result = 1
    for k in range(lo, hi + 1):
        result = result * k // gcd(result, k)
    return result
''', r'''
def check(candidate):
    assert candidate(1, 10) == 2520
    assert candidate(4, 6) == 60
    assert candidate(5, 4) == 1
    assert candidate(7, 7) == 7
    assert candidate(1, 1) == 1
    assert candidate(2, 3) == 6
    assert candidate(1, 20) == 232792560
    assert candidate(8, 9) == 72
''')

add("math", "easy", r'''
def two_square_ways(n: int) -> int:
    """Count the ways to write ``n`` (n >= 0) as a*a + b*b with integers 0 <= a <= b.
    >>> two_square_ways(25)
    2
    >>> two_square_ways(3)
    0
    """
    from math import isqrt
    count = 0
    a = 0
    while 2 * a * a <= n:  # keeps a <= b
        b = isqrt(n - a * a)
        if b * b == n - a * a:
            count += 1
        a += 1
    return count
''', r'''
def check(candidate):
    assert candidate(25) == 2
    assert candidate(3) == 0
    assert candidate(0) == 1
    assert candidate(1) == 1
    assert candidate(2) == 1
    assert candidate(50) == 2
    assert candidate(325) == 3
''')

add("math", "easy", r'''
from typing import List


def poly_multiply(p: List[int], q: List[int]) -> List[int]:
    """Multiply two polynomials given as coefficient lists, lowest degree first. Trailing
    zero coefficients are removed from the result; the zero polynomial is [].
    >>> poly_multiply([1, 1], [1, -1])
    [1, 0, -1]
    """
    if not p or not q:
        return []
    out = [0] * (len(p) + len(q) - 1)
    for i, a in enumerate(p):
        for j, b in enumerate(q):
            out[i + j] += a * b
    while out and out[-1] == 0:
        out.pop()
    return out
''', r'''
def check(candidate):
    assert candidate([1, 1], [1, -1]) == [1, 0, -1]
    assert candidate([], [1]) == []
    assert candidate([0], [5]) == []
    assert candidate([2], [3]) == [6]
    assert candidate([1, 2], [3]) == [3, 6]
    assert candidate([1, 1], [1, 1]) == [1, 2, 1]
    assert candidate([1, 0, 0], [0, 1]) == [0, 1]
''')

add("math", "easy", r'''
from typing import List


def continued_fraction(p: int, q: int) -> List[int]:
    """Return the continued fraction terms [a0, a1, ...] of p / q (p >= 0, q > 0), taking the
    integer part and continuing with the reciprocal of the remainder until it is zero.
    >>> continued_fraction(67, 24)
    [2, 1, 3, 1, 4]
    """
    terms = []
    while q:
        a, r = divmod(p, q)
        terms.append(a)
        p, q = q, r
    return terms
''', r'''
def check(candidate):
    assert candidate(67, 24) == [2, 1, 3, 1, 4]
    assert candidate(0, 5) == [0]
    assert candidate(7, 1) == [7]
    assert candidate(1, 3) == [0, 3]
    assert candidate(10, 4) == [2, 2]
    assert candidate(13, 8) == [1, 1, 1, 1, 2]
''')

add("math", "easy", r'''
def nth_with_digit_sum(target: int, n: int) -> int:
    """Return the ``n``-th (1-based) positive integer whose decimal digits add up to
    ``target`` (target >= 1, n >= 1).
    >>> nth_with_digit_sum(10, 1)
    19
    >>> nth_with_digit_sum(10, 3)
    37
    """
    k = 0
    while n:
        k += 1
        if sum(int(d) for d in str(k)) == target:
            n -= 1
    return k
''', r'''
def check(candidate):
    assert candidate(10, 1) == 19
    assert candidate(10, 3) == 37
    assert candidate(1, 1) == 1
    assert candidate(1, 2) == 10
    assert candidate(1, 3) == 100
    assert candidate(5, 2) == 14
    assert candidate(10, 10) == 109
    assert candidate(2, 4) == 101
''')

add("math", "medium", r'''
from typing import List, Tuple


def evaluate_continued_fraction(terms: List[int]) -> Tuple[int, int]:
    """Evaluate the continued fraction [a0; a1, ..., ak] and return it as a reduced fraction
    (numerator, denominator) with a positive denominator. ``terms`` is non-empty and all
    terms after the first are positive.
    >>> evaluate_continued_fraction([2, 1, 3, 1, 4])
    (67, 24)
    """
    from math import gcd
    num, den = terms[-1], 1
    for a in reversed(terms[:-1]):
        num, den = a * num + den, num  # a + 1 / (num / den)
    g = gcd(num, den)
    return num // g, den // g
''', r'''
def check(candidate):
    assert candidate([2, 1, 3, 1, 4]) == (67, 24)
    assert candidate([5]) == (5, 1)
    assert candidate([0, 2]) == (1, 2)
    assert candidate([1, 1, 1, 1, 2]) == (13, 8)
    assert candidate([-1, 2]) == (-1, 2)
    assert candidate([0, 1, 1]) == (1, 2)
''')

add("math", "medium", r'''
from typing import List


def egyptian_fraction(p: int, q: int) -> List[int]:
    """Write p / q (0 < p < q) as a sum of distinct unit fractions with the greedy method:
    repeatedly take the largest unit fraction 1/d that does not exceed the remainder.
    Return the denominators in the order they are chosen.
    >>> egyptian_fraction(4, 13)
    [4, 18, 468]
    """
    from math import gcd
    denominators = []
    while p:
        d = -(-q // p)  # ceil(q / p)
        denominators.append(d)
        p, q = p * d - q, q * d
        g = gcd(p, q)
        p, q = p // g, q // g
    return denominators
''', r'''
def check(candidate):
    assert candidate(4, 13) == [4, 18, 468]
    assert candidate(1, 7) == [7]
    assert candidate(2, 3) == [2, 6]
    assert candidate(3, 4) == [2, 4]
    assert candidate(5, 6) == [2, 3]
    assert candidate(7, 15) == [3, 8, 120]
''')

add("math", "medium", r'''
def to_negabinary(n: int) -> str:
    """Return the representation of the integer ``n`` in base -2 with digits 0 and 1 and no
    leading zeros ('0' for zero).
    >>> to_negabinary(6)
    '11010'
    >>> to_negabinary(-3)
    '1101'
    """
    if n == 0:
        return '0'
    digits = []
    while n != 0:
        n, r = divmod(n, -2)
        if r < 0:  # Python gives a remainder of -1 here; shift it into {0, 1}
            n, r = n + 1, r + 2
        digits.append(str(r))
    return ''.join(reversed(digits))
''', r'''
def check(candidate):
    assert candidate(6) == '11010'
    assert candidate(-3) == '1101'
    assert candidate(0) == '0'
    assert candidate(1) == '1'
    assert candidate(2) == '110'
    assert candidate(-1) == '11'
    assert candidate(-2) == '10'
    assert candidate(3) == '111'
    for n in range(-50, 51):
        digits = candidate(n)
        assert sum(int(d) * (-2) ** i for i, d in enumerate(reversed(digits))) == n
''')

add("math", "medium", r'''
def next_same_digits(n: int) -> int:
    """Return the smallest integer greater than ``n`` (n >= 0) that uses exactly the same
    decimal digits (with multiplicity), or -1 if there is none.
    >>> next_same_digits(1243)
    1324
    >>> next_same_digits(4321)
    -1
    """
    digits = list(str(n))
    i = len(digits) - 2
    while i >= 0 and digits[i] >= digits[i + 1]:
        i -= 1
    if i < 0:
        return -1
    j = len(digits) - 1
    while digits[j] <= digits[i]:
        j -= 1
    digits[i], digits[j] = digits[j], digits[i]
    digits[i + 1:] = reversed(digits[i + 1:])
    return int(''.join(digits))
''', r'''
def check(candidate):
    assert candidate(1243) == 1324
    assert candidate(4321) == -1
    assert candidate(0) == -1
    assert candidate(7) == -1
    assert candidate(12) == 21
    assert candidate(21) == -1
    assert candidate(115) == 151
    assert candidate(2302) == 2320
    assert candidate(199) == 919
''')

add("math", "medium", r'''
from typing import Optional, Tuple


def largest_prime_gap(limit: int) -> Optional[Tuple[int, int]]:
    """Among consecutive primes p < q with q <= ``limit``, return the pair with the largest
    gap q - p (the smallest p on ties), or None if fewer than two primes are <= limit.
    >>> largest_prime_gap(30)
    (23, 29)
    """
    from math import isqrt
    if limit < 3:
        return None
    sieve = bytearray([1]) * (limit + 1)
    sieve[0] = sieve[1] = 0
    for i in range(2, isqrt(limit) + 1):
        if sieve[i]:
            sieve[i * i::i] = bytearray(len(range(i * i, limit + 1, i)))
    best = None
    prev = None
    for k in range(2, limit + 1):
        if sieve[k]:
            if prev is not None and (best is None or k - prev > best[1] - best[0]):
                best = (prev, k)
            prev = k
    return best
''', r'''
def check(candidate):
    assert candidate(30) == (23, 29)
    assert candidate(2) is None
    assert candidate(0) is None
    assert candidate(3) == (2, 3)
    assert candidate(10) == (3, 5)
    assert candidate(100) == (89, 97)
    assert candidate(130) == (113, 127)
''')

add("math", "hard", r'''
def factorial_trailing_zeros(n: int, base: int) -> int:
    """Return the number of trailing zeros of n! (n >= 0) when written in ``base``
    (base >= 2). It must be fast even for very large n.
    >>> factorial_trailing_zeros(10, 10)
    2
    >>> factorial_trailing_zeros(5, 12)
    1
    """
    # Factor the base; each zero needs one full copy of base = prod p**e.
    factors = {}
    b = base
    p = 2
    while p * p <= b:
        while b % p == 0:
            factors[p] = factors.get(p, 0) + 1
            b //= p
        p += 1
    if b > 1:
        factors[b] = factors.get(b, 0) + 1
    best = None
    for p, e in factors.items():
        count = 0  # exponent of p in n! (Legendre's formula)
        power = p
        while power <= n:
            count += n // power
            power *= p
        best = count // e if best is None else min(best, count // e)
    return best
''', r'''
def check(candidate):
    assert candidate(10, 10) == 2
    assert candidate(5, 12) == 1
    assert candidate(0, 10) == 0
    assert candidate(1, 2) == 0
    assert candidate(4, 2) == 3
    assert candidate(25, 10) == 6
    assert candidate(100, 16) == 24
    assert candidate(7, 7) == 1
    assert candidate(6, 7) == 0
    assert candidate(20, 9) == 4
    assert candidate(10 ** 18, 10) == 249999999999999995
''')

add("math", "hard", r'''
from typing import List, Optional, Tuple


def combine_congruences(residues: List[int], moduli: List[int]) -> Optional[Tuple[int, int]]:
    """Solve the system x = residues[i] (mod moduli[i]) for every i. The moduli are positive
    but need not be pairwise coprime. Return (x, m) where m is the lcm of the moduli and
    0 <= x < m is the solution, unique modulo m, or None if the system is inconsistent.
    An empty system gives (0, 1).
    >>> combine_congruences([2, 3], [3, 5])
    (8, 15)
    >>> combine_congruences([1, 2], [4, 6]) is None
    True
    """
    from math import gcd
    x, m = 0, 1
    for r, n in zip(residues, moduli):
        g = gcd(m, n)
        if (r - x) % g:
            return None
        # Find t with x + m*t = r (mod n), i.e. (m/g) t = (r-x)/g (mod n/g).
        step = n // g
        t = ((r - x) // g) * pow(m // g, -1, step) % step if step > 1 else 0
        x, m = x + m * t, m * step
        x %= m
    return x, m
''', r'''
def check(candidate):
    assert candidate([2, 3], [3, 5]) == (8, 15)
    assert candidate([1, 2], [4, 6]) is None
    assert candidate([], []) == (0, 1)
    assert candidate([3], [7]) == (3, 7)
    assert candidate([10], [7]) == (3, 7)
    assert candidate([1, 3], [4, 6]) == (9, 12)
    assert candidate([0, 0, 0], [2, 3, 4]) == (0, 12)
    assert candidate([1, 2, 3], [2, 3, 5]) == (23, 30)
    assert candidate([5, 5], [6, 4]) == (5, 12)
''')

# ---------------------------------------------------------------------------------------------
# dicts
# ---------------------------------------------------------------------------------------------

add("dicts", "easy", r'''
from typing import Dict, List


def invert_multi(mapping: Dict[str, int]) -> Dict[int, List[str]]:
    """Invert ``mapping`` so that each value maps to the sorted list of keys that had it.
    >>> invert_multi({'a': 1, 'b': 2, 'c': 1})
    {1: ['a', 'c'], 2: ['b']}
    """
    out = {}
    for key, value in mapping.items():
        out.setdefault(value, []).append(key)
    for keys in out.values():
        keys.sort()
    return out
''', r'''
def check(candidate):
    assert candidate({'a': 1, 'b': 2, 'c': 1}) == {1: ['a', 'c'], 2: ['b']}
    assert candidate({}) == {}
    assert candidate({'x': 0}) == {0: ['x']}
    assert candidate({'b': 1, 'a': 1}) == {1: ['a', 'b']}
    assert candidate({'p': 3, 'q': 4}) == {3: ['p'], 4: ['q']}
    assert candidate({'z': 5, 'y': 5, 'x': 5}) == {5: ['x', 'y', 'z']}
''')

add("dicts", "easy", r'''
from typing import Dict, List


def merge_counts(counters: List[Dict[str, int]]) -> Dict[str, int]:
    """Add up several count dictionaries key by key. Keys whose total is zero are left out.
    >>> merge_counts([{'a': 2, 'b': 1}, {'a': -2, 'c': 4}])
    {'b': 1, 'c': 4}
    """
    total = {}
    for counter in counters:
        for key, value in counter.items():
            total[key] = total.get(key, 0) + value
    return {key: value for key, value in total.items() if value != 0}
''', r'''
def check(candidate):
    assert candidate([{'a': 2, 'b': 1}, {'a': -2, 'c': 4}]) == {'b': 1, 'c': 4}
    assert candidate([]) == {}
    assert candidate([{}]) == {}
    assert candidate([{'a': 0}]) == {}
    assert candidate([{'a': 1}, {'a': 1}, {'a': 1}]) == {'a': 3}
    assert candidate([{'x': 5}, {'y': -1}]) == {'x': 5, 'y': -1}
''')

add("dicts", "easy", r'''
from typing import Dict, List


def group_by_initial(words: List[str]) -> Dict[str, List[str]]:
    """Group non-empty words by their first letter, ignoring case. Keys are lowercase
    letters; each list keeps the words in their original order and spelling. Empty strings
    are ignored.
    >>> group_by_initial(['Apple', 'bat', 'avocado', 'Bee'])
    {'a': ['Apple', 'avocado'], 'b': ['bat', 'Bee']}
    """
    groups = {}
    for word in words:
        if word:
            groups.setdefault(word[0].lower(), []).append(word)
    return groups
''', r'''
def check(candidate):
    assert candidate(['Apple', 'bat', 'avocado', 'Bee']) == {'a': ['Apple', 'avocado'], 'b': ['bat', 'Bee']}
    assert candidate([]) == {}
    assert candidate(['']) == {}
    assert candidate(['x']) == {'x': ['x']}
    assert candidate(['Q', 'q', 'Q']) == {'q': ['Q', 'q', 'Q']}
    assert candidate(['one', 'Two', 'three']) == {'o': ['one'], 't': ['Two', 'three']}
''')

add("dicts", "easy", r'''
from typing import Any


def deep_get(data: dict, path: str, default: Any = None) -> Any:
    """Follow the dot-separated ``path`` of keys through nested dictionaries and return the
    value found, or ``default`` if a key is missing or a non-dict is reached before the end
    of the path. An empty path returns ``data`` itself.
    >>> deep_get({'a': {'b': {'c': 5}}}, 'a.b.c')
    5
    >>> deep_get({'a': 1}, 'a.b', 'none')
    'none'
    """
    if path == '':
        return data
    current = data
    for key in path.split('.'):
        if not isinstance(current, dict) or key not in current:
            return default
        current = current[key]
    return current
''', r'''
def check(candidate):
    assert candidate({'a': {'b': {'c': 5}}}, 'a.b.c') == 5
    assert candidate({'a': 1}, 'a.b', 'none') == 'none'
    assert candidate({}, '', 0) == {}
    assert candidate({'a': 1}, 'a') == 1
    assert candidate({'a': 1}, 'b', 7) == 7
    assert candidate({'a': {'b': None}}, 'a.b', 'x') is None
    assert candidate({'a': {'b': [1]}}, 'a.b.0', 'd') == 'd'
    assert candidate({'a': {'b': 2}}, 'a') == {'b': 2}
''')

add("dicts", "easy", r'''
from typing import Dict, List


def diff_dicts(old: dict, new: dict) -> Dict[str, List[str]]:
    """Compare two dictionaries with string keys and return
    {'added': [...], 'removed': [...], 'changed': [...]}, each a sorted list of keys: keys
    only in ``new``, keys only in ``old``, and keys in both whose values differ.
    >>> diff_dicts({'a': 1, 'b': 2}, {'b': 3, 'c': 4})
    {'added': ['c'], 'removed': ['a'], 'changed': ['b']}
    """
    return {
        'added': sorted(k for k in new if k not in old),
        'removed': sorted(k for k in old if k not in new),
        'changed': sorted(k for k in old if k in new and old[k] != new[k]),
    }
''', r'''
def check(candidate):
    empty = {'added': [], 'removed': [], 'changed': []}
    assert candidate({'a': 1, 'b': 2}, {'b': 3, 'c': 4}) == {'added': ['c'], 'removed': ['a'], 'changed': ['b']}
    assert candidate({}, {}) == empty
    assert candidate({'a': 1}, {'a': 1}) == empty
    assert candidate({}, {'z': 1, 'y': 2}) == {'added': ['y', 'z'], 'removed': [], 'changed': []}
    assert candidate({'k': [1]}, {'k': [2]}) == {'added': [], 'removed': [], 'changed': ['k']}
    assert candidate({'a': 1, 'b': 2, 'c': 3}, {'c': 3}) == {'added': [], 'removed': ['a', 'b'], 'changed': []}
''')

add("dicts", "medium", r'''
def flatten_dict(data: dict, sep: str = '.') -> dict:
    """Flatten nested dictionaries (string keys) into one level, joining keys with ``sep``.
    Non-dict values, lists included, are leaves; an empty nested dict disappears.
    >>> flatten_dict({'a': 1, 'b': {'c': 2, 'd': {'e': 3}}})
    {'a': 1, 'b.c': 2, 'b.d.e': 3}
    """
    flat = {}

    def walk(node, prefix):
        for key, value in node.items():
            full = key if prefix is None else prefix + sep + key
            if isinstance(value, dict):
                walk(value, full)
            else:
                flat[full] = value

    walk(data, None)
    return flat
''', r'''
def check(candidate):
    assert candidate({'a': 1, 'b': {'c': 2, 'd': {'e': 3}}}) == {'a': 1, 'b.c': 2, 'b.d.e': 3}
    assert candidate({}) == {}
    assert candidate({'a': {}}) == {}
    assert candidate({'a': [1, {'b': 2}]}) == {'a': [1, {'b': 2}]}
    assert candidate({'x': {'y': 1}}, '/') == {'x/y': 1}
    assert candidate({'a': {'b': {'c': {'d': 0}}}, 'e': None}) == {'a.b.c.d': 0, 'e': None}
''')

add("dicts", "medium", r'''
from typing import Any, Dict


def unflatten_dict(flat: Dict[str, Any], sep: str = '.') -> dict:
    """Rebuild nested dictionaries from keys joined with ``sep`` (the inverse of flattening;
    values are never dicts). Raise ValueError if some key would have to be both a leaf and
    a dictionary, e.g. {'a': 1, 'a.b': 2}.
    >>> unflatten_dict({'a': 1, 'b.c': 2, 'b.d': 3})
    {'a': 1, 'b': {'c': 2, 'd': 3}}
    """
    root = {}
    for key, value in flat.items():
        parts = key.split(sep)
        node = root
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ValueError(f'{key!r} conflicts with a leaf')
            node = child
        if parts[-1] in node:
            raise ValueError(f'{key!r} conflicts with a nested key')
        node[parts[-1]] = value
    return root
''', r'''
def check(candidate):
    assert candidate({'a': 1, 'b.c': 2, 'b.d': 3}) == {'a': 1, 'b': {'c': 2, 'd': 3}}
    assert candidate({}) == {}
    assert candidate({'a': 1}) == {'a': 1}
    assert candidate({'x/y/z': 1, 'x/w': 2}, '/') == {'x': {'y': {'z': 1}, 'w': 2}}
    assert candidate({'a.b.c': None}) == {'a': {'b': {'c': None}}}
    for bad in ({'a': 1, 'a.b': 2}, {'a.b': 2, 'a': 1}):
        raised = False
        try:
            candidate(bad)
        except ValueError:
            raised = True
        assert raised
''')

add("dicts", "medium", r'''
from typing import Dict, List, Tuple


def fulfil_orders(stock: Dict[str, int], orders: List[Tuple[str, int]]) -> Tuple[Dict[str, int], List[int]]:
    """Process ``orders`` (item, quantity >= 1) in sequence against ``stock``. An order is
    filled completely when enough units are in stock (reducing the stock); otherwise it is
    rejected and nothing changes. Return (remaining stock, indices of rejected orders).
    Items whose stock reaches zero stay in the dictionary. ``stock`` itself is not modified.
    >>> fulfil_orders({'pen': 3, 'ink': 1}, [('pen', 2), ('ink', 2), ('pen', 1), ('cap', 1)])
    ({'pen': 0, 'ink': 1}, [1, 3])
    """
    remaining = dict(stock)
    rejected = []
    for i, (item, quantity) in enumerate(orders):
        if remaining.get(item, 0) >= quantity:
            remaining[item] -= quantity
        else:
            rejected.append(i)
    return remaining, rejected
''', r'''
def check(candidate):
    assert candidate({'pen': 3, 'ink': 1}, [('pen', 2), ('ink', 2), ('pen', 1), ('cap', 1)]) == ({'pen': 0, 'ink': 1}, [1, 3])
    assert candidate({}, []) == ({}, [])
    assert candidate({'a': 1}, []) == ({'a': 1}, [])
    assert candidate({}, [('a', 1)]) == ({}, [0])
    assert candidate({'a': 5}, [('a', 5), ('a', 1)]) == ({'a': 0}, [1])
    assert candidate({'a': 2, 'b': 2}, [('a', 3), ('b', 1), ('a', 2)]) == ({'a': 0, 'b': 1}, [0])
    original = {'x': 1}
    candidate(original, [('x', 1)])
    assert original == {'x': 1}
''')

add("dicts", "medium", r'''
from typing import Dict, List


def dependency_depths(deps: Dict[str, List[str]]) -> Dict[str, int]:
    """``deps`` maps each task to its prerequisites (there are no cycles). A task's depth is
    0 without prerequisites, otherwise 1 + the largest depth of its prerequisites. Return
    the depth of every task, including prerequisites that are not keys of ``deps`` (they
    have no prerequisites themselves).
    >>> sorted(dependency_depths({'c': ['a', 'b'], 'b': ['a'], 'a': []}).items())
    [('a', 0), ('b', 1), ('c', 2)]
    """
    depth = {}

    def visit(task):
        if task not in depth:
            depth[task] = 1 + max((visit(p) for p in deps.get(task, [])), default=-1)
        return depth[task]

    for task in deps:
        visit(task)
    return depth
''', r'''
def check(candidate):
    assert candidate({'c': ['a', 'b'], 'b': ['a'], 'a': []}) == {'a': 0, 'b': 1, 'c': 2}
    assert candidate({}) == {}
    assert candidate({'x': []}) == {'x': 0}
    assert candidate({'x': ['y']}) == {'x': 1, 'y': 0}
    assert candidate({'d': ['c'], 'c': ['b'], 'b': ['a']}) == {'a': 0, 'b': 1, 'c': 2, 'd': 3}
    diamond = {'top': ['l', 'r'], 'l': ['base'], 'r': ['mid'], 'mid': ['base']}
    assert candidate(diamond) == {'base': 0, 'l': 1, 'mid': 1, 'r': 2, 'top': 3}
''')

add("dicts", "medium", r'''
from typing import Dict, List


def likely_next_word(words: List[str]) -> Dict[str, str]:
    """For each word that is followed by another word in ``words``, return the word that
    follows it most often. Ties go to the follower that was seen after it first.
    >>> likely_next_word(['a', 'b', 'a', 'c', 'a', 'c'])
    {'a': 'c', 'b': 'a', 'c': 'a'}
    """
    followers = {}
    for current, nxt in zip(words, words[1:]):
        counts = followers.setdefault(current, {})
        counts[nxt] = counts.get(nxt, 0) + 1
    result = {}
    for word, counts in followers.items():
        best = None
        for follower, count in counts.items():  # insertion order = first seen
            if best is None or count > counts[best]:
                best = follower
        result[word] = best
    return result
''', r'''
def check(candidate):
    assert candidate(['a', 'b', 'a', 'c', 'a', 'c']) == {'a': 'c', 'b': 'a', 'c': 'a'}
    assert candidate([]) == {}
    assert candidate(['x']) == {}
    assert candidate(['x', 'x']) == {'x': 'x'}
    assert candidate(['a', 'b', 'a', 'c']) == {'a': 'b', 'b': 'a'}
    assert candidate(['to', 'be', 'or', 'not', 'to', 'be']) == {'to': 'be', 'be': 'or', 'or': 'not', 'not': 'to'}
''')

add("dicts", "hard", r'''
from typing import Dict


def resolve_placeholders(config: Dict[str, str]) -> Dict[str, str]:
    """Expand references of the form ${name} inside the values of ``config``, where name is
    another key; references may chain through several keys. Text outside ${...} is copied
    as is. Raise KeyError for a reference to a missing key and ValueError for a cycle.
    >>> resolve_placeholders({'home': '/u/ann', 'docs': '${home}/docs', 'x': '${docs}!'})
    {'home': '/u/ann', 'docs': '/u/ann/docs', 'x': '/u/ann/docs!'}
    """
    import re
    pattern = re.compile(r'\$\{([^}]*)\}')
    resolved = {}
    in_progress = set()  # keys on the current resolution path, to detect cycles

    def resolve(key):
        if key in resolved:
            return resolved[key]
        if key not in config:
            raise KeyError(key)
        if key in in_progress:
            raise ValueError(f'reference cycle through {key!r}')
        in_progress.add(key)
        value = pattern.sub(lambda m: resolve(m.group(1)), config[key])
        in_progress.discard(key)
        resolved[key] = value
        return value

    return {key: resolve(key) for key in config}
''', r'''
def check(candidate):
    assert candidate({'home': '/u/ann', 'docs': '${home}/docs', 'x': '${docs}!'}) == {'home': '/u/ann', 'docs': '/u/ann/docs', 'x': '/u/ann/docs!'}
    assert candidate({}) == {}
    assert candidate({'a': 'plain'}) == {'a': 'plain'}
    assert candidate({'a': '${b}${b}', 'b': 'x'}) == {'a': 'xx', 'b': 'x'}
    assert candidate({'a': '$notref {b}', 'b': 'y'}) == {'a': '$notref {b}', 'b': 'y'}
    for bad, error in (({'a': '${zzz}'}, KeyError), ({'a': '${b}', 'b': '${a}'}, ValueError),
                       ({'a': '1${a}'}, ValueError)):
        raised = False
        try:
            candidate(bad)
        except error:
            raised = True
        assert raised
''')

# ---------------------------------------------------------------------------------------------
# sorting
# ---------------------------------------------------------------------------------------------

add("sorting", "medium", r'''
from typing import List


def sort_versions(versions: List[str]) -> List[str]:
    """Sort dotted version strings numerically, component by component, so '1.10' comes
    after '1.9'. Missing components count as 0 ('1.0' equals '1'); equal versions keep
    their input order.
    >>> sort_versions(['1.10', '1.2', '1.9.1', '1'])
    ['1', '1.2', '1.9.1', '1.10']
    """
    def key(version):
        parts = [int(p) for p in version.split('.')]
        while parts and parts[-1] == 0:  # trailing zeros do not change the version
            parts.pop()
        return parts

    return sorted(versions, key=key)
''', r'''
def check(candidate):
    assert candidate(['1.10', '1.2', '1.9.1', '1']) == ['1', '1.2', '1.9.1', '1.10']
    assert candidate([]) == []
    assert candidate(['2', '1']) == ['1', '2']
    assert candidate(['1.0', '1', '0.9']) == ['0.9', '1.0', '1']
    assert candidate(['3.0.1', '3.0.0.5', '3']) == ['3', '3.0.0.5', '3.0.1']
    assert candidate(['10.0', '9.99']) == ['9.99', '10.0']
''')

add("sorting", "medium", r'''
from typing import List


def natural_sort(names: List[str]) -> List[str]:
    """Sort strings in natural order: runs of digits compare by their numeric value and the
    other text compares case-insensitively, so 'file2' < 'File10'. Strings with equal keys
    keep their input order.
    >>> natural_sort(['file10', 'File2', 'file1'])
    ['file1', 'File2', 'file10']
    """
    import re

    def key(name):
        # re.split with a group alternates text, digits, text, ... starting with text,
        # so equal positions always hold the same kind of part.
        parts = re.split(r'([0-9]+)', name.lower())
        return [int(part) if i % 2 else part for i, part in enumerate(parts)]

    return sorted(names, key=key)
''', r'''
def check(candidate):
    assert candidate(['file10', 'File2', 'file1']) == ['file1', 'File2', 'file10']
    assert candidate([]) == []
    assert candidate(['b', 'A', 'c']) == ['A', 'b', 'c']
    assert candidate(['x10y2', 'x10y10', 'x9']) == ['x9', 'x10y2', 'x10y10']
    assert candidate(['img12.png', 'img10.png', 'IMG2.png', 'img1.png']) == ['img1.png', 'IMG2.png', 'img10.png', 'img12.png']
    assert candidate(['a01', 'a1', 'a001']) == ['a01', 'a1', 'a001']
    assert candidate(['2', '10', '1']) == ['1', '2', '10']
''')

add("sorting", "easy", r'''
from typing import List


def sort_by_frequency(xs: List[int]) -> List[int]:
    """Sort values so that more frequent values come first; values with equal frequency are
    ordered by increasing value, and equal values end up next to each other.
    >>> sort_by_frequency([4, 6, 2, 6, 4, 4])
    [4, 4, 4, 6, 6, 2]
    """
    counts = {}
    for x in xs:
        counts[x] = counts.get(x, 0) + 1
    return sorted(xs, key=lambda x: (-counts[x], x))
''', r'''
def check(candidate):
    assert candidate([4, 6, 2, 6, 4, 4]) == [4, 4, 4, 6, 6, 2]
    assert candidate([]) == []
    assert candidate([1]) == [1]
    assert candidate([3, 1, 2]) == [1, 2, 3]
    assert candidate([5, 5, -1, -1, 0]) == [-1, -1, 5, 5, 0]
    assert candidate([2, 3, 3, 2, 1]) == [2, 2, 3, 3, 1]
''')

add("sorting", "easy", r'''
from typing import List


def dense_rank(xs: List[int]) -> List[int]:
    """Replace every value by its dense rank: 1 for the smallest distinct value, 2 for the
    next distinct value, and so on. Equal values get equal ranks.
    >>> dense_rank([40, 10, 20, 10])
    [3, 1, 2, 1]
    """
    ranks = {v: i + 1 for i, v in enumerate(sorted(set(xs)))}
    return [ranks[x] for x in xs]
''', r'''
def check(candidate):
    assert candidate([40, 10, 20, 10]) == [3, 1, 2, 1]
    assert candidate([]) == []
    assert candidate([7]) == [1]
    assert candidate([5, 5, 5]) == [1, 1, 1]
    assert candidate([-3, 0, -3, 9]) == [1, 2, 1, 3]
    assert candidate([1, 2, 3]) == [1, 2, 3]
''')

add("sorting", "medium", r'''
from typing import List


def count_inversions(xs: List[int]) -> int:
    """Count the pairs of positions i < j with xs[i] > xs[j], in O(n log n) time.
    >>> count_inversions([3, 1, 2])
    2
    """
    def sort_count(arr):
        # Merge sort that also counts the pairs it puts in order.
        if len(arr) <= 1:
            return arr, 0
        mid = len(arr) // 2
        left, a = sort_count(arr[:mid])
        right, b = sort_count(arr[mid:])
        merged = []
        count = a + b
        i = j = 0
        while i < len(left) and j < len(right):
            if left[i] <= right[j]:
                merged.append(left[i])
                i += 1
            else:
                merged.append(right[j])
                j += 1
                count += len(left) - i  # right[j-1] is smaller than every remaining left item
        merged.extend(left[i:])
        merged.extend(right[j:])
        return merged, count

    return sort_count(list(xs))[1]
''', r'''
def check(candidate):
    assert candidate([3, 1, 2]) == 2
    assert candidate([]) == 0
    assert candidate([1]) == 0
    assert candidate([1, 2, 3]) == 0
    assert candidate([3, 2, 1]) == 3
    assert candidate([2, 2, 1]) == 2
    assert candidate([5, 1, 4, 2, 3]) == 6
    assert candidate(list(range(3000, 0, -1))) == 3000 * 2999 // 2
''')

add("sorting", "easy", r'''
from typing import List


def sort_by_alphabet(words: List[str], alphabet: str) -> List[str]:
    """Sort lowercase ``words`` lexicographically using the letter order given by
    ``alphabet`` (a permutation of the 26 lowercase letters). A prefix sorts first.
    >>> sort_by_alphabet(['bat', 'cat', 'act'], 'zyxwvutsrqponmlkjihgfedcba')
    ['cat', 'bat', 'act']
    """
    position = {ch: i for i, ch in enumerate(alphabet)}
    return sorted(words, key=lambda word: [position[ch] for ch in word])
''', r'''
def check(candidate):
    normal = 'abcdefghijklmnopqrstuvwxyz'
    qwerty = 'qwertyuiopasdfghjklzxcvbnm'
    assert candidate(['bat', 'cat', 'act'], normal[::-1]) == ['cat', 'bat', 'act']
    assert candidate([], normal) == []
    assert candidate(['ab', 'a'], normal) == ['a', 'ab']
    assert candidate(['apple', 'queue', 'wow'], qwerty) == ['queue', 'wow', 'apple']
    assert candidate(['sa', 'sq'], qwerty) == ['sq', 'sa']
    assert candidate(['b', 'a', 'b'], normal) == ['a', 'b', 'b']
''')

add("sorting", "easy", r'''
from typing import List


def k_closest_values(xs: List[int], target: int, k: int) -> List[int]:
    """Return the ``k`` values of ``xs`` closest to ``target`` (smaller values win ties in
    distance), sorted increasingly. If k >= len(xs) all values are returned, sorted.
    >>> k_closest_values([1, 5, 9, 3, 7], 6, 2)
    [5, 7]
    >>> k_closest_values([1, 5, 9, 3, 7], 4, 1)
    [3]
    """
    chosen = sorted(xs, key=lambda x: (abs(x - target), x))[:k]
    return sorted(chosen)
''', r'''
def check(candidate):
    assert candidate([1, 5, 9, 3, 7], 6, 2) == [5, 7]
    assert candidate([1, 5, 9, 3, 7], 4, 1) == [3]
    assert candidate([], 3, 2) == []
    assert candidate([1, 2], 0, 0) == []
    assert candidate([4, 1], 0, 5) == [1, 4]
    assert candidate([10, 20, 30], 25, 1) == [20]
    assert candidate([2, 2, 3], 2, 2) == [2, 2]
    assert candidate([-5, 5, 0], 1, 2) == [0, 5]
''')

add("sorting", "medium", r'''
from typing import List, Tuple


def min_rooms(meetings: List[Tuple[int, int]]) -> int:
    """Return the smallest number of rooms that can host all ``meetings`` (start, end) with
    start < end. A meeting ending at time t frees its room for one starting at t.
    >>> min_rooms([(0, 30), (5, 10), (15, 20), (10, 15)])
    2
    """
    events = []
    for start, end in meetings:
        events.append((start, 1))
        events.append((end, -1))
    events.sort()  # at equal times the end (-1) sorts before the start (+1)
    current = best = 0
    for _, delta in events:
        current += delta
        best = max(best, current)
    return best
''', r'''
def check(candidate):
    assert candidate([(0, 30), (5, 10), (15, 20), (10, 15)]) == 2
    assert candidate([]) == 0
    assert candidate([(1, 2)]) == 1
    assert candidate([(1, 5), (5, 9)]) == 1
    assert candidate([(1, 5), (4, 9)]) == 2
    assert candidate([(0, 10), (0, 10), (0, 10)]) == 3
    assert candidate([(1, 4), (2, 3), (3, 6), (5, 8)]) == 2
''')

add("sorting", "easy", r'''
from typing import List, Tuple


def leaderboard_order(entries: List[Tuple[str, int, int]]) -> List[str]:
    """Order players given as (name, score, seconds): higher score first, then lower time,
    then name alphabetically. Return the names in that order.
    >>> leaderboard_order([('ann', 90, 30), ('bob', 95, 40), ('cid', 90, 25)])
    ['bob', 'cid', 'ann']
    """
    ranked = sorted(entries, key=lambda e: (-e[1], e[2], e[0]))
    return [name for name, _, _ in ranked]
''', r'''
def check(candidate):
    assert candidate([('ann', 90, 30), ('bob', 95, 40), ('cid', 90, 25)]) == ['bob', 'cid', 'ann']
    assert candidate([]) == []
    assert candidate([('solo', 0, 0)]) == ['solo']
    assert candidate([('c', 5, 5), ('a', 5, 5), ('b', 5, 5)]) == ['a', 'b', 'c']
    assert candidate([('z', 1, 1), ('a', 1, 2)]) == ['z', 'a']
    assert candidate([('low', -1, 0), ('high', 3, 99)]) == ['high', 'low']
''')

add("sorting", "hard", r'''
from typing import List


def min_swaps_to_sort(xs: List[int]) -> int:
    """Return the minimum number of swaps of two elements (any positions) needed to sort
    ``xs``, whose values are distinct, into increasing order.
    >>> min_swaps_to_sort([4, 3, 1, 2])
    3
    """
    # order[i] = index of the element that belongs at position i; each cycle of length L
    # in this permutation needs L - 1 swaps.
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    seen = [False] * len(xs)
    swaps = 0
    for i in range(len(xs)):
        if seen[i]:
            continue
        length = 0
        j = i
        while not seen[j]:
            seen[j] = True
            j = order[j]
            length += 1
        swaps += length - 1
    return swaps
''', r'''
def check(candidate):
    assert candidate([4, 3, 1, 2]) == 3
    assert candidate([]) == 0
    assert candidate([1]) == 0
    assert candidate([1, 2, 3]) == 0
    assert candidate([2, 1]) == 1
    assert candidate([3, 1, 2]) == 2
    assert candidate([10, -1, 7, 3]) == 2
    assert candidate([5, 4, 3, 2, 1]) == 2
''')

add("sorting", "hard", r'''
def adjacent_swaps_to_match(a: str, b: str) -> int:
    """Return the fewest swaps of neighbouring characters that turn ``a`` into ``b``, or -1
    if ``b`` is not a rearrangement of ``a``. Strings can be thousands of characters long.
    >>> adjacent_swaps_to_match('abc', 'cab')
    2
    >>> adjacent_swaps_to_match('aab', 'aba')
    1
    """
    if sorted(a) != sorted(b):
        return -1
    # Matching the k-th occurrence of each character in a with its k-th occurrence in b is
    # optimal; the answer is then the number of inversions of the target positions.
    positions = {}
    for i, ch in enumerate(b):
        positions.setdefault(ch, []).append(i)
    used = {}
    targets = []
    for ch in a:
        k = used.get(ch, 0)
        targets.append(positions[ch][k])
        used[ch] = k + 1
    n = len(targets)
    tree = [0] * (n + 1)  # Fenwick tree over target positions seen so far
    inversions = 0
    for seen, p in enumerate(targets):
        i, not_greater = p + 1, 0
        while i > 0:
            not_greater += tree[i]
            i -= i & -i
        inversions += seen - not_greater
        i = p + 1
        while i <= n:
            tree[i] += 1
            i += i & -i
    return inversions
''', r'''
def check(candidate):
    assert candidate('abc', 'cab') == 2
    assert candidate('aab', 'aba') == 1
    assert candidate('', '') == 0
    assert candidate('a', 'a') == 0
    assert candidate('ab', 'ba') == 1
    assert candidate('abc', 'abd') == -1
    assert candidate('ab', 'abc') == -1
    assert candidate('abcd', 'dcba') == 6
    assert candidate('aabb', 'bbaa') == 4
    assert candidate('hello', 'olleh') == 9
    assert candidate('ab' * 1500, 'ba' * 1500) == 1500
''')

# ---------------------------------------------------------------------------------------------
# recursion
# ---------------------------------------------------------------------------------------------

add("recursion", "easy", r'''
def depth_weighted_sum(nested: list) -> int:
    """Sum all integers inside a nested list, each multiplied by its depth: integers directly
    in ``nested`` have depth 1, those one list deeper depth 2, and so on.
    >>> depth_weighted_sum([1, [2, [3]], 4])
    18
    """
    def walk(items, depth):
        total = 0
        for item in items:
            if isinstance(item, list):
                total += walk(item, depth + 1)
            else:
                total += item * depth
        return total

    return walk(nested, 1)
''', r'''
def check(candidate):
    assert candidate([1, [2, [3]], 4]) == 18
    assert candidate([]) == 0
    assert candidate([[]]) == 0
    assert candidate([5]) == 5
    assert candidate([[5]]) == 10
    assert candidate([[[-1]], 1]) == -2
    assert candidate([[1, 1], 2, [[2]]]) == 12
''')

add("recursion", "easy", r'''
def deep_reverse(nested: list) -> list:
    """Return a new list with the order reversed at every level of nesting; the input is
    not modified.
    >>> deep_reverse([1, [2, 3], [4, [5, 6]]])
    [[[6, 5], 4], [3, 2], 1]
    """
    return [deep_reverse(x) if isinstance(x, list) else x for x in reversed(nested)]
''', r'''
def check(candidate):
    assert candidate([1, [2, 3], [4, [5, 6]]]) == [[[6, 5], 4], [3, 2], 1]
    assert candidate([]) == []
    assert candidate([1]) == [1]
    assert candidate([[1, 2]]) == [[2, 1]]
    assert candidate([[[]], []]) == [[], [[]]]
    original = [1, [2, 3]]
    assert candidate(original) == [[3, 2], 1]
    assert original == [1, [2, 3]]
''')

add("recursion", "medium", r'''
from typing import List


def subsets_with_sum(values: List[int], target: int) -> List[List[int]]:
    """Return every subset of the distinct positive integers ``values`` whose sum is
    ``target``. Each subset is sorted increasingly and the list of subsets is sorted
    lexicographically. The empty subset counts when ``target`` is 0.
    >>> subsets_with_sum([5, 1, 4, 3, 2], 6)
    [[1, 2, 3], [1, 5], [2, 4]]
    """
    values = sorted(values)
    result = []

    def search(start, remaining, chosen):
        if remaining == 0:
            result.append(list(chosen))
            return
        for i in range(start, len(values)):
            if values[i] > remaining:
                break  # sorted and positive: nothing later fits either
            chosen.append(values[i])
            search(i + 1, remaining - values[i], chosen)
            chosen.pop()

    search(0, target, [])
    return sorted(result)
''', r'''
def check(candidate):
    assert candidate([5, 1, 4, 3, 2], 6) == [[1, 2, 3], [1, 5], [2, 4]]
    assert candidate([], 0) == [[]]
    assert candidate([], 3) == []
    assert candidate([1, 2], 0) == [[]]
    assert candidate([3], 3) == [[3]]
    assert candidate([2, 4, 6], 5) == []
    assert candidate([1, 2, 3, 4], 10) == [[1, 2, 3, 4]]
    assert candidate([10, 1, 2, 7, 6, 5], 8) == [[1, 2, 5], [1, 7], [2, 6]]
''')

add("recursion", "medium", r'''
from typing import List


def distinct_permutations(s: str) -> List[str]:
    """Return all distinct rearrangements of the characters of ``s``, sorted.
    >>> distinct_permutations('aab')
    ['aab', 'aba', 'baa']
    """
    counts = {}
    for ch in s:
        counts[ch] = counts.get(ch, 0) + 1
    letters = sorted(counts)
    result = []

    def build(prefix):
        # Choosing from the distinct letters in sorted order yields sorted, unique output.
        if len(prefix) == len(s):
            result.append(prefix)
            return
        for ch in letters:
            if counts[ch]:
                counts[ch] -= 1
                build(prefix + ch)
                counts[ch] += 1

    build('')
    return result
''', r'''
def check(candidate):
    assert candidate('aab') == ['aab', 'aba', 'baa']
    assert candidate('') == ['']
    assert candidate('a') == ['a']
    assert candidate('ba') == ['ab', 'ba']
    assert candidate('aaa') == ['aaa']
    assert candidate('cab') == ['abc', 'acb', 'bac', 'bca', 'cab', 'cba']
    assert candidate('abab') == ['aabb', 'abab', 'abba', 'baab', 'baba', 'bbaa']
    assert len(candidate('aabbcc')) == 90
''')

add("recursion", "medium", r'''
from typing import List


def compositions(n: int, max_part: int) -> List[List[int]]:
    """Return all ordered ways to write ``n`` (n >= 0) as a sum of positive parts that are
    each at most ``max_part``, in lexicographic order. n = 0 has exactly one composition,
    the empty one.
    >>> compositions(3, 2)
    [[1, 1, 1], [1, 2], [2, 1]]
    """
    if n == 0:
        return [[]]
    result = []
    for first in range(1, min(n, max_part) + 1):
        for rest in compositions(n - first, max_part):
            result.append([first] + rest)
    return result
''', r'''
def check(candidate):
    assert candidate(3, 2) == [[1, 1, 1], [1, 2], [2, 1]]
    assert candidate(0, 3) == [[]]
    assert candidate(1, 1) == [[1]]
    assert candidate(2, 5) == [[1, 1], [2]]
    assert candidate(4, 1) == [[1, 1, 1, 1]]
    assert candidate(3, 0) == []
    assert len(candidate(10, 3)) == 274
''')

add("recursion", "medium", r'''
from typing import List


def paths_with_sum(tree: tuple, target: int) -> List[List[int]]:
    """A tree is a tuple (value, [children...]). Return every root-to-leaf path whose values
    add up to ``target``, as lists of values, in left-to-right order.
    >>> paths_with_sum((5, [(3, [(2, [])]), (4, [(1, [])]), (0, [])]), 10)
    [[5, 3, 2], [5, 4, 1]]
    """
    value, children = tree
    if not children:
        return [[value]] if value == target else []
    paths = []
    for child in children:
        for path in paths_with_sum(child, target - value):
            paths.append([value] + path)
    return paths
''', r'''
def check(candidate):
    assert candidate((5, [(3, [(2, [])]), (4, [(1, [])]), (0, [])]), 10) == [[5, 3, 2], [5, 4, 1]]
    assert candidate((1, []), 1) == [[1]]
    assert candidate((1, []), 2) == []
    assert candidate((0, [(0, []), (0, [])]), 0) == [[0, 0], [0, 0]]
    assert candidate((1, [(2, [(3, [])]), (-1, [(5, []), (2, [])])]), 5) == [[1, -1, 5]]
    assert candidate((7, [(1, [(1, [])])]), 9) == [[7, 1, 1]]
''')

add("recursion", "hard", r'''
from typing import Tuple


def hanoi_move(n: int, k: int) -> Tuple[int, str, str]:
    """In the optimal solution that moves ``n`` disks from peg 'A' to peg 'C' (using 'B'),
    return the ``k``-th move (1 <= k <= 2**n - 1) as (disk, from_peg, to_peg), where disk
    1 is the smallest. Do not list all moves: n can be as large as 60.
    >>> hanoi_move(2, 2)
    (2, 'A', 'C')
    >>> hanoi_move(3, 1)
    (1, 'A', 'C')
    """
    # The solution is: n-1 disks src->aux, disk n src->dst, n-1 disks aux->dst.
    # Descend into the half that contains move k instead of recursing over all moves.
    src, dst, aux = 'A', 'C', 'B'
    while True:
        half = 1 << (n - 1)
        if k == half:
            return (n, src, dst)
        if k < half:
            dst, aux = aux, dst
        else:
            k -= half
            src, aux = aux, src
        n -= 1
''', r'''
def check(candidate):
    assert candidate(2, 2) == (2, 'A', 'C')
    assert candidate(3, 1) == (1, 'A', 'C')
    assert candidate(1, 1) == (1, 'A', 'C')
    assert candidate(2, 1) == (1, 'A', 'B')
    assert candidate(2, 3) == (1, 'B', 'C')
    assert candidate(3, 2) == (2, 'A', 'B')
    assert candidate(3, 4) == (3, 'A', 'C')
    assert candidate(3, 5) == (1, 'B', 'A')
    assert candidate(3, 7) == (1, 'A', 'C')
    assert candidate(60, 2 ** 59) == (60, 'A', 'C')
    assert candidate(60, 1) == (1, 'A', 'B')
''')

add("recursion", "hard", r'''
from typing import List


def expand_braces(pattern: str) -> List[str]:
    """Expand shell-style brace alternatives: '{x,y}' produces each comma-separated option in
    turn, braces may nest, and other text is copied (commas outside braces are plain text).
    Return all expansions in the order produced, where the leftmost alternatives vary
    slowest, without removing duplicates. The pattern is well-formed.
    >>> expand_braces('a{b,c}d')
    ['abd', 'acd']
    >>> expand_braces('{x,y{1,2}}z')
    ['xz', 'y1z', 'y2z']
    """
    def parse_sequence(i, stop):
        # Expand text up to a character in `stop`; returns (expansions, next index).
        results = ['']
        while i < len(pattern) and pattern[i] not in stop:
            if pattern[i] == '{':
                options, i = parse_alternatives(i + 1)
                results = [r + o for r in results for o in options]
            else:
                results = [r + pattern[i] for r in results]
                i += 1
        return results, i

    def parse_alternatives(i):
        options = []
        while True:
            expansions, i = parse_sequence(i, ',}')
            options.extend(expansions)
            if pattern[i] == '}':
                return options, i + 1
            i += 1  # skip the comma

    return parse_sequence(0, '')[0]
''', r'''
def check(candidate):
    assert candidate('a{b,c}d') == ['abd', 'acd']
    assert candidate('{x,y{1,2}}z') == ['xz', 'y1z', 'y2z']
    assert candidate('') == ['']
    assert candidate('abc') == ['abc']
    assert candidate('{a,b}{c,d}') == ['ac', 'ad', 'bc', 'bd']
    assert candidate('{,x}y') == ['y', 'xy']
    assert candidate('a,b') == ['a,b']
    assert candidate('{a,a}') == ['a', 'a']
    assert candidate('{{p,q},r}s') == ['ps', 'qs', 'rs']
''')

# ---------------------------------------------------------------------------------------------
# parsing
# ---------------------------------------------------------------------------------------------

add("parsing", "easy", r'''
from typing import List


def parse_page_ranges(spec: str) -> List[int]:
    """Parse a page selection such as '1-3,7,10-8' into a sorted list of distinct page
    numbers. Ranges are inclusive and may be written backwards; spaces are ignored and empty
    items are skipped.
    >>> parse_page_ranges('1-3, 7, 5-4')
    [1, 2, 3, 4, 5, 7]
    """
    pages = set()
    for item in spec.replace(' ', '').split(','):
        if not item:
            continue
        if '-' in item:
            a, b = item.split('-')
            lo, hi = sorted((int(a), int(b)))
            pages.update(range(lo, hi + 1))
        else:
            pages.add(int(item))
    return sorted(pages)
''', r'''
def check(candidate):
    assert candidate('1-3, 7, 5-4') == [1, 2, 3, 4, 5, 7]
    assert candidate('') == []
    assert candidate('4') == [4]
    assert candidate('2,2,2') == [2]
    assert candidate('1-1') == [1]
    assert candidate('3-1') == [1, 2, 3]
    assert candidate(' 10 - 12 ,, 1') == [1, 10, 11, 12]
''')

add("parsing", "easy", r'''
from typing import List


def format_page_ranges(pages: List[int]) -> str:
    """Format page numbers compactly: sort and de-duplicate them, then write each run of
    three or more consecutive pages as 'first-last' and other pages one by one, all
    separated by commas.
    >>> format_page_ranges([9, 1, 2, 3, 5, 6])
    '1-3,5,6,9'
    """
    values = sorted(set(pages))
    parts = []
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[j] + 1:
            j += 1
        if j - i >= 2:
            parts.append(f'{values[i]}-{values[j]}')
        else:
            parts.extend(str(v) for v in values[i:j + 1])
        i = j + 1
    return ','.join(parts)
''', r'''
def check(candidate):
    assert candidate([9, 1, 2, 3, 5, 6]) == '1-3,5,6,9'
    assert candidate([]) == ''
    assert candidate([4]) == '4'
    assert candidate([4, 5]) == '4,5'
    assert candidate([3, 4, 5]) == '3-5'
    assert candidate([1, 1, 2, 3, 3]) == '1-3'
    assert candidate([10, 8, 9, 1]) == '1,8-10'
''')

add("parsing", "easy", r'''
from typing import Dict, List


def parse_query(query: str) -> Dict[str, List[str]]:
    """Parse a URL query string such as 'a=1&b=2&a=3' into a dict mapping each key to the
    list of its values in order. A leading '?' is ignored, an item without '=' has the value
    '', only the first '=' of an item splits it, and empty items are skipped.
    >>> parse_query('?tag=x&tag=y&flag')
    {'tag': ['x', 'y'], 'flag': ['']}
    """
    if query.startswith('?'):
        query = query[1:]
    result = {}
    for item in query.split('&'):
        if item:
            key, _, value = item.partition('=')
            result.setdefault(key, []).append(value)
    return result
''', r'''
def check(candidate):
    assert candidate('?tag=x&tag=y&flag') == {'tag': ['x', 'y'], 'flag': ['']}
    assert candidate('') == {}
    assert candidate('?') == {}
    assert candidate('a=1') == {'a': ['1']}
    assert candidate('a=1=2') == {'a': ['1=2']}
    assert candidate('x=&&y=2') == {'x': [''], 'y': ['2']}
''')

add("parsing", "easy", r'''
def expand_counts(text: str) -> str:
    """Expand every 'c{n}' in ``text`` into the character c repeated n times (n may be 0 or
    have several digits); all other characters are copied. Each '{' directly follows the
    character to repeat and is followed by digits and '}'.
    >>> expand_counts('a{3}bc{2}')
    'aaabcc'
    """
    import re
    return re.sub(r'(.)\{(\d+)\}', lambda m: m.group(1) * int(m.group(2)), text, flags=re.S)
''', r'''
def check(candidate):
    assert candidate('a{3}bc{2}') == 'aaabcc'
    assert candidate('') == ''
    assert candidate('abc') == 'abc'
    assert candidate('x{0}y') == 'y'
    assert candidate('z{12}') == 'z' * 12
    assert candidate(' {3}') == '   '
    assert candidate('ab{1}') == 'ab'
    assert candidate('9{2}') == '99'
''')

add("parsing", "medium", r'''
def parse_duration(text: str) -> int:
    """Convert a duration such as '1h30m', '2d 4h' or '45s' into seconds. The units are d,
    h, m and s; each may appear at most once, in that order, and spaces between parts are
    allowed. Raise ValueError for anything else, including an empty string.
    >>> parse_duration('1h30m')
    5400
    >>> parse_duration('2d 4h 5s')
    187205
    """
    import re
    match = re.fullmatch(r'\s*(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?\s*', text)
    if not match or not any(match.groups()):
        raise ValueError(f'not a duration: {text!r}')
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds
''', r'''
def check(candidate):
    assert candidate('1h30m') == 5400
    assert candidate('2d 4h 5s') == 187205
    assert candidate('45s') == 45
    assert candidate('0s') == 0
    assert candidate('1d') == 86400
    assert candidate(' 2m 3s ') == 123
    assert candidate('90m') == 5400
    for bad in ['', '5', '1s1m', '3x', '1h1h', 'm5']:
        try:
            candidate(bad)
        except ValueError:
            continue
        assert False, bad
''')

add("parsing", "medium", r'''
from typing import List


def split_quoted(line: str) -> List[str]:
    """Split ``line`` on runs of spaces, except inside double-quoted sections, which may
    contain spaces. Quote characters are removed and a quoted empty string yields an empty
    field. Quotes may touch plain text: 'a"b c"d' is the single field 'ab cd'. Raise
    ValueError if a quote is left unclosed.
    >>> split_quoted('cp "my file.txt" backup/')
    ['cp', 'my file.txt', 'backup/']
    """
    fields = []
    current = []
    in_field = False  # needed because a field can be empty ("")
    in_quotes = False
    for ch in line:
        if ch == '"':
            in_quotes = not in_quotes
            in_field = True
        elif ch == ' ' and not in_quotes:
            if in_field:
                fields.append(''.join(current))
                current = []
                in_field = False
        else:
            current.append(ch)
            in_field = True
    if in_quotes:
        raise ValueError('unclosed quote')
    if in_field:
        fields.append(''.join(current))
    return fields
''', r'''
def check(candidate):
    assert candidate('cp "my file.txt" backup/') == ['cp', 'my file.txt', 'backup/']
    assert candidate('') == []
    assert candidate('   ') == []
    assert candidate('a  b') == ['a', 'b']
    assert candidate('""') == ['']
    assert candidate('x "" y') == ['x', '', 'y']
    assert candidate('a"b c"d') == ['ab cd']
    assert candidate('" lead"') == [' lead']
    raised = False
    try:
        candidate('say "hi')
    except ValueError:
        raised = True
    assert raised
''')

add("parsing", "medium", r'''
from typing import List


def parse_csv_line(line: str) -> List[str]:
    """Split one CSV line on commas. A field wrapped in double quotes may contain commas,
    and a doubled quote inside such a field stands for one quote character. Unquoted fields
    are taken literally (no trimming). An empty line is a single empty field.
    >>> parse_csv_line('a,"b,c",d')
    ['a', 'b,c', 'd']
    """
    fields = []
    field = []
    in_quotes = False
    i = 0
    while i < len(line):
        ch = line[i]
        if in_quotes:
            if ch == '"':
                if i + 1 < len(line) and line[i + 1] == '"':
                    field.append('"')
                    i += 1
                else:
                    in_quotes = False
            else:
                field.append(ch)
        elif ch == '"':
            in_quotes = True
        elif ch == ',':
            fields.append(''.join(field))
            field = []
        else:
            field.append(ch)
        i += 1
    fields.append(''.join(field))
    return fields
''', r'''
def check(candidate):
    assert candidate('a,"b,c",d') == ['a', 'b,c', 'd']
    assert candidate('') == ['']
    assert candidate(',') == ['', '']
    assert candidate('a') == ['a']
    assert candidate(' a , b ') == [' a ', ' b ']
    assert candidate('"",""') == ['', '']
    assert candidate('"x,y,z"') == ['x,y,z']
    assert candidate('"a""b",c,') == ['a"b', 'c', '']
    assert candidate('"say ""hi""",x') == ['say "hi"', 'x']
''')

add("parsing", "medium", r'''
from typing import List


def run_stack_program(source: str) -> List[int]:
    """Run a tiny stack language and return the final stack, bottom first. Tokens are
    separated by whitespace: an integer (possibly negative) is pushed; '+', '-' and '*' pop
    b, then a, and push a op b; 'dup' duplicates the top; 'swap' exchanges the top two;
    'drop' discards the top. Raise ValueError on stack underflow or an unknown token.
    >>> run_stack_program('2 3 + dup *')
    [25]
    >>> run_stack_program('1 2 swap - 7')
    [1, 7]
    """
    stack = []

    def pop():
        if not stack:
            raise ValueError('stack underflow')
        return stack.pop()

    for token in source.split():
        if token in ('+', '-', '*'):
            b, a = pop(), pop()
            stack.append(a + b if token == '+' else a - b if token == '-' else a * b)
        elif token == 'dup':
            top = pop()
            stack.extend([top, top])
        elif token == 'swap':
            b, a = pop(), pop()
            stack.extend([b, a])
        elif token == 'drop':
            pop()
        else:
            try:
                stack.append(int(token))
            except ValueError:
                raise ValueError(f'unknown token {token!r}') from None
    return stack
''', r'''
def check(candidate):
    assert candidate('2 3 + dup *') == [25]
    assert candidate('1 2 swap - 7') == [1, 7]
    assert candidate('') == []
    assert candidate('5') == [5]
    assert candidate('-3 4 *') == [-12]
    assert candidate('10 3 -') == [7]
    assert candidate('1 2 3 drop') == [1, 2]
    assert candidate('4 dup dup * *') == [64]
    for bad in ['+', '1 swap', 'foo', '1 drop drop']:
        try:
            candidate(bad)
        except ValueError:
            continue
        assert False, bad
''')

add("parsing", "medium", r'''
from typing import Dict, List


def parse_ini(lines: List[str]) -> Dict[str, Dict[str, str]]:
    """Parse INI-style lines. '[name]' starts a section (created even if it stays empty);
    'key = value' adds to the current section, with key and value stripped and a later
    duplicate key winning. Keys before any section go to the section ''. Blank lines and
    lines whose first non-space character is ';' or '#' are ignored. Raise ValueError for
    any other line.
    >>> parse_ini(['a=1', '[db]', 'host = x', '; note', 'port=5'])
    {'': {'a': '1'}, 'db': {'host': 'x', 'port': '5'}}
    """
    sections = {}
    current = ''
    for raw in lines:
        line = raw.strip()
        if not line or line[0] in ';#':
            continue
        if line.startswith('[') and line.endswith(']'):
            current = line[1:-1].strip()
            sections.setdefault(current, {})
        elif '=' in line:
            key, _, value = line.partition('=')
            sections.setdefault(current, {})[key.strip()] = value.strip()
        else:
            raise ValueError(f'cannot parse line: {raw!r}')
    return sections
''', r'''
def check(candidate):
    assert candidate(['a=1', '[db]', 'host = x', '; note', 'port=5']) == {'': {'a': '1'}, 'db': {'host': 'x', 'port': '5'}}
    assert candidate([]) == {}
    assert candidate(['', '  # comment']) == {}
    assert candidate(['[a]']) == {'a': {}}
    assert candidate(['x=1', 'x = 2']) == {'': {'x': '2'}}
    assert candidate(['[s]', 'k = v = w']) == {'s': {'k': 'v = w'}}
    assert candidate(['[s]', '[t]', 'a=1', '[s]', 'b=2']) == {'s': {'b': '2'}, 't': {'a': '1'}}
    raised = False
    try:
        candidate(['[s]', 'junk'])
    except ValueError:
        raised = True
    assert raised
''')

add("parsing", "hard", r'''
def evaluate(expression: str) -> int:
    """Evaluate an integer expression with +, -, *, / (integer division that truncates
    toward zero), unary minus and parentheses, using the usual precedence and left
    associativity. Spaces are ignored. Do not use eval(). Dividing by zero raises
    ZeroDivisionError.
    >>> evaluate('2 + 3 * (4 - 1)')
    11
    >>> evaluate('-7 / 2')
    -3
    """
    text = expression.replace(' ', '')
    tokens = []
    i = 0
    while i < len(text):
        if text[i].isdigit():
            j = i
            while j < len(text) and text[j].isdigit():
                j += 1
            tokens.append(int(text[i:j]))
            i = j
        else:
            tokens.append(text[i])
            i += 1
    pos = 0

    def peek():
        return tokens[pos] if pos < len(tokens) else None

    def take():
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    # Recursive descent: expr := term (('+'|'-') term)*, term := factor (('*'|'/') factor)*,
    # factor := '-' factor | '(' expr ')' | number.
    def expr():
        value = term()
        while peek() in ('+', '-'):
            op = take()
            rhs = term()
            value = value + rhs if op == '+' else value - rhs
        return value

    def term():
        value = factor()
        while peek() in ('*', '/'):
            op = take()
            rhs = factor()
            if op == '*':
                value *= rhs
            else:
                if rhs == 0:
                    raise ZeroDivisionError('division by zero')
                q = abs(value) // abs(rhs)
                value = q if (value >= 0) == (rhs > 0) else -q
        return value

    def factor():
        token = take()
        if token == '-':
            return -factor()
        if token == '(':
            value = expr()
            take()  # the closing parenthesis
            return value
        return token

    return expr()
''', r'''
def check(candidate):
    assert candidate('2 + 3 * (4 - 1)') == 11
    assert candidate('-7 / 2') == -3
    assert candidate('0') == 0
    assert candidate('42') == 42
    assert candidate('1+2*3') == 7
    assert candidate('(1+2)*3') == 9
    assert candidate('10-4-3') == 3
    assert candidate('100/7/2') == 7
    assert candidate('-(2+3)*2') == -10
    assert candidate('7/-2') == -3
    assert candidate('2--3') == 5
    assert candidate(' 8 / 3 ') == 2
    assert candidate('((((5))))') == 5
    assert candidate('2*(3+(4-6)*5)') == -14
    raised = False
    try:
        candidate('1/(2-2)')
    except ZeroDivisionError:
        raised = True
    assert raised
''')

add("parsing", "hard", r'''
from typing import Dict


def count_atoms(formula: str) -> Dict[str, int]:
    """Count the atoms in a chemical formula. An element is an upper-case letter followed by
    optional lower-case letters; a number after an element or after a closing parenthesis
    multiplies it (default 1); parentheses may nest.
    >>> count_atoms('H2O')
    {'H': 2, 'O': 1}
    >>> count_atoms('Mg(OH)2')
    {'Mg': 1, 'O': 2, 'H': 2}
    """
    n = len(formula)
    stack = [{}]  # one count dict per open parenthesis level

    def read_number(i):
        j = i
        while j < n and formula[j].isdigit():
            j += 1
        return (int(formula[i:j]) if j > i else 1), j

    i = 0
    while i < n:
        ch = formula[i]
        if ch == '(':
            stack.append({})
            i += 1
        elif ch == ')':
            group = stack.pop()
            multiplier, i = read_number(i + 1)
            for atom, count in group.items():
                stack[-1][atom] = stack[-1].get(atom, 0) + count * multiplier
        else:
            j = i + 1
            while j < n and formula[j].islower():
                j += 1
            atom = formula[i:j]
            count, i = read_number(j)
            stack[-1][atom] = stack[-1].get(atom, 0) + count
    return stack[0]
''', r'''
def check(candidate):
    assert candidate('H2O') == {'H': 2, 'O': 1}
    assert candidate('Mg(OH)2') == {'Mg': 1, 'O': 2, 'H': 2}
    assert candidate('') == {}
    assert candidate('He') == {'He': 1}
    assert candidate('C6H12O6') == {'C': 6, 'H': 12, 'O': 6}
    assert candidate('Ca3(PO4)2') == {'Ca': 3, 'P': 2, 'O': 8}
    assert candidate('((H)2O)3') == {'H': 6, 'O': 3}
    assert candidate('CH3CH2OH') == {'C': 2, 'H': 6, 'O': 1}
    assert candidate('Fe2(SO4)3') == {'Fe': 2, 'S': 3, 'O': 12}
''')

add("parsing", "hard", r'''
from typing import Dict


def eval_bool(expression: str, env: Dict[str, bool]) -> bool:
    """Evaluate a boolean expression built from variable names (looked up in ``env``), the
    constants true and false, the operators not, and, or (binding in that order, 'and' and
    'or' left-associative) and parentheses. Tokens are separated by spaces or parentheses.
    Raise KeyError for an unknown variable (every operand is evaluated, no short-circuit)
    and ValueError for a malformed expression.
    >>> eval_bool('a and not (b or false)', {'a': True, 'b': False})
    True
    """
    import re
    tokens = re.findall(r'\(|\)|[^\s()]+', expression)
    pos = 0

    def peek():
        return tokens[pos] if pos < len(tokens) else None

    def take():
        nonlocal pos
        if pos >= len(tokens):
            raise ValueError('unexpected end of expression')
        pos += 1
        return tokens[pos - 1]

    def parse_or():
        value = parse_and()
        while peek() == 'or':
            take()
            rhs = parse_and()  # evaluated before combining so errors are never skipped
            value = value or rhs
        return value

    def parse_and():
        value = parse_not()
        while peek() == 'and':
            take()
            rhs = parse_not()
            value = value and rhs
        return value

    def parse_not():
        token = take()
        if token == 'not':
            return not parse_not()
        if token == '(':
            value = parse_or()
            if take() != ')':
                raise ValueError('expected )')
            return value
        if token in ('true', 'false'):
            return token == 'true'
        if token in ('and', 'or', ')'):
            raise ValueError(f'unexpected {token!r}')
        return bool(env[token])

    result = parse_or()
    if pos != len(tokens):
        raise ValueError('unexpected trailing tokens')
    return result
''', r'''
def check(candidate):
    assert candidate('a and not (b or false)', {'a': True, 'b': False}) is True
    assert candidate('true', {}) is True
    assert candidate('false', {}) is False
    assert candidate('not not x', {'x': False}) is False
    abc = {'a': True, 'b': False, 'c': False}
    assert candidate('a or b and c', abc) is True
    assert candidate('(a or b) and c', abc) is False
    assert candidate('not a or b', {'a': True, 'b': True}) is True
    assert candidate('not (a or b)', {'a': False, 'b': False}) is True
    for bad in ['', 'a and', '(a', 'a b', 'and a', ')']:
        try:
            candidate(bad, {'a': True, 'b': True})
        except ValueError:
            continue
        assert False, bad
    for missing in ['zz', 'true or zz']:
        try:
            candidate(missing, {})
        except KeyError:
            continue
        assert False, missing
''')

# ---------------------------------------------------------------------------------------------
# simulation
# ---------------------------------------------------------------------------------------------

add("simulation", "easy", r'''
from typing import Tuple


def robot_position(commands: str) -> Tuple[int, int]:
    """A robot starts at (0, 0) facing north (+y). 'F' moves one step forward, 'B' one step
    backward, 'L' and 'R' turn 90 degrees left or right on the spot; other characters are
    ignored. Return the final (x, y).
    >>> robot_position('FFRFF')
    (2, 2)
    """
    dx, dy = 0, 1
    x = y = 0
    for c in commands:
        if c == 'F':
            x, y = x + dx, y + dy
        elif c == 'B':
            x, y = x - dx, y - dy
        elif c == 'L':
            dx, dy = -dy, dx
        elif c == 'R':
            dx, dy = dy, -dx
    return (x, y)
''', r'''
def check(candidate):
    assert candidate('FFRFF') == (2, 2)
    assert candidate('') == (0, 0)
    assert candidate('F') == (0, 1)
    assert candidate('B') == (0, -1)
    assert candidate('LF') == (-1, 0)
    assert candidate('RRF') == (0, -1)
    assert candidate('FLFLFLF') == (0, 0)
    assert candidate('F x F') == (0, 2)
''')

add("simulation", "easy", r'''
def light_at(t: int, green: int, yellow: int, red: int) -> str:
    """A traffic light starts green at time 0 and cycles green -> yellow -> red -> green,
    showing each colour for ``green``, ``yellow`` and ``red`` seconds (all >= 1). Return the
    colour shown at second ``t`` (t >= 0).
    >>> light_at(0, 30, 5, 20)
    'green'
    >>> light_at(33, 30, 5, 20)
    'yellow'
    """
    t %= green + yellow + red
    if t < green:
        return 'green'
    if t < green + yellow:
        return 'yellow'
    return 'red'
''', r'''
def check(candidate):
    assert candidate(0, 30, 5, 20) == 'green'
    assert candidate(33, 30, 5, 20) == 'yellow'
    assert candidate(29, 30, 5, 20) == 'green'
    assert candidate(30, 30, 5, 20) == 'yellow'
    assert candidate(35, 30, 5, 20) == 'red'
    assert candidate(54, 30, 5, 20) == 'red'
    assert candidate(55, 30, 5, 20) == 'green'
    assert candidate(1000, 1, 1, 1) == 'yellow'
    assert candidate(2, 1, 1, 1) == 'red'
''')

add("simulation", "easy", r'''
from typing import List, Tuple


def queue_waits(customers: List[Tuple[int, int]]) -> List[int]:
    """Customers (arrival_time, service_time) come to a single counter in the given order
    (arrival times never decrease). Each is served as soon as they have arrived and the
    counter is free. Return how long each customer waits before being served.
    >>> queue_waits([(0, 5), (1, 3), (10, 2)])
    [0, 4, 0]
    """
    waits = []
    free_at = None
    for arrival, service in customers:
        start = arrival if free_at is None else max(arrival, free_at)
        waits.append(start - arrival)
        free_at = start + service
    return waits
''', r'''
def check(candidate):
    assert candidate([(0, 5), (1, 3), (10, 2)]) == [0, 4, 0]
    assert candidate([]) == []
    assert candidate([(5, 1)]) == [0]
    assert candidate([(0, 2), (0, 2), (0, 2)]) == [0, 2, 4]
    assert candidate([(0, 3), (3, 1)]) == [0, 0]
    assert candidate([(1, 4), (2, 1), (2, 1), (9, 1)]) == [0, 3, 4, 0]
''')

add("simulation", "medium", r'''
from typing import List


def elimination_order(n: int, k: int) -> List[int]:
    """People numbered 1..n stand in a circle. Counting starts at person 1; every ``k``-th
    person still standing (k >= 1) leaves and counting resumes with the next person.
    Return the order in which all n people leave.
    >>> elimination_order(5, 2)
    [2, 4, 1, 5, 3]
    """
    people = list(range(1, n + 1))
    order = []
    index = 0
    while people:
        index = (index + k - 1) % len(people)
        order.append(people.pop(index))
    return order
''', r'''
def check(candidate):
    assert candidate(5, 2) == [2, 4, 1, 5, 3]
    assert candidate(0, 3) == []
    assert candidate(1, 5) == [1]
    assert candidate(3, 1) == [1, 2, 3]
    assert candidate(4, 3) == [3, 2, 4, 1]
    assert candidate(6, 7) == [1, 3, 6, 2, 4, 5]
''')

add("simulation", "medium", r'''
from typing import List


def lru_misses(capacity: int, requests: List[str]) -> int:
    """Simulate a least-recently-used cache holding at most ``capacity`` keys and return the
    number of misses for the request sequence. A hit makes the key the most recently used;
    a miss inserts the key, first evicting the least recently used key if the cache is
    full. With capacity 0 every request misses.
    >>> lru_misses(2, ['a', 'b', 'a', 'c', 'b'])
    4
    """
    from collections import OrderedDict
    cache = OrderedDict()
    misses = 0
    for key in requests:
        if key in cache:
            cache.move_to_end(key)
            continue
        misses += 1
        if capacity == 0:
            continue
        if len(cache) >= capacity:
            cache.popitem(last=False)
        cache[key] = True
    return misses
''', r'''
def check(candidate):
    assert candidate(2, ['a', 'b', 'a', 'c', 'b']) == 4
    assert candidate(1, []) == 0
    assert candidate(0, ['a', 'a']) == 2
    assert candidate(1, ['a', 'a', 'b', 'a']) == 3
    assert candidate(3, ['a', 'b', 'c', 'a', 'b', 'c']) == 3
    assert candidate(2, ['a', 'b', 'c', 'a', 'b', 'c']) == 6
    assert candidate(2, ['x', 'y', 'x', 'z', 'x', 'y']) == 4
''')

add("simulation", "medium", r'''
from typing import List


def round_robin_finish(bursts: List[int], quantum: int) -> List[int]:
    """Simulate round-robin CPU scheduling. All processes arrive at time 0 in list order;
    each runs for at most ``quantum`` time units per turn and then goes to the back of the
    queue if unfinished. Return each process's completion time (0 for an empty burst).
    >>> round_robin_finish([5, 2, 3], 2)
    [10, 4, 9]
    """
    from collections import deque
    remaining = list(bursts)
    finish = [0] * len(bursts)
    queue = deque(i for i, burst in enumerate(bursts) if burst > 0)
    time = 0
    while queue:
        i = queue.popleft()
        run = min(quantum, remaining[i])
        time += run
        remaining[i] -= run
        if remaining[i]:
            queue.append(i)
        else:
            finish[i] = time
    return finish
''', r'''
def check(candidate):
    assert candidate([5, 2, 3], 2) == [10, 4, 9]
    assert candidate([], 3) == []
    assert candidate([4], 10) == [4]
    assert candidate([1, 1, 1], 1) == [1, 2, 3]
    assert candidate([0, 3], 2) == [0, 3]
    assert candidate([3, 3], 2) == [5, 6]
    assert candidate([6, 1, 4], 3) == [10, 4, 11]
''')

add("simulation", "medium", r'''
from typing import List


def life_step_torus(grid: List[str]) -> List[str]:
    """Advance Conway's Game of Life by one generation on a board whose edges wrap around
    (a torus). The board is a list of equal-length strings, '#' for live and '.' for dead
    cells. Each cell has the 8 neighbours given by wrapping coordinates (on tiny boards the
    same cell may be counted several times). A live cell survives with 2 or 3 live
    neighbours; a dead cell becomes live with exactly 3.
    >>> life_step_torus(['.....', '..#..', '..#..', '..#..', '.....'])
    ['.....', '.....', '.###.', '.....', '.....']
    """
    rows = len(grid)
    if rows == 0:
        return []
    cols = len(grid[0])
    out = []
    for r in range(rows):
        line = []
        for c in range(cols):
            live = 0
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    if (dr or dc) and grid[(r + dr) % rows][(c + dc) % cols] == '#':
                        live += 1
            alive = grid[r][c] == '#'
            line.append('#' if live == 3 or (alive and live == 2) else '.')
        out.append(''.join(line))
    return out
''', r'''
def check(candidate):
    assert candidate(['.....', '..#..', '..#..', '..#..', '.....']) == ['.....', '.....', '.###.', '.....', '.....']
    assert candidate([]) == []
    assert candidate(['.']) == ['.']
    assert candidate(['#']) == ['.']
    block = ['....', '.##.', '.##.', '....']
    assert candidate(block) == block
    assert candidate(['.....', '#....', '#....', '#....', '.....']) == ['.....', '.....', '##..#', '.....', '.....']
    assert candidate(['.#.', '.#.', '.#.']) == ['###', '###', '###']
''')

add("simulation", "medium", r'''
from typing import List, Tuple


def falling_squares(drops: List[Tuple[int, int]]) -> List[int]:
    """Squares are dropped one at a time onto a line. A drop (left, size) covers the
    horizontal interval from left to left + size; it falls until it rests on the ground
    (height 0) or on top of an earlier square whose interval overlaps it (merely touching
    edges does not count). After each drop, record the height of the tallest stack so far.
    >>> falling_squares([(0, 3), (2, 2), (5, 1), (3, 2)])
    [3, 5, 5, 7]
    """
    placed = []  # (left, right, top) of every landed square
    best = 0
    heights = []
    for left, size in drops:
        right = left + size
        base = 0
        for other_left, other_right, top in placed:
            if left < other_right and other_left < right:
                base = max(base, top)
        placed.append((left, right, base + size))
        best = max(best, base + size)
        heights.append(best)
    return heights
''', r'''
def check(candidate):
    assert candidate([(0, 3), (2, 2), (5, 1), (3, 2)]) == [3, 5, 5, 7]
    assert candidate([]) == []
    assert candidate([(0, 4)]) == [4]
    assert candidate([(0, 2), (2, 2)]) == [2, 2]
    assert candidate([(0, 2), (1, 2)]) == [2, 4]
    assert candidate([(5, 1), (0, 10), (4, 3)]) == [1, 11, 14]
    assert candidate([(0, 1), (10, 5), (0, 1)]) == [1, 5, 5]
''')

add("simulation", "hard", r'''
from typing import List


def bowling_score(rolls: List[int]) -> int:
    """Return the total score of a complete ten-pin bowling game, given the pins knocked
    down by each roll. A strike (all 10 pins with a frame's first roll) scores 10 plus the
    next two rolls; a spare (10 pins with a frame's two rolls) scores 10 plus the next roll;
    any other frame scores its pins. The list includes the tenth frame's bonus rolls.
    >>> bowling_score([10] * 12)
    300
    >>> bowling_score([9, 1] * 10 + [9])
    190
    """
    score = 0
    i = 0
    for _ in range(10):
        if rolls[i] == 10:
            score += 10 + rolls[i + 1] + rolls[i + 2]
            i += 1
        elif rolls[i] + rolls[i + 1] == 10:
            score += 10 + rolls[i + 2]
            i += 2
        else:
            score += rolls[i] + rolls[i + 1]
            i += 2
    return score
''', r'''
def check(candidate):
    assert candidate([10] * 12) == 300
    assert candidate([9, 1] * 10 + [9]) == 190
    assert candidate([0] * 20) == 0
    assert candidate([1] * 20) == 20
    assert candidate([5, 5] * 10 + [5]) == 150
    assert candidate([10, 3, 4] + [0] * 16) == 24
    assert candidate([0] * 18 + [10, 10, 10]) == 30
    assert candidate([0] * 18 + [7, 3, 5]) == 15
    assert candidate([3, 7, 10, 0, 0] + [0] * 14) == 30
''')

add("simulation", "hard", r'''
from typing import List, Tuple


def snake_game(width: int, height: int, moves: str, food: List[Tuple[int, int]]) -> Tuple[int, bool]:
    """Play snake on a ``width`` x ``height`` board; cells are (x, y) with y growing
    downward. The snake starts with length 1 at (0, 0). ``moves`` is a string of 'U', 'D',
    'L', 'R'. Food appears one piece at a time at the positions in ``food``: the first piece
    is there from the start, and when the head moves onto the current piece the snake grows
    by one (its tail stays put for that move) and the next piece appears. The game ends when
    the head leaves the board or runs into the body; the tail cell being vacated in the same
    move does not count as body. Return (pieces eaten, still alive after the last move or
    crash).
    >>> snake_game(3, 3, 'RRDL', [(2, 0), (1, 1)])
    (2, True)
    """
    from collections import deque
    body = deque([(0, 0)])  # head first
    occupied = {(0, 0)}
    steps = {'U': (0, -1), 'D': (0, 1), 'L': (-1, 0), 'R': (1, 0)}
    eaten = 0
    for move in moves:
        dx, dy = steps[move]
        head = (body[0][0] + dx, body[0][1] + dy)
        if not (0 <= head[0] < width and 0 <= head[1] < height):
            return eaten, False
        grows = eaten < len(food) and head == tuple(food[eaten])
        if not grows:
            occupied.discard(body.pop())  # the tail moves away first
        if head in occupied:
            return eaten, False
        body.appendleft(head)
        occupied.add(head)
        if grows:
            eaten += 1
    return eaten, True
''', r'''
def check(candidate):
    assert candidate(3, 3, 'RRDL', [(2, 0), (1, 1)]) == (2, True)
    assert candidate(3, 3, '', []) == (0, True)
    assert candidate(2, 2, 'L', []) == (0, False)
    assert candidate(3, 3, 'RRR', [(1, 0)]) == (1, False)
    assert candidate(4, 4, 'RRRDLU', [(1, 0), (2, 0), (3, 0), (3, 1)]) == (4, False)
    assert candidate(2, 2, 'RDLUR', [(1, 0), (1, 1), (0, 1)]) == (3, True)
    assert candidate(3, 3, 'R', [(0, 1), (1, 0)]) == (0, True)
    assert candidate(3, 3, 'LRRR', [(1, 0)]) == (0, False)
''')

add("simulation", "hard", r'''
from typing import List, Tuple


def first_fit(size: int, ops: List[Tuple[str, int]]) -> List[int]:
    """Simulate a first-fit memory allocator over the addresses 0..size-1. ``ops`` holds
    ('alloc', n) requests (n >= 1), which reserve the lowest-addressed run of n free units
    and produce its start address, or -1 if no free run is long enough, and ('free', k)
    requests, which release the block reserved by the k-th entry of ``ops`` (0-based;
    freeing a failed or already freed allocation does nothing). Return the results of the
    alloc requests in order.
    >>> first_fit(10, [('alloc', 4), ('alloc', 3), ('free', 0), ('alloc', 2), ('alloc', 3)])
    [0, 4, 0, 7]
    """
    owner = [None] * size  # which op reserved each address
    blocks = {}  # op index -> (start, length) of live allocations
    result = []
    for index, (kind, arg) in enumerate(ops):
        if kind == 'alloc':
            start = -1
            run = 0
            for addr in range(size):
                run = run + 1 if owner[addr] is None else 0
                if run == arg:
                    start = addr - arg + 1
                    break
            if start >= 0:
                for addr in range(start, start + arg):
                    owner[addr] = index
                blocks[index] = (start, arg)
            result.append(start)
        else:
            block = blocks.pop(arg, None)
            if block is not None:
                for addr in range(block[0], block[0] + block[1]):
                    owner[addr] = None
    return result
''', r'''
def check(candidate):
    assert candidate(10, [('alloc', 4), ('alloc', 3), ('free', 0), ('alloc', 2), ('alloc', 3)]) == [0, 4, 0, 7]
    assert candidate(5, []) == []
    assert candidate(5, [('alloc', 6)]) == [-1]
    assert candidate(5, [('alloc', 5), ('alloc', 1)]) == [0, -1]
    assert candidate(6, [('alloc', 2), ('alloc', 2), ('alloc', 2), ('free', 1), ('alloc', 1), ('alloc', 2)]) == [0, 2, 4, 2, -1]
    assert candidate(4, [('alloc', 2), ('free', 0), ('free', 0), ('alloc', 4)]) == [0, 0]
    assert candidate(3, [('alloc', 4), ('free', 0), ('alloc', 3)]) == [-1, 0]
    assert candidate(6, [('alloc', 3), ('alloc', 3), ('free', 0), ('free', 1), ('alloc', 6)]) == [0, 3, 0]
''')

# ---------------------------------------------------------------------------------------------
# matrices
# ---------------------------------------------------------------------------------------------

add("matrices", "easy", r'''
from typing import Any, List


def transpose_ragged(rows: List[List[Any]], fill: Any = None) -> List[List[Any]]:
    """Transpose a list of rows that may have different lengths. The result has as many
    rows as the longest input row; missing cells become ``fill``.
    >>> transpose_ragged([[1, 2, 3], [4]])
    [[1, 4], [2, None], [3, None]]
    """
    width = max((len(row) for row in rows), default=0)
    return [[row[j] if j < len(row) else fill for row in rows] for j in range(width)]
''', r'''
def check(candidate):
    assert candidate([[1, 2, 3], [4]]) == [[1, 4], [2, None], [3, None]]
    assert candidate([]) == []
    assert candidate([[]]) == []
    assert candidate([[1]]) == [[1]]
    assert candidate([[1, 2], [3, 4]]) == [[1, 3], [2, 4]]
    assert candidate([[1], [2, 3]], 0) == [[1, 2], [0, 3]]
''')

add("matrices", "easy", r'''
from typing import List


def rotate_ccw(matrix: List[List[int]]) -> List[List[int]]:
    """Return the rectangular ``matrix`` (a list of rows) rotated 90 degrees
    counter-clockwise.
    >>> rotate_ccw([[1, 2, 3], [4, 5, 6]])
    [[3, 6], [2, 5], [1, 4]]
    """
    if not matrix:
        return []
    cols = len(matrix[0])
    return [[row[j] for row in matrix] for j in range(cols - 1, -1, -1)]
''', r'''
def check(candidate):
    assert candidate([[1, 2, 3], [4, 5, 6]]) == [[3, 6], [2, 5], [1, 4]]
    assert candidate([]) == []
    assert candidate([[7]]) == [[7]]
    assert candidate([[1, 2], [3, 4]]) == [[2, 4], [1, 3]]
    assert candidate([[1], [2], [3]]) == [[1, 2, 3]]
    m = [[1, 2, 3], [4, 5, 6]]
    assert candidate(candidate(candidate(candidate(m)))) == m
''')

add("matrices", "easy", r'''
from typing import List


def is_toeplitz(matrix: List[List[int]]) -> bool:
    """Return True if every top-left to bottom-right diagonal of the rectangular ``matrix``
    holds a single repeated value. An empty matrix counts as True.
    >>> is_toeplitz([[1, 2, 3], [4, 1, 2]])
    True
    """
    for r in range(1, len(matrix)):
        for c in range(1, len(matrix[r])):
            if matrix[r][c] != matrix[r - 1][c - 1]:
                return False
    return True
''', r'''
def check(candidate):
    assert candidate([[1, 2, 3], [4, 1, 2]]) is True
    assert candidate([]) is True
    assert candidate([[5]]) is True
    assert candidate([[1, 2], [2, 1]]) is True
    assert candidate([[1, 2], [1, 2]]) is False
    assert candidate([[1], [2], [3]]) is True
    assert candidate([[1, 2, 3], [4, 1, 9]]) is False
''')

add("matrices", "easy", r'''
from typing import List


def anti_diagonals(matrix: List[List[int]]) -> List[List[int]]:
    """Return the anti-diagonals of a rectangular ``matrix``: cells grouped by row + column,
    in increasing order of that sum, each group listed from the top row down.
    >>> anti_diagonals([[1, 2], [3, 4], [5, 6]])
    [[1], [2, 3], [4, 5], [6]]
    """
    if not matrix or not matrix[0]:
        return []
    rows, cols = len(matrix), len(matrix[0])
    return [[matrix[r][s - r] for r in range(rows) if 0 <= s - r < cols]
            for s in range(rows + cols - 1)]
''', r'''
def check(candidate):
    assert candidate([[1, 2], [3, 4], [5, 6]]) == [[1], [2, 3], [4, 5], [6]]
    assert candidate([[1, 2, 3], [4, 5, 6]]) == [[1], [2, 4], [3, 5], [6]]
    assert candidate([]) == []
    assert candidate([[]]) == []
    assert candidate([[9]]) == [[9]]
    assert candidate([[1], [2]]) == [[1], [2]]
    assert candidate([[1, 2], [3, 4]]) == [[1], [2, 3], [4]]
''')

add("matrices", "easy", r'''
from typing import List


def mat_mul(a: List[List[int]], b: List[List[int]]) -> List[List[int]]:
    """Multiply the matrices ``a`` (n x m) and ``b`` (m x p), given as lists of rows. Raise
    ValueError if the inner dimensions differ. An empty ``a`` gives [].
    >>> mat_mul([[1, 2], [3, 4]], [[5], [6]])
    [[17], [39]]
    """
    if not a:
        return []
    inner = len(a[0])
    if inner != len(b):
        raise ValueError('inner dimensions differ')
    cols = len(b[0]) if b else 0
    return [[sum(row[k] * b[k][j] for k in range(inner)) for j in range(cols)] for row in a]
''', r'''
def check(candidate):
    assert candidate([[1, 2], [3, 4]], [[5], [6]]) == [[17], [39]]
    assert candidate([], [[1]]) == []
    assert candidate([[2]], [[3]]) == [[6]]
    assert candidate([[1, 0], [0, 1]], [[4, 5], [6, 7]]) == [[4, 5], [6, 7]]
    assert candidate([[1, 2, 3]], [[1], [1], [1]]) == [[6]]
    assert candidate([[1], [2]], [[3, 4]]) == [[3, 4], [6, 8]]
    raised = False
    try:
        candidate([[1, 2]], [[1, 2]])
    except ValueError:
        raised = True
    assert raised
''')

add("matrices", "medium", r'''
from typing import List


def spiral_ccw(matrix: List[List[int]]) -> List[int]:
    """Read a rectangular ``matrix`` in a counter-clockwise spiral that starts at the
    top-left corner and first goes down the left column.
    >>> spiral_ccw([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    [1, 4, 7, 8, 9, 6, 3, 2, 5]
    """
    result = []
    if not matrix:
        return result
    top, bottom, left, right = 0, len(matrix) - 1, 0, len(matrix[0]) - 1
    while top <= bottom and left <= right:
        for r in range(top, bottom + 1):  # down the left column
            result.append(matrix[r][left])
        left += 1
        if left <= right:  # along the bottom row
            for c in range(left, right + 1):
                result.append(matrix[bottom][c])
            bottom -= 1
        if top <= bottom and left <= right:  # up the right column
            for r in range(bottom, top - 1, -1):
                result.append(matrix[r][right])
            right -= 1
        if top <= bottom and left <= right:  # back along the top row
            for c in range(right, left - 1, -1):
                result.append(matrix[top][c])
            top += 1
    return result
''', r'''
def check(candidate):
    assert candidate([[1, 2, 3], [4, 5, 6], [7, 8, 9]]) == [1, 4, 7, 8, 9, 6, 3, 2, 5]
    assert candidate([]) == []
    assert candidate([[1]]) == [1]
    assert candidate([[1, 2, 3]]) == [1, 2, 3]
    assert candidate([[1], [2], [3]]) == [1, 2, 3]
    assert candidate([[1, 2], [3, 4]]) == [1, 3, 4, 2]
    assert candidate([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]) == [1, 5, 9, 10, 11, 12, 8, 4, 3, 2, 6, 7]
''')

add("matrices", "medium", r'''
from typing import List


def best_square_sum(grid: List[List[int]], k: int) -> int:
    """Return the largest sum of any k x k block of the rectangular ``grid``, where
    1 <= k <= min(rows, cols). Use prefix sums so that large grids stay fast.
    >>> best_square_sum([[1, 2, 0], [3, 4, 1], [0, 1, 9]], 2)
    15
    """
    rows, cols = len(grid), len(grid[0])
    pre = [[0] * (cols + 1) for _ in range(rows + 1)]  # pre[r][c] = sum of grid[:r][:c]
    for r in range(rows):
        for c in range(cols):
            pre[r + 1][c + 1] = grid[r][c] + pre[r][c + 1] + pre[r + 1][c] - pre[r][c]
    best = None
    for r in range(k, rows + 1):
        for c in range(k, cols + 1):
            total = pre[r][c] - pre[r - k][c] - pre[r][c - k] + pre[r - k][c - k]
            if best is None or total > best:
                best = total
    return best
''', r'''
def check(candidate):
    assert candidate([[1, 2, 0], [3, 4, 1], [0, 1, 9]], 2) == 15
    assert candidate([[5]], 1) == 5
    assert candidate([[-1, -2], [-3, -4]], 1) == -1
    assert candidate([[-1, -2], [-3, -4]], 2) == -10
    assert candidate([[1, 2, 3]], 1) == 3
    assert candidate([[1, 1, 1], [1, 1, 1], [1, 1, 1]], 3) == 9
    big = [[(r * r + 3 * c * c + r * c) % 11 - 5 for c in range(120)] for r in range(120)]
    assert candidate(big, 7) == -33
''')

add("matrices", "medium", r'''
from typing import List


def determinant(matrix: List[List[int]]) -> int:
    """Return the exact determinant of a square integer matrix (the empty matrix has
    determinant 1).
    >>> determinant([[2, 1], [7, 4]])
    1
    """
    from fractions import Fraction
    n = len(matrix)
    m = [[Fraction(x) for x in row] for row in matrix]  # exact Gaussian elimination
    det = Fraction(1)
    for col in range(n):
        pivot = next((r for r in range(col, n) if m[r][col] != 0), None)
        if pivot is None:
            return 0
        if pivot != col:
            m[col], m[pivot] = m[pivot], m[col]
            det = -det
        det *= m[col][col]
        for r in range(col + 1, n):
            factor = m[r][col] / m[col][col]
            for c in range(col, n):
                m[r][c] -= factor * m[col][c]
    return int(det)
''', r'''
def check(candidate):
    assert candidate([[2, 1], [7, 4]]) == 1
    assert candidate([]) == 1
    assert candidate([[5]]) == 5
    assert candidate([[1, 2], [2, 4]]) == 0
    assert candidate([[0, 1], [1, 0]]) == -1
    assert candidate([[2, 0, 0], [0, 3, 0], [0, 0, 4]]) == 24
    assert candidate([[1, 2, 3], [4, 5, 6], [7, 8, 10]]) == -3
    assert candidate([[0, 0, 1], [0, 1, 0], [1, 0, 0]]) == -1
    assert candidate([[10 ** 10, 1], [1, 10 ** 10]]) == 10 ** 20 - 1
''')

add("matrices", "medium", r'''
from typing import List


def matrix_power_mod(matrix: List[List[int]], exponent: int, mod: int) -> List[List[int]]:
    """Raise the square ``matrix`` to the non-negative power ``exponent`` with all arithmetic
    modulo ``mod`` (mod >= 2), using fast exponentiation so that huge exponents are cheap.
    The zeroth power is the identity matrix. Entries of the result lie in [0, mod).
    >>> matrix_power_mod([[1, 1], [1, 0]], 10, 1000)
    [[89, 55], [55, 34]]
    """
    n = len(matrix)

    def mul(a, b):
        return [[sum(a[i][k] * b[k][j] for k in range(n)) % mod for j in range(n)]
                for i in range(n)]

    result = [[int(i == j) for j in range(n)] for i in range(n)]
    base = [[x % mod for x in row] for row in matrix]
    while exponent:
        if exponent & 1:
            result = mul(result, base)
        base = mul(base, base)
        exponent >>= 1
    return result
''', r'''
def check(candidate):
    assert candidate([[1, 1], [1, 0]], 10, 1000) == [[89, 55], [55, 34]]
    assert candidate([[5]], 0, 7) == [[1]]
    assert candidate([[5]], 3, 7) == [[6]]
    assert candidate([[2, 0], [0, 3]], 4, 100) == [[16, 0], [0, 81]]
    assert candidate([[-1]], 3, 5) == [[4]]
    assert candidate([[1, 2], [3, 4]], 1, 10 ** 6) == [[1, 2], [3, 4]]
    assert candidate([[1, 1], [0, 1]], 10 ** 18, 97) == [[1, 10 ** 18 % 97], [0, 1]]
    assert candidate([[1, 1], [1, 0]], 90, 10 ** 9) == [[375530309, 370816120], [370816120, 4714189]]
''')

add("matrices", "hard", r'''
from typing import List


def largest_ones_rectangle(grid: List[str]) -> int:
    """``grid`` is a list of equal-length strings of '0' and '1'. Return the area of the
    largest axis-aligned rectangle made only of '1' cells.
    >>> largest_ones_rectangle(['1011', '1111', '0111'])
    6
    """
    if not grid:
        return 0
    cols = len(grid[0])
    heights = [0] * cols  # consecutive '1's ending at the current row, per column
    best = 0
    for row in grid:
        for c in range(cols):
            heights[c] = heights[c] + 1 if row[c] == '1' else 0
        # Largest rectangle in a histogram with a stack of increasing heights.
        stack = []
        for c in range(cols + 1):
            h = heights[c] if c < cols else 0
            while stack and heights[stack[-1]] >= h:
                height = heights[stack.pop()]
                left = stack[-1] + 1 if stack else 0
                best = max(best, height * (c - left))
            stack.append(c)
    return best
''', r'''
def check(candidate):
    assert candidate(['1011', '1111', '0111']) == 6
    assert candidate([]) == 0
    assert candidate(['']) == 0
    assert candidate(['0']) == 0
    assert candidate(['1']) == 1
    assert candidate(['111']) == 3
    assert candidate(['1', '1']) == 2
    assert candidate(['10', '01']) == 1
    assert candidate(['0110', '1111', '1111', '0100']) == 8
    assert candidate(['11011', '11111', '11111']) == 10
''')

add("matrices", "hard", r'''
from typing import List


def count_blocks_with_sum(grid: List[List[int]], target: int) -> int:
    """Count the non-empty rectangular blocks (contiguous rows by contiguous columns) of the
    rectangular ``grid`` whose elements add up to ``target``. Values may be negative. Aim
    for O(rows^2 * cols) time.
    >>> count_blocks_with_sum([[2, -2, 1], [0, 1, -1]], 0)
    5
    """
    rows = len(grid)
    cols = len(grid[0]) if rows else 0
    count = 0
    for top in range(rows):
        col_sums = [0] * cols  # column sums of rows top..bottom
        for bottom in range(top, rows):
            for c in range(cols):
                col_sums[c] += grid[bottom][c]
            # Now count column ranges with the target sum, via prefix sums.
            seen = {0: 1}
            prefix = 0
            for value in col_sums:
                prefix += value
                count += seen.get(prefix - target, 0)
                seen[prefix] = seen.get(prefix, 0) + 1
    return count
''', r'''
def check(candidate):
    assert candidate([[2, -2, 1], [0, 1, -1]], 0) == 5
    assert candidate([], 0) == 0
    assert candidate([[5]], 5) == 1
    assert candidate([[5]], 0) == 0
    assert candidate([[0, 0], [0, 0]], 0) == 9
    assert candidate([[1, 2], [3, 4]], 10) == 1
    assert candidate([[1, 2], [3, 4]], 3) == 2
    assert candidate([[1, 1, 1]], 2) == 2
''')

# ---------------------------------------------------------------------------------------------
# sets
# ---------------------------------------------------------------------------------------------

add("sets", "easy", r'''
from typing import List


def in_exactly_one(groups: List[List[int]]) -> List[int]:
    """Return, in increasing order, the values that appear in exactly one of the lists in
    ``groups`` (repeats inside a single list do not matter).
    >>> in_exactly_one([[1, 2, 2], [2, 3], [3, 4]])
    [1, 4]
    """
    lists_containing = {}
    for group in groups:
        for value in set(group):
            lists_containing[value] = lists_containing.get(value, 0) + 1
    return sorted(v for v, n in lists_containing.items() if n == 1)
''', r'''
def check(candidate):
    assert candidate([[1, 2, 2], [2, 3], [3, 4]]) == [1, 4]
    assert candidate([]) == []
    assert candidate([[]]) == []
    assert candidate([[1, 1]]) == [1]
    assert candidate([[1], [1]]) == []
    assert candidate([[5, 1], [2], [1]]) == [2, 5]
''')

add("sets", "easy", r'''
def jaccard_words(a: str, b: str) -> float:
    """Return the Jaccard similarity |A & B| / |A | B| of the sets of lowercased
    whitespace-separated words of ``a`` and ``b``. Two texts without words give 1.0.
    >>> jaccard_words('the cat sat', 'The dog sat')
    0.5
    """
    words_a, words_b = set(a.lower().split()), set(b.lower().split())
    if not words_a and not words_b:
        return 1.0
    return len(words_a & words_b) / len(words_a | words_b)
''', r'''
def check(candidate):
    assert abs(candidate('the cat sat', 'The dog sat') - 0.5) < 1e-9
    assert abs(candidate('', '') - 1.0) < 1e-9
    assert abs(candidate('a', '') - 0.0) < 1e-9
    assert abs(candidate('x y', 'y x x') - 1.0) < 1e-9
    assert abs(candidate('a b c', 'c d') - 0.25) < 1e-9
    assert abs(candidate('A', 'a') - 1.0) < 1e-9
''')

add("sets", "easy", r'''
from typing import List, Tuple


def pairs_with_difference(values: List[int], k: int) -> List[Tuple[int, int]]:
    """Return the distinct pairs (a, b) of values from ``values`` with b - a == k (k >= 1),
    sorted by a.
    >>> pairs_with_difference([1, 5, 3, 4, 2, 5], 2)
    [(1, 3), (2, 4), (3, 5)]
    """
    present = set(values)
    return [(a, a + k) for a in sorted(present) if a + k in present]
''', r'''
def check(candidate):
    assert candidate([1, 5, 3, 4, 2, 5], 2) == [(1, 3), (2, 4), (3, 5)]
    assert candidate([], 1) == []
    assert candidate([1], 1) == []
    assert candidate([1, 1, 2], 1) == [(1, 2)]
    assert candidate([10, -2, 0], 2) == [(-2, 0)]
    assert candidate([1, 2, 3], 5) == []
    assert candidate([0, 3, 6, 9], 3) == [(0, 3), (3, 6), (6, 9)]
''')

add("sets", "easy", r'''
from typing import List


def private_letters(words: List[str]) -> List[str]:
    """For each word, return the sorted string of its distinct characters that appear in no
    other word of the list.
    >>> private_letters(['apple', 'pear', 'kiwi'])
    ['l', 'r', 'ikw']
    """
    sets = [set(word) for word in words]
    result = []
    for i, letters in enumerate(sets):
        others = set().union(*(s for j, s in enumerate(sets) if j != i))
        result.append(''.join(sorted(letters - others)))
    return result
''', r'''
def check(candidate):
    assert candidate(['apple', 'pear', 'kiwi']) == ['l', 'r', 'ikw']
    assert candidate([]) == []
    assert candidate(['abc']) == ['abc']
    assert candidate(['ab', 'ab']) == ['', '']
    assert candidate(['aa', 'b']) == ['a', 'b']
    assert candidate(['xyz', 'y', 'zq']) == ['x', '', 'q']
''')

add("sets", "easy", r'''
from typing import List


def missing_in_range(values: List[int], lo: int, hi: int) -> List[int]:
    """Return the integers in [lo, hi] that are not in ``values``, in increasing order.
    >>> missing_in_range([3, 7, 1, 12], 1, 8)
    [2, 4, 5, 6, 8]
    """
    present = set(values)
    return [x for x in range(lo, hi + 1) if x not in present]
''', r'''
def check(candidate):
    assert candidate([3, 7, 1, 12], 1, 8) == [2, 4, 5, 6, 8]
    assert candidate([], 1, 3) == [1, 2, 3]
    assert candidate([1, 2, 3], 1, 3) == []
    assert candidate([], 5, 4) == []
    assert candidate([0], 0, 0) == []
    assert candidate([-1, 1], -2, 2) == [-2, 0, 2]
''')

add("sets", "medium", r'''
from typing import List, Optional, Set


def greedy_cover(universe: Set[int], subsets: List[Set[int]]) -> Optional[List[int]]:
    """Cover ``universe`` greedily: repeatedly pick the subset that covers the most
    still-uncovered elements (the lowest index on ties) until everything is covered. Return
    the chosen indices in the order picked, or None if the universe cannot be covered. An
    empty universe needs no subsets.
    >>> greedy_cover({1, 2, 3, 4, 5}, [{1, 2, 3}, {2, 4}, {3, 4}, {4, 5}])
    [0, 3]
    """
    uncovered = set(universe)
    chosen = []
    while uncovered:
        best, gain = None, 0
        for i, subset in enumerate(subsets):
            g = len(uncovered & subset)
            if g > gain:
                best, gain = i, g
        if best is None:
            return None
        chosen.append(best)
        uncovered -= subsets[best]
    return chosen
''', r'''
def check(candidate):
    assert candidate({1, 2, 3, 4, 5}, [{1, 2, 3}, {2, 4}, {3, 4}, {4, 5}]) == [0, 3]
    assert candidate(set(), []) == []
    assert candidate({1}, []) is None
    assert candidate({1}, [{2}]) is None
    assert candidate({1, 2}, [{1}, {1, 2}]) == [1]
    assert candidate({1, 2, 3, 4, 5, 6}, [{1, 2, 3, 4}, {1, 2, 5}, {3, 4, 6}, {5, 6}]) == [0, 3]
    assert candidate({1, 2, 3}, [{1}, {2}, {3}, {1, 2}]) == [3, 2]
''')

add("sets", "medium", r'''
from typing import List, Tuple


def linked_groups(pairs: List[Tuple[str, str]]) -> List[List[str]]:
    """Each pair says that two items belong together, and belonging together is transitive.
    Return the resulting groups, each sorted, with the groups sorted by their first item.
    >>> linked_groups([('a', 'b'), ('c', 'd'), ('b', 'e')])
    [['a', 'b', 'e'], ['c', 'd']]
    """
    parent = {}  # union-find forest

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        root_a, root_b = find(a), find(b)
        if root_a != root_b:
            parent[root_a] = root_b
    groups = {}
    for item in list(parent):
        groups.setdefault(find(item), []).append(item)
    return sorted(sorted(group) for group in groups.values())
''', r'''
def check(candidate):
    assert candidate([('a', 'b'), ('c', 'd'), ('b', 'e')]) == [['a', 'b', 'e'], ['c', 'd']]
    assert candidate([]) == []
    assert candidate([('x', 'x')]) == [['x']]
    assert candidate([('a', 'b'), ('b', 'a')]) == [['a', 'b']]
    assert candidate([('q', 'r'), ('s', 't'), ('r', 's'), ('z', 'y')]) == [['q', 'r', 's', 't'], ['y', 'z']]
    assert candidate([('b', 'c'), ('a', 'd')]) == [['a', 'd'], ['b', 'c']]
''')

add("sets", "hard", r'''
from typing import List, Set


def min_cover_size(universe: Set[int], subsets: List[Set[int]]) -> int:
    """Return the smallest number of the given subsets whose union contains every element of
    ``universe``, or -1 if that is impossible. The greedy choice is not always optimal.
    There are at most 20 subsets and 20 universe elements.
    >>> min_cover_size({1, 2, 3, 4, 5, 6}, [{1, 2, 3, 4}, {1, 2, 5}, {3, 4, 6}])
    2
    """
    elements = sorted(universe)
    bit = {e: i for i, e in enumerate(elements)}
    full = (1 << len(elements)) - 1
    if full == 0:
        return 0
    masks = [sum(1 << bit[e] for e in subset if e in bit) for subset in subsets]
    # Breadth-first search over covered-element bitmasks: level = number of subsets used.
    seen = {0}
    frontier = [0]
    used = 0
    while frontier:
        used += 1
        next_frontier = []
        for covered in frontier:
            for mask in masks:
                new = covered | mask
                if new == full:
                    return used
                if new not in seen:
                    seen.add(new)
                    next_frontier.append(new)
        frontier = next_frontier
    return -1
''', r'''
def check(candidate):
    assert candidate({1, 2, 3, 4, 5, 6}, [{1, 2, 3, 4}, {1, 2, 5}, {3, 4, 6}]) == 2
    assert candidate(set(), []) == 0
    assert candidate({1}, []) == -1
    assert candidate({1}, [{1}]) == 1
    assert candidate({1, 2}, [{1}, {2}, {3}]) == 2
    assert candidate({1, 2, 3}, [{1}, {2}, {3}, {1, 2, 3, 4}]) == 1
    nine = set(range(1, 10))
    assert candidate(nine, [{1, 2, 3, 4, 5}, {5, 6, 7}, {8, 9}, {1, 2, 3}, {4, 5, 6}, {7, 8, 9}]) == 3
    assert candidate({1, 2, 3}, [{1, 2}, {2}]) == -1
''')

# ---------------------------------------------------------------------------------------------
# bit_manipulation
# ---------------------------------------------------------------------------------------------

add("bit_manipulation", "easy", r'''
def bit_flips(a: int, b: int) -> int:
    """Return how many bits must be flipped to turn the non-negative integer ``a`` into
    ``b``.
    >>> bit_flips(10, 7)
    3
    """
    return bin(a ^ b).count('1')
''', r'''
def check(candidate):
    assert candidate(10, 7) == 3
    assert candidate(0, 0) == 0
    assert candidate(1, 0) == 1
    assert candidate(255, 0) == 8
    assert candidate(2 ** 40, 0) == 1
    assert candidate(5, 5) == 0
    assert candidate(12, 3) == 4
''')

add("bit_manipulation", "easy", r'''
def reverse_bits(n: int, width: int) -> int:
    """Reverse the lowest ``width`` bits of ``n`` (0 <= n < 2**width) and return the
    resulting integer.
    >>> reverse_bits(0b0011, 4)
    12
    """
    result = 0
    for _ in range(width):
        result = (result << 1) | (n & 1)
        n >>= 1
    return result
''', r'''
def check(candidate):
    assert candidate(0b0011, 4) == 12
    assert candidate(0, 8) == 0
    assert candidate(0, 0) == 0
    assert candidate(1, 1) == 1
    assert candidate(1, 8) == 128
    assert candidate(6, 3) == 3
    assert candidate(0b1011, 4) == 0b1101
''')

add("bit_manipulation", "easy", r'''
from typing import List


def one_runs(n: int) -> List[int]:
    """Return the lengths of the runs of consecutive 1 bits in the binary form of the
    non-negative integer ``n``, from the most significant run to the least.
    >>> one_runs(0b1101110)
    [2, 3]
    """
    return [len(run) for run in bin(n)[2:].split('0') if run]
''', r'''
def check(candidate):
    assert candidate(0b1101110) == [2, 3]
    assert candidate(0) == []
    assert candidate(1) == [1]
    assert candidate(0b1001) == [1, 1]
    assert candidate(255) == [8]
    assert candidate(0b10110111) == [1, 2, 3]
''')

add("bit_manipulation", "easy", r'''
from typing import List


def gray_sequence(n: int) -> List[int]:
    """Return the n-bit reflected Gray code (2**n integers starting at 0, neighbours
    differing in exactly one bit), built by reflection: the n-bit sequence is the
    (n-1)-bit sequence followed by its reverse with bit n-1 set.
    >>> gray_sequence(2)
    [0, 1, 3, 2]
    """
    seq = [0]
    for bit in range(n):
        seq += [x | (1 << bit) for x in reversed(seq)]
    return seq
''', r'''
def check(candidate):
    assert candidate(2) == [0, 1, 3, 2]
    assert candidate(0) == [0]
    assert candidate(1) == [0, 1]
    assert candidate(3) == [0, 1, 3, 2, 6, 7, 5, 4]
    s = candidate(5)
    assert sorted(s) == list(range(32))
    assert all(bin(a ^ b).count('1') == 1 for a, b in zip(s, s[1:]))
    assert candidate(6) == [i ^ (i >> 1) for i in range(64)]
''')

add("bit_manipulation", "medium", r'''
from typing import List


def lone_value(values: List[int]) -> int:
    """Every value in ``values`` occurs exactly three times except one, which occurs once.
    Return that value (values may be negative) using O(1) extra memory.
    >>> lone_value([5, 7, 5, 5])
    7
    """
    # ones/twos hold the bits seen 1 (resp. 2) times modulo 3.
    ones = twos = 0
    for v in values:
        ones = (ones ^ v) & ~twos
        twos = (twos ^ v) & ~ones
    return ones
''', r'''
def check(candidate):
    assert candidate([5, 7, 5, 5]) == 7
    assert candidate([4]) == 4
    assert candidate([-1]) == -1
    assert candidate([2, 2, 3, 2]) == 3
    assert candidate([-4, -4, -4, 9]) == 9
    assert candidate([0, 1, 0, 1, 0, 1, -7]) == -7
    assert candidate([10 ** 12, 3, 10 ** 12, 10 ** 12]) == 3
''')

add("bit_manipulation", "medium", r'''
def next_same_popcount(n: int) -> int:
    """Return the smallest integer greater than ``n`` (n >= 1) with the same number of 1
    bits.
    >>> next_same_popcount(6)
    9
    """
    lowest = n & -n
    ripple = n + lowest  # moves the lowest block of ones up by one position
    ones = ((n ^ ripple) >> 2) // lowest  # the remaining ones, packed at the bottom
    return ripple | ones
''', r'''
def check(candidate):
    assert candidate(6) == 9
    assert candidate(1) == 2
    assert candidate(2) == 4
    assert candidate(3) == 5
    assert candidate(7) == 11
    assert candidate(12) == 17
    assert candidate(23) == 27
    assert candidate(2 ** 40 - 1) == 2 ** 40 + 2 ** 39 - 1
''')

add("bit_manipulation", "medium", r'''
from typing import List


def max_pair_xor(values: List[int]) -> int:
    """Return the largest a ^ b over pairs of distinct positions of ``values`` (at least two
    non-negative integers), in better than quadratic time.
    >>> max_pair_xor([6, 9, 12, 1])
    15
    """
    best = 0
    for bit in range(max(values).bit_length() - 1, -1, -1):
        best <<= 1
        candidate = best | 1  # can this bit be set on top of the best prefix so far?
        prefixes = {v >> bit for v in values}
        if any((candidate ^ p) in prefixes for p in prefixes):
            best = candidate
    return best
''', r'''
def check(candidate):
    assert candidate([6, 9, 12, 1]) == 15
    assert candidate([0, 0]) == 0
    assert candidate([1, 2]) == 3
    assert candidate([5, 5]) == 0
    assert candidate([8, 1, 2]) == 10
    assert candidate(list(range(1000))) == 1023
''')

add("bit_manipulation", "hard", r'''
from typing import List


def xor_subset_count(values: List[int], target: int) -> int:
    """Count the subsets of ``values`` (chosen by position, the empty subset included) whose
    XOR equals ``target``. Values are below 1024 and there may be up to 60 of them, so
    listing all subsets is far too slow.
    >>> xor_subset_count([1, 2, 3], 0)
    2
    """
    ways = {0: 1}  # xor value -> number of subsets of the values seen so far
    for v in values:
        new = dict(ways)
        for x, count in ways.items():
            new[x ^ v] = new.get(x ^ v, 0) + count
        ways = new
    return ways.get(target, 0)
''', r'''
def check(candidate):
    assert candidate([1, 2, 3], 0) == 2
    assert candidate([], 0) == 1
    assert candidate([], 5) == 0
    assert candidate([7], 7) == 1
    assert candidate([7], 0) == 1
    assert candidate([1, 1], 0) == 2
    assert candidate([1, 2, 3], 3) == 2
    assert candidate([3, 3, 3], 3) == 4
    assert candidate([5] * 60, 0) == 2 ** 59
    assert candidate([1, 2, 4, 8], 15) == 1
''')

add("bit_manipulation", "hard", r'''
def total_set_bits(n: int) -> int:
    """Return the total number of 1 bits in the binary forms of all integers from 0 to
    ``n`` inclusive (n >= 0). It must be fast for n as large as 10**18.
    >>> total_set_bits(5)
    7
    """
    total = 0
    bit = 0
    while (1 << bit) <= n:
        # Bit `bit` cycles with period 2**(bit+1): 2**bit zeros, then 2**bit ones.
        period = 1 << (bit + 1)
        full, rest = divmod(n + 1, period)
        total += full * (1 << bit) + max(0, rest - (1 << bit))
        bit += 1
    return total
''', r'''
def check(candidate):
    assert candidate(5) == 7
    assert candidate(0) == 0
    assert candidate(1) == 1
    assert candidate(2) == 2
    assert candidate(3) == 4
    assert candidate(8) == 13
    assert candidate(2 ** 20 - 1) == 20 * 2 ** 19
    running = 0
    for n in range(300):
        running += bin(n).count('1')
        assert candidate(n) == running
    assert candidate(10 ** 18) == 29761222783429247000
''')

# ---------------------------------------------------------------------------------------------
# dates_times
# ---------------------------------------------------------------------------------------------

add("dates_times", "easy", r'''
def day_of_year(date: str) -> int:
    """Return the day number within its year (1 to 366) of the ISO date 'YYYY-MM-DD'.
    >>> day_of_year('2024-03-01')
    61
    """
    import datetime
    return datetime.date.fromisoformat(date).timetuple().tm_yday
''', r'''
def check(candidate):
    assert candidate('2024-03-01') == 61
    assert candidate('2023-01-01') == 1
    assert candidate('2023-12-31') == 365
    assert candidate('2024-12-31') == 366
    assert candidate('2023-03-01') == 60
    assert candidate('1900-03-01') == 60
    assert candidate('2000-03-01') == 61
''')

add("dates_times", "easy", r'''
def format_duration(seconds: int) -> str:
    """Format a non-negative number of seconds as days, hours, minutes and seconds such as
    '1d 2h 5s', leaving out zero units; 0 seconds is '0s'.
    >>> format_duration(3725)
    '1h 2m 5s'
    """
    parts = []
    for unit, size in (('d', 86400), ('h', 3600), ('m', 60), ('s', 1)):
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f'{amount}{unit}')
    return ' '.join(parts) if parts else '0s'
''', r'''
def check(candidate):
    assert candidate(3725) == '1h 2m 5s'
    assert candidate(0) == '0s'
    assert candidate(59) == '59s'
    assert candidate(60) == '1m'
    assert candidate(86400) == '1d'
    assert candidate(90061) == '1d 1h 1m 1s'
    assert candidate(7200) == '2h'
''')

add("dates_times", "easy", r'''
def overlap_minutes(a: str, b: str) -> int:
    """Each argument is a same-day time span 'HH:MM-HH:MM' whose start is before its end.
    Return for how many minutes the two spans overlap.
    >>> overlap_minutes('09:00-10:30', '10:00-11:00')
    30
    """
    def span(text):
        return [int(t.split(':')[0]) * 60 + int(t.split(':')[1]) for t in text.split('-')]

    (s1, e1), (s2, e2) = span(a), span(b)
    return max(0, min(e1, e2) - max(s1, s2))
''', r'''
def check(candidate):
    assert candidate('09:00-10:30', '10:00-11:00') == 30
    assert candidate('08:00-09:00', '09:00-10:00') == 0
    assert candidate('08:00-12:00', '09:15-09:45') == 30
    assert candidate('00:00-23:59', '00:00-23:59') == 1439
    assert candidate('13:00-14:00', '08:00-09:00') == 0
    assert candidate('07:50-08:10', '08:00-09:00') == 10
''')

add("dates_times", "easy", r'''
def age_on(birth: str, on: str) -> int:
    """Return the age in whole years, on the ISO date ``on``, of someone born on the ISO
    date ``birth`` (on >= birth). Someone born on 29 February gains a year on 1 March in
    non-leap years.
    >>> age_on('2000-05-20', '2024-05-19')
    23
    >>> age_on('2004-02-29', '2005-03-01')
    1
    """
    import datetime
    b, d = datetime.date.fromisoformat(birth), datetime.date.fromisoformat(on)
    years = d.year - b.year
    if (d.month, d.day) < (b.month, b.day):
        years -= 1
    return years
''', r'''
def check(candidate):
    assert candidate('2000-05-20', '2024-05-19') == 23
    assert candidate('2004-02-29', '2005-03-01') == 1
    assert candidate('2000-01-01', '2000-01-01') == 0
    assert candidate('2000-05-20', '2024-05-20') == 24
    assert candidate('2004-02-29', '2005-02-28') == 0
    assert candidate('2004-02-29', '2008-02-29') == 4
    assert candidate('2004-02-29', '2008-02-28') == 3
    assert candidate('1999-12-31', '2000-01-01') == 0
''')

add("dates_times", "medium", r'''
def count_weekday(start: str, end: str, weekday: int) -> int:
    """Count the dates from ``start`` to ``end`` inclusive (ISO 'YYYY-MM-DD') that fall on
    ``weekday`` (0 = Monday ... 6 = Sunday) without looping over every day. Return 0 if
    ``end`` is before ``start``.
    >>> count_weekday('2024-01-01', '2024-01-31', 0)
    5
    """
    import datetime
    d1 = datetime.date.fromisoformat(start).toordinal()
    d2 = datetime.date.fromisoformat(end).toordinal()
    if d2 < d1:
        return 0
    first = d1 + (weekday - datetime.date.fromordinal(d1).weekday()) % 7
    if first > d2:
        return 0
    return (d2 - first) // 7 + 1
''', r'''
def check(candidate):
    assert candidate('2024-01-01', '2024-01-31', 0) == 5
    assert candidate('2024-01-01', '2024-01-01', 0) == 1
    assert candidate('2024-01-01', '2024-01-01', 1) == 0
    assert candidate('2024-01-02', '2024-01-01', 0) == 0
    assert candidate('2023-01-01', '2023-12-31', 6) == 53
    assert candidate('2024-02-01', '2024-02-29', 3) == 5
    assert candidate('2024-02-01', '2024-02-29', 4) == 4
    assert candidate('0001-01-01', '9999-12-31', 2) == 521723
''')

add("dates_times", "medium", r'''
def add_business_days(start: str, days: int) -> str:
    """Move ``days`` business days (Monday to Friday; there are no holidays) forward from
    the ISO date ``start``, or backward when ``days`` is negative, and return the resulting
    ISO date. With days == 0 the start date is returned unchanged, even on a weekend.
    >>> add_business_days('2024-05-17', 1)
    '2024-05-20'
    """
    import datetime
    current = datetime.date.fromisoformat(start)
    step = datetime.timedelta(days=1 if days > 0 else -1)
    remaining = abs(days)
    while remaining:
        current += step
        if current.weekday() < 5:
            remaining -= 1
    return current.isoformat()
''', r'''
def check(candidate):
    assert candidate('2024-05-17', 1) == '2024-05-20'
    assert candidate('2024-05-17', 0) == '2024-05-17'
    assert candidate('2024-05-18', 0) == '2024-05-18'
    assert candidate('2024-05-18', 1) == '2024-05-20'
    assert candidate('2024-05-20', -1) == '2024-05-17'
    assert candidate('2024-05-15', 5) == '2024-05-22'
    assert candidate('2024-12-30', 3) == '2025-01-02'
    assert candidate('2024-03-01', 10) == '2024-03-15'
''')

add("dates_times", "medium", r'''
def nth_weekday(year: int, month: int, weekday: int, n: int) -> str:
    """Return the ISO date of the ``n``-th ``weekday`` (0 = Monday ... 6 = Sunday) of the
    given month, where n = -1 means the last one. Return '' if there is no such day.
    >>> nth_weekday(2024, 11, 3, 4)
    '2024-11-28'
    """
    import calendar
    import datetime
    days_in_month = calendar.monthrange(year, month)[1]
    matches = [d for d in range(1, days_in_month + 1)
               if datetime.date(year, month, d).weekday() == weekday]
    if n == -1:
        return datetime.date(year, month, matches[-1]).isoformat()
    if 1 <= n <= len(matches):
        return datetime.date(year, month, matches[n - 1]).isoformat()
    return ''
''', r'''
def check(candidate):
    assert candidate(2024, 11, 3, 4) == '2024-11-28'
    assert candidate(2024, 5, 0, -1) == '2024-05-27'
    assert candidate(2024, 2, 3, 5) == '2024-02-29'
    assert candidate(2023, 2, 3, 5) == ''
    assert candidate(2024, 1, 0, 1) == '2024-01-01'
    assert candidate(2024, 9, 0, 1) == '2024-09-02'
    assert candidate(2024, 1, 6, 0) == ''
''')

add("dates_times", "hard", r'''
from typing import List


def free_slots(busy: List[str], day_start: str, day_end: str, min_length: int) -> List[str]:
    """Given busy spans 'HH:MM-HH:MM' (unsorted, possibly overlapping, possibly reaching
    outside the day), return the free spans inside [day_start, day_end] that last at least
    ``min_length`` minutes (min_length >= 1), as 'HH:MM-HH:MM' strings in time order.
    >>> free_slots(['10:00-11:00', '09:30-10:15', '13:00-14:00'], '09:00', '17:00', 30)
    ['09:00-09:30', '11:00-13:00', '14:00-17:00']
    """
    def to_minutes(t):
        h, m = t.split(':')
        return int(h) * 60 + int(m)

    def fmt(minutes):
        return f'{minutes // 60:02d}:{minutes % 60:02d}'

    start, end = to_minutes(day_start), to_minutes(day_end)
    spans = sorted(tuple(to_minutes(t) for t in span.split('-')) for span in busy)
    result = []
    cursor = start  # everything before cursor is busy or already reported
    for s, e in spans:
        if cursor >= end:
            break
        if s > cursor:
            gap_end = min(s, end)
            if gap_end - cursor >= min_length:
                result.append(fmt(cursor) + '-' + fmt(gap_end))
        cursor = max(cursor, e)
    if end - cursor >= min_length:
        result.append(fmt(cursor) + '-' + fmt(end))
    return result
''', r'''
def check(candidate):
    assert candidate(['10:00-11:00', '09:30-10:15', '13:00-14:00'], '09:00', '17:00', 30) == ['09:00-09:30', '11:00-13:00', '14:00-17:00']
    assert candidate([], '09:00', '17:00', 1) == ['09:00-17:00']
    assert candidate(['00:00-23:59'], '09:00', '17:00', 1) == []
    assert candidate(['09:00-12:00', '11:00-13:00'], '09:00', '13:30', 30) == ['13:00-13:30']
    assert candidate(['09:00-12:00', '11:00-13:00'], '09:00', '13:30', 31) == []
    assert candidate(['12:00-12:10', '12:20-12:30'], '12:00', '12:40', 10) == ['12:10-12:20', '12:30-12:40']
    assert candidate(['16:00-18:00', '08:00-09:30'], '09:00', '17:00', 60) == ['09:30-16:00']
    assert candidate(['18:00-19:00'], '09:00', '17:00', 5) == ['09:00-17:00']
''')

# ---------------------------------------------------------------------------------------------
# geometry
# ---------------------------------------------------------------------------------------------

add("geometry", "easy", r'''
from typing import List, Tuple


def polygon_area(points: List[Tuple[float, float]]) -> float:
    """Return the area of a simple polygon whose vertices are listed in order (clockwise or
    counter-clockwise). Fewer than three points give 0.0.
    >>> polygon_area([(0, 0), (4, 0), (4, 3)])
    6.0
    """
    n = len(points)
    if n < 3:
        return 0.0
    twice = 0.0  # shoelace formula
    for i in range(n):
        x1, y1 = points[i]
        x2, y2 = points[(i + 1) % n]
        twice += x1 * y2 - x2 * y1
    return abs(twice) / 2
''', r'''
def check(candidate):
    assert abs(candidate([(0, 0), (4, 0), (4, 3)]) - 6.0) < 1e-9
    assert abs(candidate([]) - 0.0) < 1e-9
    assert abs(candidate([(0, 0), (1, 1)]) - 0.0) < 1e-9
    assert abs(candidate([(0, 0), (2, 0), (2, 2), (0, 2)]) - 4.0) < 1e-9
    assert abs(candidate([(0, 2), (2, 2), (2, 0), (0, 0)]) - 4.0) < 1e-9
    assert abs(candidate([(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)]) - 3.0) < 1e-9
    assert abs(candidate([(0.5, 0), (1.5, 0), (1, 1)]) - 0.5) < 1e-9
''')

add("geometry", "easy", r'''
from typing import Tuple


def rect_overlap_area(a: Tuple[int, int, int, int], b: Tuple[int, int, int, int]) -> int:
    """Axis-aligned rectangles are given as (x1, y1, x2, y2) with x1 < x2 and y1 < y2.
    Return the area of their intersection (0 if they only touch or are apart).
    >>> rect_overlap_area((0, 0, 4, 3), (2, 1, 6, 5))
    4
    """
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    return max(width, 0) * max(height, 0)
''', r'''
def check(candidate):
    assert candidate((0, 0, 4, 3), (2, 1, 6, 5)) == 4
    assert candidate((0, 0, 1, 1), (1, 0, 2, 1)) == 0
    assert candidate((0, 0, 10, 10), (2, 2, 3, 3)) == 1
    assert candidate((1, 1, 4, 5), (1, 1, 4, 5)) == 12
    assert candidate((0, 0, 1, 1), (5, 5, 6, 6)) == 0
    assert candidate((-3, -3, 0, 0), (-1, -5, 2, -2)) == 1
''')

add("geometry", "easy", r'''
from typing import List, Tuple


def closest_manhattan(points: List[Tuple[int, int]], origin: Tuple[int, int]) -> int:
    """Return the index of the point nearest to ``origin`` in Manhattan distance
    (|dx| + |dy|), the lowest index on ties, or -1 if there are no points.
    >>> closest_manhattan([(3, 3), (1, -2), (0, 4)], (0, 0))
    1
    """
    best, best_distance = -1, None
    for i, (x, y) in enumerate(points):
        distance = abs(x - origin[0]) + abs(y - origin[1])
        if best_distance is None or distance < best_distance:
            best, best_distance = i, distance
    return best
''', r'''
def check(candidate):
    assert candidate([(3, 3), (1, -2), (0, 4)], (0, 0)) == 1
    assert candidate([], (0, 0)) == -1
    assert candidate([(5, 5)], (0, 0)) == 0
    assert candidate([(1, 0), (0, 1)], (0, 0)) == 0
    assert candidate([(2, 2), (3, 3)], (3, 3)) == 1
    assert candidate([(10, 0), (-4, -4)], (1, 1)) == 0
''')

add("geometry", "easy", r'''
def lattice_points_in_circle(r: int) -> int:
    """Count the integer points (x, y) with x*x + y*y <= r*r for a radius r >= 0.
    >>> lattice_points_in_circle(1)
    5
    >>> lattice_points_in_circle(2)
    13
    """
    from math import isqrt
    return sum(2 * isqrt(r * r - x * x) + 1 for x in range(-r, r + 1))
''', r'''
def check(candidate):
    assert candidate(1) == 5
    assert candidate(2) == 13
    assert candidate(0) == 1
    assert candidate(3) == 29
    assert candidate(5) == 81
    assert candidate(10) == 317
''')

add("geometry", "medium", r'''
from typing import Tuple


def segments_intersect(p1: Tuple[int, int], p2: Tuple[int, int],
                       p3: Tuple[int, int], p4: Tuple[int, int]) -> bool:
    """Return True if the closed segment p1-p2 and the closed segment p3-p4 share at least
    one point; touching endpoints and collinear overlaps count. Coordinates are integers.
    >>> segments_intersect((0, 0), (4, 4), (0, 4), (4, 0))
    True
    >>> segments_intersect((0, 0), (1, 1), (2, 2), (3, 3))
    False
    """
    def orient(a, b, c):
        v = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
        return (v > 0) - (v < 0)

    def within_box(a, b, c):  # c collinear with a-b: is it between them?
        return (min(a[0], b[0]) <= c[0] <= max(a[0], b[0])
                and min(a[1], b[1]) <= c[1] <= max(a[1], b[1]))

    o1, o2 = orient(p1, p2, p3), orient(p1, p2, p4)
    o3, o4 = orient(p3, p4, p1), orient(p3, p4, p2)
    if o1 != o2 and o3 != o4:
        return True
    return ((o1 == 0 and within_box(p1, p2, p3)) or (o2 == 0 and within_box(p1, p2, p4))
            or (o3 == 0 and within_box(p3, p4, p1)) or (o4 == 0 and within_box(p3, p4, p2)))
''', r'''
def check(candidate):
    assert candidate((0, 0), (4, 4), (0, 4), (4, 0)) is True
    assert candidate((0, 0), (1, 1), (2, 2), (3, 3)) is False
    assert candidate((0, 0), (1, 1), (1, 1), (2, 0)) is True
    assert candidate((0, 0), (3, 0), (2, 0), (5, 0)) is True
    assert candidate((0, 0), (2, 0), (0, 1), (2, 1)) is False
    assert candidate((0, 0), (4, 0), (2, 0), (2, 5)) is True
    assert candidate((0, 0), (4, 0), (5, -1), (5, 1)) is False
    assert candidate((1, 1), (1, 1), (0, 0), (2, 2)) is True
''')

add("geometry", "medium", r'''
from typing import List, Tuple


def point_in_polygon(point: Tuple[float, float], polygon: List[Tuple[float, float]]) -> str:
    """Classify ``point`` against a simple polygon (vertices in order) as 'inside',
    'outside' or 'boundary'.
    >>> point_in_polygon((2, 2), [(0, 0), (4, 0), (4, 4), (0, 4)])
    'inside'
    >>> point_in_polygon((4, 1), [(0, 0), (4, 0), (4, 4), (0, 4)])
    'boundary'
    """
    x, y = point
    n = len(polygon)
    inside = False
    for i in range(n):
        x1, y1 = polygon[i]
        x2, y2 = polygon[(i + 1) % n]
        cross = (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1)
        if cross == 0 and min(x1, x2) <= x <= max(x1, x2) and min(y1, y2) <= y <= max(y1, y2):
            return 'boundary'
        # Ray casting to the right: count edges crossing the horizontal line through y.
        if (y1 > y) != (y2 > y):
            x_cross = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if x < x_cross:
                inside = not inside
    return 'inside' if inside else 'outside'
''', r'''
def check(candidate):
    square = [(0, 0), (4, 0), (4, 4), (0, 4)]
    notch = [(0, 0), (6, 0), (6, 6), (3, 2), (0, 6)]
    assert candidate((2, 2), square) == 'inside'
    assert candidate((4, 1), square) == 'boundary'
    assert candidate((5, 5), square) == 'outside'
    assert candidate((0, 0), square) == 'boundary'
    assert candidate((3, 4), notch) == 'outside'
    assert candidate((3, 1), notch) == 'inside'
    assert candidate((1, 4), notch) == 'inside'
    assert candidate((4.5, 4), notch) == 'boundary'
''')

add("geometry", "hard", r'''
from typing import List, Tuple


def max_collinear(points: List[Tuple[int, int]]) -> int:
    """Return the largest number of the given integer points that lie on one straight line.
    Repeated points count separately; two or fewer points are always collinear.
    >>> max_collinear([(0, 0), (1, 1), (2, 2), (1, 0), (3, 3)])
    4
    """
    from math import gcd
    n = len(points)
    if n <= 2:
        return n
    best = 0
    for i in range(n):
        directions = {}  # reduced direction -> points on that line through points[i]
        same = 1
        local = 0
        for j in range(i + 1, n):
            dx = points[j][0] - points[i][0]
            dy = points[j][1] - points[i][1]
            if dx == 0 and dy == 0:
                same += 1
                continue
            g = gcd(dx, dy)
            dx, dy = dx // g, dy // g
            if dx < 0 or (dx == 0 and dy < 0):  # one canonical sign per direction
                dx, dy = -dx, -dy
            directions[(dx, dy)] = directions.get((dx, dy), 0) + 1
            local = max(local, directions[(dx, dy)])
        best = max(best, local + same)
    return best
''', r'''
def check(candidate):
    assert candidate([(0, 0), (1, 1), (2, 2), (1, 0), (3, 3)]) == 4
    assert candidate([]) == 0
    assert candidate([(1, 1)]) == 1
    assert candidate([(0, 0), (5, 7)]) == 2
    assert candidate([(0, 0), (0, 0), (1, 1)]) == 3
    assert candidate([(0, 0), (1, 2), (2, 1), (5, 5)]) == 2
    assert candidate([(1, 1), (2, 2), (3, 3), (1, 2), (1, 3), (1, 4), (1, 5)]) == 5
    assert candidate([(0, 0), (0, 0), (0, 0)]) == 3
    assert candidate([(0, 0), (2, 1), (4, 2), (-2, -1), (1, 1)]) == 4
''')

add("geometry", "hard", r'''
from typing import List, Tuple


def convex_hull(points: List[Tuple[int, int]]) -> List[Tuple[int, int]]:
    """Return the corners of the convex hull of the integer ``points`` in counter-clockwise
    order, starting from the smallest point in (x, y) order. Points on the hull's edges
    are not corners and duplicates are ignored. With at most two distinct points, return
    them sorted; if all points are collinear, return the two extreme points.
    >>> convex_hull([(0, 0), (2, 0), (2, 2), (0, 2), (1, 1), (1, 0)])
    [(0, 0), (2, 0), (2, 2), (0, 2)]
    """
    pts = sorted(set(points))
    if len(pts) <= 2:
        return pts

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    # Andrew's monotone chain: lower hull left to right, upper hull right to left.
    lower = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]
''', r'''
def check(candidate):
    assert candidate([(0, 0), (2, 0), (2, 2), (0, 2), (1, 1), (1, 0)]) == [(0, 0), (2, 0), (2, 2), (0, 2)]
    assert candidate([]) == []
    assert candidate([(1, 1)]) == [(1, 1)]
    assert candidate([(1, 1), (1, 1)]) == [(1, 1)]
    assert candidate([(0, 0), (1, 1), (2, 2)]) == [(0, 0), (2, 2)]
    assert candidate([(0, 0), (4, 0), (2, 3), (2, 1), (1, 0)]) == [(0, 0), (4, 0), (2, 3)]
    assert candidate([(3, 1), (0, 0), (1, 5), (-2, 2), (0, 3)]) == [(-2, 2), (0, 0), (3, 1), (1, 5)]
''')

add("geometry", "hard", r'''
from typing import List, Tuple


def union_area(rects: List[Tuple[int, int, int, int]]) -> int:
    """Return the total area covered by axis-aligned rectangles (x1, y1, x2, y2) with
    x1 <= x2 and y1 <= y2, counting overlapping parts only once.
    >>> union_area([(0, 0, 2, 2), (1, 1, 3, 3)])
    7
    """
    # Sweep over vertical strips between consecutive x edges; in each strip the covered
    # height is the length of the union of the y-intervals of rectangles spanning it.
    xs = sorted({x for r in rects for x in (r[0], r[2])})
    total = 0
    for left, right in zip(xs, xs[1:]):
        spans = sorted((r[1], r[3]) for r in rects if r[0] <= left and right <= r[2] and r[1] < r[3])
        covered = 0
        current = None
        for y1, y2 in spans:
            if current is None or y1 > current[1]:
                if current is not None:
                    covered += current[1] - current[0]
                current = [y1, y2]
            else:
                current[1] = max(current[1], y2)
        if current is not None:
            covered += current[1] - current[0]
        total += covered * (right - left)
    return total
''', r'''
def check(candidate):
    assert candidate([(0, 0, 2, 2), (1, 1, 3, 3)]) == 7
    assert candidate([]) == 0
    assert candidate([(0, 0, 1, 1)]) == 1
    assert candidate([(0, 0, 0, 5)]) == 0
    assert candidate([(0, 0, 2, 2), (0, 0, 2, 2)]) == 4
    assert candidate([(0, 0, 1, 1), (2, 2, 3, 3)]) == 2
    assert candidate([(0, 0, 4, 1), (0, 0, 1, 4)]) == 7
    assert candidate([(0, 0, 10, 10), (2, 2, 3, 3), (5, -5, 6, 20)]) == 115
    assert candidate([(-2, -2, 2, 2), (-1, -3, 1, 3)]) == 20
''')

# ---------------------------------------------------------------------------------------------
# dynamic_programming
# ---------------------------------------------------------------------------------------------

add("dynamic_programming", "easy", r'''
from typing import List


def grid_paths(grid: List[str]) -> int:
    """Count the paths from the top-left to the bottom-right cell of ``grid`` that move only
    right or down and never enter a '#' cell ('.' cells are open). Return 0 if the start or
    the end is blocked or the grid is empty.
    >>> grid_paths(['...', '.#.', '...'])
    2
    """
    if not grid or not grid[0]:
        return 0
    ways = [0] * len(grid[0])  # ways[c] for the current row
    for r, row in enumerate(grid):
        for c, cell in enumerate(row):
            if cell == '#':
                ways[c] = 0
            elif r == 0 and c == 0:
                ways[c] = 1
            elif c > 0:
                ways[c] += ways[c - 1]
    return ways[-1]
''', r'''
def check(candidate):
    assert candidate(['...', '.#.', '...']) == 2
    assert candidate([]) == 0
    assert candidate(['.']) == 1
    assert candidate(['#']) == 0
    assert candidate(['..', '..']) == 2
    assert candidate(['.#', '..']) == 1
    assert candidate(['..', '.#']) == 0
    assert candidate(['....']) == 1
    assert candidate(['....', '....', '....']) == 10
''')

add("dynamic_programming", "easy", r'''
def strip_tilings(n: int) -> int:
    """Count the ways to tile a 1 x n strip (n >= 0) with tiles of length 1, red tiles of
    length 2, blue tiles of length 2 and tiles of length 3; the order of tiles matters.
    >>> strip_tilings(2)
    3
    >>> strip_tilings(3)
    6
    """
    ways = [1, 1, 3]
    for i in range(3, n + 1):
        ways.append(ways[i - 1] + 2 * ways[i - 2] + ways[i - 3])
    return ways[n]
''', r'''
def check(candidate):
    assert candidate(2) == 3
    assert candidate(3) == 6
    assert candidate(0) == 1
    assert candidate(1) == 1
    assert candidate(4) == 13
    assert candidate(6) == 60
    assert candidate(10) == 1278
''')

add("dynamic_programming", "medium", r'''
from typing import List


def min_cost_climb(costs: List[int], max_step: int) -> int:
    """You start just below step 0 of a staircase (position -1); standing on step i costs
    costs[i]. Each move climbs between 1 and ``max_step`` steps. Return the minimum total
    cost to get past the last step, i.e. to reach position len(costs), which is free.
    >>> min_cost_climb([5, 1, 7, 2, 9], 2)
    3
    """
    n = len(costs)
    # dist[p + 1] = cheapest way to stand at position p (p = -1 .. n).
    dist = [0] + [0] * (n + 1)
    for pos in range(1, n + 2):
        reach = min(dist[max(0, pos - max_step):pos])
        dist[pos] = reach + (costs[pos - 1] if pos <= n else 0)
    return dist[n + 1]
''', r'''
def check(candidate):
    assert candidate([5, 1, 7, 2, 9], 2) == 3
    assert candidate([], 3) == 0
    assert candidate([4], 1) == 4
    assert candidate([4], 2) == 0
    assert candidate([1, 1, 1], 1) == 3
    assert candidate([10, 1, 10, 1, 10], 2) == 2
    assert candidate([3, 8, 8, 8, 3], 3) == 8
''')

add("dynamic_programming", "medium", r'''
def edit_cost(a: str, b: str, insert_cost: int, delete_cost: int, replace_cost: int) -> int:
    """Return the cheapest way to turn ``a`` into ``b`` with character insertions, deletions
    and replacements of the given costs (keeping a character is free).
    >>> edit_cost('lamp', 'clamps', 1, 1, 1)
    2
    >>> edit_cost('abc', 'adc', 1, 1, 5)
    2
    """
    prev = [j * insert_cost for j in range(len(b) + 1)]  # row for the empty prefix of a
    for i in range(1, len(a) + 1):
        cur = [i * delete_cost] + [0] * len(b)
        for j in range(1, len(b) + 1):
            keep_or_replace = prev[j - 1] + (0 if a[i - 1] == b[j - 1] else replace_cost)
            cur[j] = min(prev[j] + delete_cost, cur[j - 1] + insert_cost, keep_or_replace)
        prev = cur
    return prev[-1]
''', r'''
def check(candidate):
    assert candidate('lamp', 'clamps', 1, 1, 1) == 2
    assert candidate('abc', 'adc', 1, 1, 5) == 2
    assert candidate('', '', 1, 1, 1) == 0
    assert candidate('', 'abc', 2, 1, 1) == 6
    assert candidate('abc', '', 1, 3, 1) == 9
    assert candidate('abc', 'abc', 5, 5, 5) == 0
    assert candidate('abc', 'xyz', 1, 1, 1) == 3
    assert candidate('abc', 'xyz', 1, 1, 3) == 6
''')

add("dynamic_programming", "medium", r'''
def shortest_supersequence_length(a: str, b: str) -> int:
    """Return the length of the shortest string that contains both ``a`` and ``b`` as
    subsequences (their characters in order, not necessarily adjacent).
    >>> shortest_supersequence_length('abac', 'cab')
    5
    """
    # |a| + |b| - longest common subsequence.
    prev = [0] * (len(b) + 1)
    for ch in a:
        cur = [0]
        for j, other in enumerate(b):
            cur.append(prev[j] + 1 if ch == other else max(prev[j + 1], cur[j]))
        prev = cur
    return len(a) + len(b) - prev[-1]
''', r'''
def check(candidate):
    assert candidate('abac', 'cab') == 5
    assert candidate('', '') == 0
    assert candidate('abc', '') == 3
    assert candidate('abc', 'abc') == 3
    assert candidate('abc', 'def') == 6
    assert candidate('geek', 'eke') == 5
    assert candidate('aaaa', 'aa') == 4
''')

add("dynamic_programming", "medium", r'''
from typing import List


def ways_to_pay(coins: List[int], amount: int) -> int:
    """Each coin in ``coins`` (positive values, possibly repeated) can be used at most once.
    Count the collections of coins, chosen by position, whose values add up to ``amount``
    (amount >= 0; the empty collection pays 0).
    >>> ways_to_pay([1, 2, 2, 3], 5)
    3
    """
    ways = [1] + [0] * amount
    for coin in coins:
        for total in range(amount, coin - 1, -1):  # downward so each coin is used once
            ways[total] += ways[total - coin]
    return ways[amount]
''', r'''
def check(candidate):
    assert candidate([1, 2, 2, 3], 5) == 3
    assert candidate([], 0) == 1
    assert candidate([], 3) == 0
    assert candidate([5], 5) == 1
    assert candidate([5], 3) == 0
    assert candidate([1, 1, 1], 2) == 3
    assert candidate([2, 4, 6, 8], 10) == 2
    assert candidate([1] * 20, 10) == 184756
''')

add("dynamic_programming", "medium", r'''
from typing import List


def segmentations(text: str, words: List[str]) -> int:
    """Count the ways to split ``text`` into consecutive pieces that are all in ``words``
    (words may be reused). The empty text has exactly one segmentation.
    >>> segmentations('pineapple', ['pine', 'apple', 'pineapple', 'app', 'le'])
    3
    """
    vocabulary = set(words)
    ways = [1] + [0] * len(text)  # ways[i] = segmentations of text[:i]
    for end in range(1, len(text) + 1):
        for start in range(end):
            if ways[start] and text[start:end] in vocabulary:
                ways[end] += ways[start]
    return ways[-1]
''', r'''
def check(candidate):
    assert candidate('pineapple', ['pine', 'apple', 'pineapple', 'app', 'le']) == 3
    assert candidate('', []) == 1
    assert candidate('a', []) == 0
    assert candidate('aaa', ['a', 'aa']) == 3
    assert candidate('abc', ['ab', 'bc']) == 0
    assert candidate('a' * 10, ['a', 'aa']) == 89
''')

add("dynamic_programming", "medium", r'''
from typing import List


def min_partition_difference(values: List[int]) -> int:
    """Split the non-negative integers ``values`` into two groups (either may be empty) and
    return the smallest possible absolute difference between the two group sums.
    >>> min_partition_difference([3, 1, 4, 2, 2])
    0
    """
    total = sum(values)
    reachable = 1  # bit s is set when some subset sums to s
    for v in values:
        reachable |= reachable << v
    for s in range(total // 2, -1, -1):
        if reachable >> s & 1:
            return total - 2 * s
''', r'''
def check(candidate):
    assert candidate([3, 1, 4, 2, 2]) == 0
    assert candidate([]) == 0
    assert candidate([7]) == 7
    assert candidate([1, 1]) == 0
    assert candidate([1, 2]) == 1
    assert candidate([10, 20, 15, 5, 25]) == 5
    assert candidate([1, 6, 11, 5]) == 1
    assert candidate([2, 2, 2, 2, 9]) == 1
''')

add("dynamic_programming", "hard", r'''
from typing import List, Tuple


def best_knapsack(items: List[Tuple[int, int]], capacity: int) -> Tuple[int, int]:
    """Items are (weight, value) pairs with positive weights, each usable at most once.
    Return (best total value, smallest total weight achieving that value) without exceeding
    ``capacity``.
    >>> best_knapsack([(3, 4), (4, 5), (2, 3)], 6)
    (8, 6)
    """
    best = [None] * (capacity + 1)  # best[w] = max value with total weight exactly w
    best[0] = 0
    for weight, value in items:
        for w in range(capacity, weight - 1, -1):
            if best[w - weight] is not None:
                candidate = best[w - weight] + value
                if best[w] is None or candidate > best[w]:
                    best[w] = candidate
    top = max(v for v in best if v is not None)
    return top, next(w for w, v in enumerate(best) if v == top)
''', r'''
def check(candidate):
    assert candidate([(3, 4), (4, 5), (2, 3)], 6) == (8, 6)
    assert candidate([], 10) == (0, 0)
    assert candidate([(5, 10)], 4) == (0, 0)
    assert candidate([(5, 10)], 5) == (10, 5)
    assert candidate([(5, 10), (4, 10)], 5) == (10, 4)
    assert candidate([(1, 1), (1, 1), (1, 1)], 2) == (2, 2)
    assert candidate([(2, 3), (3, 4), (4, 5), (5, 6)], 5) == (7, 5)
    assert candidate([(4, 6), (3, 3), (3, 3), (2, 1)], 8) == (9, 7)
''')

add("dynamic_programming", "hard", r'''
from typing import Dict


def fewest_coins_limited(coins: Dict[int, int], amount: int) -> int:
    """``coins`` maps each coin value to how many such coins are available. Return the
    fewest coins that add up exactly to ``amount`` (amount >= 0), or -1 if impossible.
    >>> fewest_coins_limited({1: 5, 5: 1, 10: 2}, 27)
    5
    >>> fewest_coins_limited({5: 1, 10: 2}, 30)
    -1
    """
    INF = float('inf')
    best = [0] + [INF] * amount  # best[t] = fewest coins for total t so far
    for value, count in coins.items():
        new = best[:]
        for total in range(amount + 1):
            for used in range(1, count + 1):
                prev = total - used * value
                if prev < 0:
                    break
                if best[prev] + used < new[total]:
                    new[total] = best[prev] + used
        best = new
    return best[amount] if best[amount] != INF else -1
''', r'''
def check(candidate):
    assert candidate({1: 5, 5: 1, 10: 2}, 27) == 5
    assert candidate({5: 1, 10: 2}, 30) == -1
    assert candidate({}, 0) == 0
    assert candidate({}, 1) == -1
    assert candidate({3: 2}, 6) == 2
    assert candidate({3: 2}, 9) == -1
    assert candidate({1: 100, 6: 1, 4: 3}, 12) == 3
    assert candidate({7: 3, 2: 10}, 20) == 5
    assert candidate({25: 1, 10: 3, 1: 4}, 34) == 7
''')

add("dynamic_programming", "hard", r'''
from typing import List


def longest_increasing_path(grid: List[List[int]]) -> int:
    """Return the number of cells on the longest path in ``grid`` that moves up, down, left
    or right and visits strictly increasing values.
    >>> longest_increasing_path([[1, 2, 9], [5, 3, 8], [4, 6, 7]])
    7
    """
    if not grid or not grid[0]:
        return 0
    rows, cols = len(grid), len(grid[0])
    # Process cells by increasing value: every smaller neighbour is final by then.
    cells = sorted((grid[r][c], r, c) for r in range(rows) for c in range(cols))
    length = [[1] * cols for _ in range(rows)]
    best = 1
    for value, r, c in cells:
        for nr, nc in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
            if 0 <= nr < rows and 0 <= nc < cols and grid[nr][nc] > value:
                length[nr][nc] = max(length[nr][nc], length[r][c] + 1)
        best = max(best, length[r][c])
    return best
''', r'''
def check(candidate):
    assert candidate([[1, 2, 9], [5, 3, 8], [4, 6, 7]]) == 7
    assert candidate([]) == 0
    assert candidate([[]]) == 0
    assert candidate([[5]]) == 1
    assert candidate([[1, 1], [1, 1]]) == 1
    assert candidate([[1, 2], [4, 3]]) == 4
    assert candidate([[1, 2, 3, 4, 5]]) == 5
    assert candidate([[7, 6], [8, 5]]) == 4
''')

add("dynamic_programming", "hard", r'''
def is_interleaving(a: str, b: str, c: str) -> bool:
    """Return True if ``c`` can be formed by interleaving all characters of ``a`` and ``b``
    while keeping the order of the characters within each of them.
    >>> is_interleaving('ab', 'xy', 'axby')
    True
    >>> is_interleaving('ab', 'xy', 'abyx')
    False
    """
    if len(a) + len(b) != len(c):
        return False
    # ok[j] (for the current i) = c[:i+j] interleaves a[:i] and b[:j].
    ok = [False] * (len(b) + 1)
    for i in range(len(a) + 1):
        for j in range(len(b) + 1):
            if i == 0 and j == 0:
                ok[j] = True
            else:
                from_a = i > 0 and ok[j] and a[i - 1] == c[i + j - 1]
                from_b = j > 0 and ok[j - 1] and b[j - 1] == c[i + j - 1]
                ok[j] = from_a or from_b
    return ok[len(b)]
''', r'''
def check(candidate):
    assert candidate('ab', 'xy', 'axby') is True
    assert candidate('ab', 'xy', 'abyx') is False
    assert candidate('', '', '') is True
    assert candidate('a', '', 'a') is True
    assert candidate('', 'b', 'a') is False
    assert candidate('a', 'b', 'ab') is True
    assert candidate('a', 'b', 'ba') is True
    assert candidate('aa', 'ab', 'aaab') is True
    assert candidate('aa', 'ab', 'baaa') is False
    assert candidate('a', 'b', 'abc') is False
    assert candidate('xxy', 'xxz', 'xxxzxy') is True
    assert candidate('xxy', 'xxz', 'xxxyzx') is False
''')

# ---------------------------------------------------------------------------------------------
# search
# ---------------------------------------------------------------------------------------------

add("search", "easy", r'''
from typing import List


def first_at_least(sorted_values: List[int], target: int) -> int:
    """Return the first index i with sorted_values[i] >= target in the ascending list, or
    len(sorted_values) if every value is smaller. Use binary search.
    >>> first_at_least([1, 3, 3, 7], 3)
    1
    """
    lo, hi = 0, len(sorted_values)
    while lo < hi:
        mid = (lo + hi) // 2
        if sorted_values[mid] < target:
            lo = mid + 1
        else:
            hi = mid
    return lo
''', r'''
def check(candidate):
    assert candidate([1, 3, 3, 7], 3) == 1
    assert candidate([], 5) == 0
    assert candidate([1], 0) == 0
    assert candidate([1], 2) == 1
    assert candidate([1, 3, 3, 7], 4) == 3
    assert candidate([1, 3, 3, 7], 8) == 4
    assert candidate([2, 2, 2], 2) == 0
    assert candidate(list(range(0, 10 ** 6, 2)), 777777) == 388889
''')

add("search", "easy", r'''
def floor_cube_root(n: int) -> int:
    """Return the largest integer r with r**3 <= n for a non-negative integer ``n``. It must
    be exact for very large n, so avoid floating point.
    >>> floor_cube_root(30)
    3
    """
    lo, hi = 0, 1  # invariant: lo**3 <= n < hi**3 once hi is large enough
    while hi ** 3 <= n:
        hi *= 2
    while lo < hi - 1:
        mid = (lo + hi) // 2
        if mid ** 3 <= n:
            lo = mid
        else:
            hi = mid
    return lo
''', r'''
def check(candidate):
    assert candidate(30) == 3
    assert candidate(0) == 0
    assert candidate(1) == 1
    assert candidate(7) == 1
    assert candidate(8) == 2
    assert candidate(26) == 2
    assert candidate(27) == 3
    assert candidate(10 ** 30) == 10 ** 10
    assert candidate(10 ** 30 - 1) == 10 ** 10 - 1
    assert candidate(12345 ** 3 + 12344) == 12345
''')

add("search", "medium", r'''
from typing import List


def rotation_offset(values: List[int]) -> int:
    """``values`` is an ascending list of distinct integers that has been rotated by some
    amount. Return the index of its smallest element using O(log n) comparisons (0 for an
    empty or unrotated list).
    >>> rotation_offset([15, 18, 2, 3, 6, 12])
    2
    """
    lo, hi = 0, len(values) - 1
    if hi < 0:
        return 0
    while lo < hi:
        mid = (lo + hi) // 2
        if values[mid] > values[hi]:  # the drop is to the right of mid
            lo = mid + 1
        else:
            hi = mid
    return lo
''', r'''
def check(candidate):
    assert candidate([15, 18, 2, 3, 6, 12]) == 2
    assert candidate([]) == 0
    assert candidate([5]) == 0
    assert candidate([1, 2, 3]) == 0
    assert candidate([3, 1, 2]) == 1
    assert candidate([2, 3, 1]) == 2
    assert candidate(list(range(500, 1000)) + list(range(500))) == 500
''')

add("search", "medium", r'''
from typing import List


def shortest_path_length(grid: List[str]) -> int:
    """Return the number of moves on a shortest path from 'S' to 'E' in ``grid``, moving up,
    down, left or right through any cell that is not '#', or -1 if 'E' cannot be reached.
    The grid contains exactly one 'S' and one 'E'.
    >>> shortest_path_length(['S.#', '..#', '#.E'])
    4
    """
    from collections import deque
    rows, cols = len(grid), len(grid[0])
    start = next((r, c) for r in range(rows) for c in range(cols) if grid[r][c] == 'S')
    dist = {start: 0}
    queue = deque([start])
    while queue:
        r, c = queue.popleft()
        if grid[r][c] == 'E':
            return dist[(r, c)]
        for nr, nc in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
            if 0 <= nr < rows and 0 <= nc < cols and grid[nr][nc] != '#' and (nr, nc) not in dist:
                dist[(nr, nc)] = dist[(r, c)] + 1
                queue.append((nr, nc))
    return -1
''', r'''
def check(candidate):
    assert candidate(['S.#', '..#', '#.E']) == 4
    assert candidate(['SE']) == 1
    assert candidate(['S#E']) == -1
    assert candidate(['S', '.', 'E']) == 2
    assert candidate(['S....', '####.', 'E....']) == 10
    assert candidate(['S.#', '##.', '..E']) == -1
    assert candidate(['E.S']) == 2
''')

add("search", "medium", r'''
from typing import List


def count_islands(grid: List[str]) -> int:
    """Count the groups of land cells ('#') in ``grid``; cells touching horizontally,
    vertically or diagonally belong to the same group.
    >>> count_islands(['#..#', '.#.#', '...#'])
    2
    """
    rows = len(grid)
    seen = set()
    count = 0
    for r in range(rows):
        for c in range(len(grid[r])):
            if grid[r][c] != '#' or (r, c) in seen:
                continue
            count += 1
            seen.add((r, c))
            stack = [(r, c)]
            while stack:  # flood fill the whole island
                cr, cc = stack.pop()
                for nr in (cr - 1, cr, cr + 1):
                    for nc in (cc - 1, cc, cc + 1):
                        if (0 <= nr < rows and 0 <= nc < len(grid[nr]) and grid[nr][nc] == '#'
                                and (nr, nc) not in seen):
                            seen.add((nr, nc))
                            stack.append((nr, nc))
    return count
''', r'''
def check(candidate):
    assert candidate(['#..#', '.#.#', '...#']) == 2
    assert candidate([]) == 0
    assert candidate(['...']) == 0
    assert candidate(['#']) == 1
    assert candidate(['#.#']) == 2
    assert candidate(['#.', '.#']) == 1
    assert candidate(['#.#', '.#.', '#.#']) == 1
    assert candidate(['##..', '##..', '...#', '..##']) == 2
    assert candidate(['#...#', '.....', '#...#']) == 4
''')

add("search", "medium", r'''
from typing import Tuple


def knight_distance(n: int, start: Tuple[int, int], goal: Tuple[int, int]) -> int:
    """Return the fewest knight moves from ``start`` to ``goal`` on an n x n board (cells
    (row, col) with 0 <= row, col < n), or -1 if the goal cannot be reached.
    >>> knight_distance(8, (0, 0), (7, 7))
    6
    """
    from collections import deque
    if start == goal:
        return 0
    jumps = [(1, 2), (2, 1), (-1, 2), (-2, 1), (1, -2), (2, -1), (-1, -2), (-2, -1)]
    dist = {start: 0}
    queue = deque([start])
    while queue:
        r, c = queue.popleft()
        for dr, dc in jumps:
            nxt = (r + dr, c + dc)
            if 0 <= nxt[0] < n and 0 <= nxt[1] < n and nxt not in dist:
                dist[nxt] = dist[(r, c)] + 1
                if nxt == goal:
                    return dist[nxt]
                queue.append(nxt)
    return -1
''', r'''
def check(candidate):
    assert candidate(8, (0, 0), (7, 7)) == 6
    assert candidate(8, (0, 0), (0, 0)) == 0
    assert candidate(1, (0, 0), (0, 0)) == 0
    assert candidate(8, (0, 0), (1, 2)) == 1
    assert candidate(8, (0, 0), (1, 1)) == 4
    assert candidate(3, (0, 0), (1, 1)) == -1
    assert candidate(2, (0, 0), (1, 1)) == -1
    assert candidate(8, (3, 3), (4, 3)) == 3
''')

add("search", "medium", r'''
from typing import List


def min_largest_chunk(values: List[int], parts: int) -> int:
    """Split the non-negative integers ``values`` into at most ``parts`` (>= 1) contiguous
    chunks so that the largest chunk sum is as small as possible, and return that sum. An
    empty list gives 0. Binary search on the answer.
    >>> min_largest_chunk([4, 2, 7, 1, 5], 2)
    13
    """
    if not values:
        return 0

    def chunks_needed(limit):
        count, current = 1, 0
        for v in values:
            if current + v > limit:
                count += 1
                current = v
            else:
                current += v
        return count

    lo, hi = max(values), sum(values)
    while lo < hi:
        mid = (lo + hi) // 2
        if chunks_needed(mid) <= parts:
            hi = mid
        else:
            lo = mid + 1
    return lo
''', r'''
def check(candidate):
    assert candidate([4, 2, 7, 1, 5], 2) == 13
    assert candidate([], 3) == 0
    assert candidate([5], 1) == 5
    assert candidate([5], 3) == 5
    assert candidate([1, 1, 1, 1], 2) == 2
    assert candidate([1, 2, 3, 4, 5], 1) == 15
    assert candidate([1, 2, 3, 4, 5], 5) == 5
    assert candidate([1, 2, 3, 4, 5], 2) == 9
    assert candidate([0, 0, 0], 2) == 0
''')

add("search", "medium", r'''
from typing import List, Tuple


def cheapest_route(n: int, edges: List[Tuple[int, int, int]], source: int, target: int) -> int:
    """Nodes are 0..n-1 and each edge (u, v, cost) can be travelled in both directions at a
    non-negative cost. Return the minimum total cost from ``source`` to ``target``, or -1
    if there is no route.
    >>> cheapest_route(4, [(0, 1, 5), (1, 3, 1), (0, 2, 2), (2, 3, 7)], 0, 3)
    6
    """
    import heapq
    graph = [[] for _ in range(n)]
    for u, v, w in edges:
        graph[u].append((v, w))
        graph[v].append((u, w))
    done = [False] * n
    heap = [(0, source)]  # Dijkstra
    while heap:
        d, u = heapq.heappop(heap)
        if done[u]:
            continue
        done[u] = True
        if u == target:
            return d
        for v, w in graph[u]:
            if not done[v]:
                heapq.heappush(heap, (d + w, v))
    return -1
''', r'''
def check(candidate):
    assert candidate(4, [(0, 1, 5), (1, 3, 1), (0, 2, 2), (2, 3, 7)], 0, 3) == 6
    assert candidate(1, [], 0, 0) == 0
    assert candidate(2, [], 0, 1) == -1
    assert candidate(2, [(0, 1, 3)], 1, 0) == 3
    assert candidate(3, [(0, 1, 1), (0, 1, 5), (1, 2, 1)], 0, 2) == 2
    assert candidate(5, [(0, 1, 1), (1, 2, 1), (2, 3, 1), (3, 4, 1), (0, 4, 10)], 0, 4) == 4
    assert candidate(4, [(0, 1, 0), (1, 2, 0)], 0, 3) == -1
''')

add("search", "hard", r'''
from typing import List, Optional, Tuple


def task_order(tasks: List[str], deps: List[Tuple[str, str]]) -> Optional[List[str]]:
    """Return an order of ``tasks`` in which, for every dependency (before, after), before
    comes earlier than after, choosing the alphabetically smallest available task at every
    step. Return None if the dependencies contain a cycle.
    >>> task_order(['wash', 'dry', 'fold'], [('wash', 'dry'), ('dry', 'fold')])
    ['wash', 'dry', 'fold']
    >>> task_order(['b', 'a', 'c'], [('c', 'a')])
    ['b', 'c', 'a']
    """
    import heapq
    indegree = {t: 0 for t in tasks}
    followers = {t: [] for t in tasks}
    for before, after in deps:
        followers[before].append(after)
        indegree[after] += 1
    ready = [t for t in tasks if indegree[t] == 0]
    heapq.heapify(ready)  # Kahn's algorithm with a min-heap for the alphabetical choice
    order = []
    while ready:
        task = heapq.heappop(ready)
        order.append(task)
        for follower in followers[task]:
            indegree[follower] -= 1
            if indegree[follower] == 0:
                heapq.heappush(ready, follower)
    return order if len(order) == len(tasks) else None
''', r'''
def check(candidate):
    assert candidate(['wash', 'dry', 'fold'], [('wash', 'dry'), ('dry', 'fold')]) == ['wash', 'dry', 'fold']
    assert candidate(['b', 'a', 'c'], [('c', 'a')]) == ['b', 'c', 'a']
    assert candidate([], []) == []
    assert candidate(['x'], []) == ['x']
    assert candidate(['b', 'a'], []) == ['a', 'b']
    assert candidate(['a', 'b'], [('a', 'b'), ('b', 'a')]) is None
    assert candidate(['a'], [('a', 'a')]) is None
    assert candidate(['d', 'c', 'b', 'a'], [('d', 'a')]) == ['b', 'c', 'd', 'a']
    assert candidate(['x', 'y', 'z'], [('z', 'y'), ('y', 'x')]) == ['z', 'y', 'x']
''')

add("search", "hard", r'''
from typing import List, Optional, Tuple


def shortest_span(words: List[str], required: List[str]) -> Optional[Tuple[int, int]]:
    """Return (start, end) such that words[start:end + 1] is the shortest stretch containing
    every word of ``required`` (a word listed several times must occur that many times).
    The leftmost stretch wins ties. Return None if there is none or ``required`` is empty.
    >>> shortest_span(['a', 'x', 'b', 'a', 'y', 'b'], ['a', 'b'])
    (2, 3)
    """
    if not required:
        return None
    need = {}
    for word in required:
        need[word] = need.get(word, 0) + 1
    missing = len(required)  # required occurrences not yet inside the window
    have = {}
    best = None
    left = 0
    for right, word in enumerate(words):
        if word in need:
            have[word] = have.get(word, 0) + 1
            if have[word] <= need[word]:
                missing -= 1
        while missing == 0:  # shrink from the left while the window stays valid
            if best is None or right - left < best[1] - best[0]:
                best = (left, right)
            dropped = words[left]
            if dropped in need:
                have[dropped] -= 1
                if have[dropped] < need[dropped]:
                    missing += 1
            left += 1
    return best
''', r'''
def check(candidate):
    assert candidate(['a', 'x', 'b', 'a', 'y', 'b'], ['a', 'b']) == (2, 3)
    assert candidate([], ['a']) is None
    assert candidate(['a'], []) is None
    assert candidate(['a'], ['a']) == (0, 0)
    assert candidate(['a', 'b'], ['c']) is None
    assert candidate(['a', 'a', 'b'], ['a', 'a']) == (0, 1)
    assert candidate(['b', 'a', 'b', 'a'], ['a', 'a']) == (1, 3)
    assert candidate(['x', 'y', 'z'], ['z', 'x']) == (0, 2)
    assert candidate(['p', 'q', 'p', 'q'], ['q', 'p']) == (0, 1)
''')

add("search", "hard", r'''
def puzzle_moves(board: str) -> int:
    """A 2 x 3 sliding puzzle is written row by row as a 6-character string of the tiles
    '1' to '5' and '.' for the gap, e.g. '12.453'. A move slides a tile that is next to the
    gap (horizontally or vertically) into it. Return the fewest moves that reach '12345.',
    or -1 if that is impossible.
    >>> puzzle_moves('1234.5')
    1
    >>> puzzle_moves('21345.')
    -1
    """
    from collections import deque
    goal = '12345.'
    neighbours = {0: (1, 3), 1: (0, 2, 4), 2: (1, 5), 3: (0, 4), 4: (1, 3, 5), 5: (2, 4)}
    dist = {board: 0}
    queue = deque([board])  # breadth-first search over board states
    while queue:
        state = queue.popleft()
        if state == goal:
            return dist[state]
        gap = state.index('.')
        for j in neighbours[gap]:
            cells = list(state)
            cells[gap], cells[j] = cells[j], cells[gap]
            nxt = ''.join(cells)
            if nxt not in dist:
                dist[nxt] = dist[state] + 1
                queue.append(nxt)
    return -1
''', r'''
def check(candidate):
    assert candidate('1234.5') == 1
    assert candidate('21345.') == -1
    assert candidate('12345.') == 0
    assert candidate('12.453') == 1
    assert candidate('.12453') == 3
    assert candidate('1.2453') == 2
    assert candidate('54321.') == 14
    assert candidate('12354.') == -1
    assert candidate('.54321') == 15
''')


def main(argv: list[str]) -> int:
    text = render(build_records())
    if "--check" in argv:
        current = OUT_PATH.read_text() if OUT_PATH.exists() else ""
        if current != text:
            print(f"{OUT_PATH} is out of date; run: python {Path(__file__).name}", file=sys.stderr)
            return 1
        print(f"{OUT_PATH} is up to date ({len(_PROBLEMS)} problems)")
        return 0
    OUT_PATH.write_text(text)
    print(f"wrote {len(_PROBLEMS)} problems to {OUT_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
