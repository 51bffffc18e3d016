"""Recorded-style teacher replies for Stage III tests: questions (layout of question_prompts.question_messages) and the
k solutions sampled for each (question_prompts.question_solution_messages), written the way Qwen2.5-Coder-1.5B answers
(fences, a sentence before the layout, `>>>` examples, some inputs with a `# ->` comment, one wrong answer in
a set of solutions). The sandbox runs them for real in the tests.
"""

from __future__ import annotations

from iterkd_lib.question_prompts import QUESTION_MARKER


def question(entry: str, prompt: str, inputs: str, solution: str, preamble: str = "") -> str:
    return (f"{preamble}{QUESTION_MARKER}\nENTRY POINT: {entry}\nPROMPT:\n```python\n{prompt}```\nINPUTS:\n"
            f"```python\n{inputs}```\nSOLUTION:\n```python\n{solution}```\n")


def fenced(code: str) -> str:
    return f"```python\n{code}```"


# ---- agreement: 3 of 4 samples + the written solution agree; one sample counts every vowel instead
VOWEL_RUN = question(
    "longest_vowel_run",
    'def longest_vowel_run(s: str) -> int:\n    """Return the length of the longest run of consecutive vowels\n'
    '    (a, e, i, o, u, either case) in s; 0 when s has none.\n    >>> longest_vowel_run("beautiful")\n    3\n'
    '    """\n',
    'longest_vowel_run("beautiful")\nlongest_vowel_run("")\nlongest_vowel_run("rhythm")\n'
    'longest_vowel_run("AEIx")\nlongest_vowel_run("queue")  # -> 3\nlongest_vowel_run("a")\n',
    "def longest_vowel_run(s: str) -> int:\n    best = cur = 0\n    for ch in s.lower():\n"
    "        cur = cur + 1 if ch in 'aeiou' else 0\n        best = max(best, cur)\n    return best\n",
    preamble="Here is a new exercise for the student.\n\n")
VOWEL_RUN_SOLUTIONS = [
    fenced("def longest_vowel_run(s: str) -> int:\n    run = best = 0\n    for c in s:\n"
           "        if c.lower() in 'aeiou':\n            run += 1\n            best = max(best, run)\n"
           "        else:\n            run = 0\n    return best\n"),
    fenced("import re\n\ndef longest_vowel_run(s: str) -> int:\n"
           "    runs = re.findall(r'[aeiouAEIOU]+', s)\n    return max((len(r) for r in runs), default=0)\n"),
    fenced("def longest_vowel_run(s: str) -> int:\n    return sum(c in 'aeiouAEIOU' for c in s)\n"),  # wrong
    "Sure!\n" + fenced("def longest_vowel_run(s):\n    best, cur = 0, 0\n    for ch in s:\n"
                       "        if ch in 'aeiouAEIOU':\n            cur += 1\n        else:\n            cur = 0\n"
                       "        if cur > best:\n            best = cur\n    return best\n"),
]

# ---- disagreement: "second largest" read five ways (distinct or not, what [5, 5] gives) -> five groups of 1
SECOND_LARGEST = question(
    "second_largest",
    'from typing import List\n\ndef second_largest(xs: List[int]) -> int:\n'
    '    """Return the second largest value in xs.\n    >>> second_largest([4, 1, 4, 3])\n    3\n    """\n',
    "second_largest([4, 1, 4, 3])\nsecond_largest([10, 9])\nsecond_largest([5, 5])\nsecond_largest([-1, -5, -3])\n",
    "def second_largest(xs):\n    return sorted(set(xs))[-2]\n")
SECOND_LARGEST_SOLUTIONS = [
    fenced("def second_largest(xs):\n    return sorted(xs)[-2]\n"),
    fenced("def second_largest(xs):\n    u = sorted(set(xs))\n    return u[-2] if len(u) > 1 else u[0]\n"),
    fenced("def second_largest(xs):\n    u = sorted(set(xs))\n    return u[-2] if len(u) > 1 else None\n"),
    fenced("def second_largest(xs):\n    xs = sorted(xs, reverse=True)\n    return xs[1] - 0 if xs[0] != xs[1] else -1\n"),
]

# ---- exceptions as outcomes: the docstring names ValueError for negatives; a str input raises TypeError,
# which the docstring does not name (left out of the tests); all candidates agree on both
DIGIT_SUM = question(
    "digit_sum",
    'def digit_sum(n: int) -> int:\n    """Return the sum of the decimal digits of n.\n'
    '    Raise ValueError when n is negative.\n    >>> digit_sum(123)\n    6\n    """\n',
    "digit_sum(123)\ndigit_sum(0)\ndigit_sum(9)\ndigit_sum(1000)\ndigit_sum(-5)\ndigit_sum('12')\ndigit_sum(99999)\n",
    "def digit_sum(n: int) -> int:\n    if n < 0:\n        raise ValueError('negative')\n"
    "    return sum(int(d) for d in str(n))\n")
DIGIT_SUM_SOLUTIONS = [
    fenced("def digit_sum(n: int) -> int:\n    if n < 0:\n        raise ValueError(n)\n    total = 0\n"
           "    while n:\n        total += n % 10\n        n //= 10\n    return total\n"),
    fenced("def digit_sum(n):\n    if n < 0:\n        raise ValueError('n must be >= 0')\n"
           "    return sum(map(int, str(n)))\n"),
    fenced("def digit_sum(n):\n    if n < 0:\n        raise ValueError\n    s = 0\n    for ch in str(n):\n"
           "        s += int(ch)\n    return s\n"),
    fenced("def digit_sum(n: int) -> int:\n    if n < 0:\n        raise ValueError('negative input')\n"
           "    return sum(int(c) for c in str(n))\n"),
]

# ---- nondeterminism: the task itself is random
SHUFFLED = question(
    "shuffled_copy",
    'def shuffled_copy(xs: list) -> list:\n    """Return a new list with the items of xs in random order.\n'
    '    >>> sorted(shuffled_copy([3, 1, 2]))\n    [1, 2, 3]\n    """\n',
    "shuffled_copy([1, 2, 3, 4, 5, 6, 7, 8])\nshuffled_copy(list(range(20)))\nshuffled_copy([1])\n",
    "import random\n\ndef shuffled_copy(xs):\n    ys = list(xs)\n    random.shuffle(ys)\n    return ys\n")
SHUFFLED_SOLUTIONS = [
    fenced("import random\n\ndef shuffled_copy(xs: list) -> list:\n    return random.sample(xs, len(xs))\n"),
    fenced("import random\n\ndef shuffled_copy(xs: list) -> list:\n    out = xs[:]\n    random.shuffle(out)\n"
           "    return out\n"),
    fenced("import random\n\ndef shuffled_copy(xs):\n    xs = list(xs)\n    random.shuffle(xs)\n    return xs\n"),
    fenced("from random import shuffle\n\ndef shuffled_copy(xs):\n    c = xs.copy()\n    shuffle(c)\n    return c\n"),
]

# ---- floats: means with different summation orders agree within the tolerance; tests use _close
MEANS = question(
    "running_mean",
    'from typing import List\n\ndef running_mean(xs: List[float]) -> List[float]:\n'
    '    """Return the list of running means: the i-th item is the mean of xs[0..i].\n'
    '    >>> running_mean([1.0, 2.0, 3.0])\n    [1.0, 1.5, 2.0]\n    """\n',
    "running_mean([1.0, 2.0, 3.0])\nrunning_mean([])\nrunning_mean([0.1, 0.2, 0.3])\nrunning_mean([5])\n"
    "running_mean([-1.5, 1.5, 0.25, 1e-3])\n",
    "def running_mean(xs):\n    out, total = [], 0.0\n    for i, x in enumerate(xs, 1):\n        total += x\n"
    "        out.append(total / i)\n    return out\n")
MEANS_SOLUTIONS = [
    fenced("from typing import List\n\ndef running_mean(xs: List[float]) -> List[float]:\n"
           "    return [sum(xs[:i + 1]) / (i + 1) for i in range(len(xs))]\n"),
    fenced("def running_mean(xs):\n    res = []\n    s = 0\n    for i in range(len(xs)):\n        s += xs[i]\n"
           "        res.append(s / (i + 1))\n    return res\n"),
    fenced("import math\n\ndef running_mean(xs):\n    return [math.fsum(xs[:k]) / k for k in range(1, len(xs) + 1)]\n"),
    fenced("def running_mean(xs: List[float]) -> List[float]:\n    total = 0.0\n    means = []\n"
           "    for n, x in enumerate(xs, start=1):\n        total = total + x\n        means.append(total / n)\n"
           "    return means\n"),  # uses List without importing it: the typing import is added
]

# ---- unserialisable: every candidate returns a generator
EVENS = question(
    "evens",
    'def evens(xs: list):\n    """Yield the even numbers of xs, in order.\n    >>> list(evens([1, 2, 4]))\n'
    '    [2, 4]\n    """\n',
    "evens([1, 2, 3, 4])\nevens([])\nevens([7])\n",
    "def evens(xs):\n    for x in xs:\n        if x % 2 == 0:\n            yield x\n")
EVENS_SOLUTIONS = [fenced("def evens(xs):\n    return (x for x in xs if x % 2 == 0)\n")] * 4

# ---- a wrong docstring example: the solutions agree that "queue" -> 4, the example says 3
WRONG_EXAMPLE = VOWEL_RUN.replace('longest_vowel_run("beautiful")\n    3', 'longest_vowel_run("queue")\n    3')

# ---- trivial tests: every input is already free of neighbouring repeats, so `return xs` passes
DEDUPE = question(
    "dedupe_sorted",
    'def dedupe_sorted(xs: list) -> list:\n    """Remove repeated neighbours from the sorted list xs.\n'
    '    >>> dedupe_sorted([1, 2, 3])\n    [1, 2, 3]\n    """\n',
    "dedupe_sorted([1, 2, 3])\ndedupe_sorted([5])\ndedupe_sorted([0, 9])\ndedupe_sorted([-2, -1])\n",
    "def dedupe_sorted(xs):\n    out = []\n    for x in xs:\n        if not out or out[-1] != x:\n"
    "            out.append(x)\n    return out\n")
DEDUPE_SOLUTIONS = [fenced("def dedupe_sorted(xs):\n    return [x for i, x in enumerate(xs) if i == 0 or xs[i - 1] != x]\n")] * 4

# ---- two readings (the case of the study's `split_into_words`): the text says punctuation separates words and the
# docstring example agrees; 3 of 5 candidates (the written solution + 2 samples) split on spaces only and give
# ['hello,', 'world'], 2 samples give the stated ['hello', 'world']. The bare majority must not rewrite the example.
TWO_READINGS = question(
    "split_words",
    'def split_words(text: str) -> list:\n    """Split text into words, treating punctuation as a word separator.\n'
    "    >>> split_words('hello, world')\n    ['hello', 'world']\n    \"\"\"\n",
    "split_words('hello, world')\nsplit_words('a b')\nsplit_words('')\nsplit_words('x')\n",
    "def split_words(text):\n    return text.split()\n")
TWO_READINGS_SOLUTIONS = [
    fenced("def split_words(text: str) -> list:\n    return text.split()\n"),
    fenced("def split_words(text):\n    return [w for w in text.split(' ') if w]\n"),
    fenced("import re\n\ndef split_words(text):\n    return re.findall(r'[A-Za-z0-9]+', text)\n"),
    fenced("import re\n\ndef split_words(text: str) -> list:\n    return [w for w in re.split(r'\\W+', text) if w]\n"),
]

SOLUTIONS = {"longest_vowel_run": VOWEL_RUN_SOLUTIONS, "second_largest": SECOND_LARGEST_SOLUTIONS,
             "digit_sum": DIGIT_SUM_SOLUTIONS, "shuffled_copy": SHUFFLED_SOLUTIONS, "running_mean": MEANS_SOLUTIONS,
             "evens": EVENS_SOLUTIONS, "dedupe_sorted": DEDUPE_SOLUTIONS,
             "split_words": TWO_READINGS_SOLUTIONS}


class ScriptedTeacher:
    """Unit-test stand-in for a teacher backend: question requests get the queued replies in order; a solution
    request (n = k) gets the recorded solutions of the function named in its prompt."""

    def __init__(self, questions: list[str], solutions: dict[str, list[str]] | None = None):
        self.questions, self.solutions, self.calls = list(questions), dict(solutions or SOLUTIONS), []

    def chat(self, messages_list, decoding, seed, n=1):
        self.calls.append((messages_list, seed, n))
        out = []
        for msgs in messages_list:
            text = msgs[-1]["content"]
            if QUESTION_MARKER in text:
                out.append([self.questions.pop(0)] * n)
            else:
                name = next(k for k in self.solutions if f"def {k}(" in text)
                out.append((self.solutions[name] * n)[:n])
        return out

    def describe(self):
        return {"model": "scripted", "backend": "test"}
