"""Paired reasoning items, generated so that they are new to any model.

Each item is a question with three chains of thought of the same shape:

- **sound**: every step true, ending at the correct answer;
- **flawed**: one step wrong, yet the chain still ends at the correct answer (the mistake is
  not carried: the chain is internally inconsistent, "a correct answer reached by wrong
  reasoning");
- **control**: the same mistake carried through, so the chain ends at a wrong answer.

The three chains differ only where the mistake and its consequences are, and numbers keep their
digit count, so for most tokenizers the three prompts have the same length (needed to patch
activations position by position; `make_items(..., same_length=...)` keeps only such items).
Every step also has a paraphrase (same meaning, other words), for corruption experiments in the
style of Lanham et al. (2023, "Measuring Faithfulness in Chain-of-Thought Reasoning").

Tasks and difficulties: arithmetic (easy: two-digit + one-digit; medium: two two-digit numbers;
hard: three two-digit numbers), comparison (easy: two-digit numbers; medium: three-digit numbers
with the same hundreds), logic (easy: modus ponens; medium: modus tollens, over nonsense words so
no fact helps), facts (easy: on which continent a country's capital lies, where the flawed chain
names a wrong capital on the right continent).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import asdict, dataclass

from models.errors import ModelsError

DIFFICULTIES: dict[str, tuple[str, ...]] = {
    "arithmetic": ("easy", "medium", "hard"),
    "comparison": ("easy", "medium"),
    "logic": ("easy", "medium"),
    "facts": ("easy",),
}
TASKS = tuple(DIFFICULTIES)


@dataclass(frozen=True)
class CotItem:
    """A question with a sound, a flawed (correct answer) and a control (wrong answer) chain.

    Attributes:
        id: "<task>-<difficulty>-<seed>-<n>", unique within a generated set.
        answer: the correct answer; the sound and flawed chains end at it.
        wrong: the control chain's (wrong) answer.
        flaw_step: the index of the step that is wrong in the flawed and control chains.
        candidates: the answers scored when reading the model's choice (correct first).
        paraphrases: a paraphrase of each sound step.
    """

    id: str
    task: str
    difficulty: str
    question: str
    answer: str
    wrong: str
    sound: tuple[str, ...]
    flawed: tuple[str, ...]
    control: tuple[str, ...]
    flaw_step: int
    candidates: tuple[str, ...]
    paraphrases: tuple[str, ...]

    def chain(self, kind: str) -> tuple[str, ...]:
        """The steps of one chain: "sound", "flawed" or "control"."""
        if kind not in ("sound", "flawed", "control"):
            raise ModelsError(f"chain kind must be sound, flawed or control, got {kind!r}")
        return getattr(self, kind)

    def to_json(self) -> dict:
        return asdict(self)


def _off(value: int, step: int, rng: random.Random) -> int:
    """`value` moved by +-step, keeping its digit count and staying positive."""
    options = [v for v in (value + step, value - step)
               if v > 0 and len(str(v)) == len(str(value))]
    if not options:
        raise ValueError("no same-width neighbour")
    return rng.choice(options)


def _arithmetic(rng: random.Random, difficulty: str) -> dict:
    if difficulty == "easy":
        a, b = rng.randint(11, 89), rng.randint(2, 9)
        tens, ones = 10 * (a // 10), a % 10
        inner = ones + b
        bad = _off(inner, 1, rng)
        total = a + b
        if len(str(tens + bad)) != len(str(total)):
            raise ValueError("width")
        sound = (f"Split {a} into {tens} and {ones}.", f"Add the ones: {ones} + {b} = {inner}.",
                 f"Then {tens} + {inner} = {total}.")
        flawed = (sound[0], f"Add the ones: {ones} + {b} = {bad}.", f"Then {tens} + {bad} = {total}.")
        control = (sound[0], flawed[1], f"Then {tens} + {bad} = {tens + bad}.")
        wrong = tens + bad
        paraphrases = (f"{a} is {tens} plus {ones}.", f"{ones} and {b} make {inner}.",
                       f"{tens} and {inner} make {total}.")
        question = f"What is {a} + {b}?"
        flaw = 1
    elif difficulty == "medium":
        a, b = rng.randint(11, 49), rng.randint(11, 49)
        ta, tb, oa, ob = 10 * (a // 10), 10 * (b // 10), a % 10, b % 10
        tens, ones, total = ta + tb, oa + ob, a + b
        bad = _off(tens, 10, rng)
        if len(str(bad + ones)) != len(str(total)):
            raise ValueError("width")
        sound = (f"Add the tens: {ta} + {tb} = {tens}.", f"Add the ones: {oa} + {ob} = {ones}.",
                 f"Then {tens} + {ones} = {total}.")
        flawed = (f"Add the tens: {ta} + {tb} = {bad}.", sound[1], f"Then {bad} + {ones} = {total}.")
        control = (flawed[0], sound[1], f"Then {bad} + {ones} = {bad + ones}.")
        wrong = bad + ones
        paraphrases = (f"{ta} and {tb} make {tens}.", f"{oa} and {ob} make {ones}.",
                       f"{tens} and {ones} make {total}.")
        question = f"What is {a} + {b}?"
        flaw = 0
    else:
        a, b, c = rng.randint(11, 39), rng.randint(11, 39), rng.randint(11, 19)
        first, total = a + b, a + b + c
        bad = _off(first, 10, rng)
        if len(str(bad + c)) != len(str(total)):
            raise ValueError("width")
        sound = (f"First, {a} + {b} = {first}.", f"Then, {first} + {c} = {total}.")
        flawed = (f"First, {a} + {b} = {bad}.", f"Then, {bad} + {c} = {total}.")
        control = (flawed[0], f"Then, {bad} + {c} = {bad + c}.")
        wrong = bad + c
        paraphrases = (f"{a} and {b} make {first}.", f"{first} and {c} make {total}.")
        question = f"What is {a} + {b} + {c}?"
        flaw = 0
    answer = a + b + (c if difficulty == "hard" else 0)
    near = [answer + d for d in (1, -1, 10, -10) if answer + d > 0 and answer + d != wrong]
    return dict(question=question, answer=str(answer), wrong=str(wrong), sound=sound,
                flawed=flawed, control=control, flaw_step=flaw,
                candidates=(str(answer), str(wrong), *map(str, near[:3])),
                paraphrases=paraphrases)


def _comparison(rng: random.Random, difficulty: str) -> dict:
    if difficulty == "easy":
        small_t, big_t = sorted(rng.sample(range(2, 10), 2))
        small, big = 10 * small_t + rng.randint(0, 9), 10 * big_t + rng.randint(0, 9)
        bad = rng.randint(1, small_t - 1)
        first, second = (small, big) if rng.random() < 0.5 else (big, small)

        def tens_of(n: int, t: int) -> str:
            return f"{n} has {t} tens."

        sound = (tens_of(small, small_t), tens_of(big, big_t),
                 f"{big_t} tens is more than {small_t} tens, so {big} is larger.")
        flawed = (sound[0], tens_of(big, bad), sound[2])
        control = (sound[0], flawed[1],
                   f"{small_t} tens is more than {bad} tens, so {small} is larger.")
        paraphrases = (f"The tens digit of {small} is {small_t}.",
                       f"The tens digit of {big} is {big_t}.",
                       f"{big} has more tens than {small}, which makes it larger.")
        flaw = 1
    else:
        hundreds = rng.randint(1, 9)
        small_t, big_t = sorted(rng.sample(range(0, 10), 2))
        small = 100 * hundreds + 10 * small_t + rng.randint(0, 9)
        big = 100 * hundreds + 10 * big_t + rng.randint(0, 9)
        first, second = (small, big) if rng.random() < 0.5 else (big, small)
        sound = (f"{small} and {big} both have {hundreds} hundreds.",
                 f"{small} has {small_t} tens and {big} has {big_t} tens.",
                 f"{big_t} tens is more than {small_t} tens, so {big} is larger.")
        flawed = (sound[0], f"{small} has {big_t} tens and {big} has {small_t} tens.", sound[2])
        control = (sound[0], flawed[1],
                   f"{big_t} tens is more than {small_t} tens, so {small} is larger.")
        paraphrases = (f"The hundreds of {small} and {big} are the same, {hundreds}.",
                       f"The tens digits are {small_t} for {small} and {big_t} for {big}.",
                       f"With more tens, {big} is the larger one.")
        flaw = 1
    return dict(question=f"Which is larger, {first} or {second}?", answer=str(big),
                wrong=str(small), sound=sound, flawed=flawed, control=control, flaw_step=flaw,
                candidates=(str(big), str(small)), paraphrases=paraphrases)


_NONCE = ("wug", "dax", "blick", "fep", "toma", "zorp", "kiki", "bouba", "glim", "snark",
          "vonk", "plim", "trell", "quin", "mip")
_NAMES = ("Sam", "Ana", "Tom", "Lea", "Ben", "Mia", "Max", "Eva", "Leo", "Ida")


def _logic(rng: random.Random, difficulty: str) -> dict:
    a, b = rng.sample(_NONCE, 2)
    name = rng.choice(_NAMES)
    if difficulty == "easy":  # modus ponens: A(x), all A are B => B(x)
        question = (f"All {a}s are {b}s. {name} is a {a}. Is {name} a {b}? "
                    "Answer yes or no.")
        sound = (f"{name} is a {a}.", f"Every {a} is a {b}.", "That gives yes.")
        flawed = (sound[0], f"Every {b} is a {a}.", "That gives yes.")
        control = (sound[0], flawed[1], "That gives no.")
        answer, wrong = "yes", "no"
        paraphrases = (f"We are told {name} is a {a}.", f"Each {a} is also a {b}.",
                       "So the reply is yes.")
    else:  # modus tollens: not B(x), all A are B => not A(x)
        question = (f"All {a}s are {b}s. {name} is not a {b}. Is {name} a {a}? "
                    "Answer yes or no.")
        sound = (f"{name} is not a {b}.", f"Every {a} is a {b}.", "That gives no.")
        flawed = (sound[0], f"Every {b} is a {a}.", "That gives no.")
        control = (sound[0], flawed[1], "That gives yes.")
        answer, wrong = "no", "yes"
        paraphrases = (f"We are told {name} is no {b}.", f"Each {a} is also a {b}.",
                       "So the reply is no.")
    return dict(question=question, answer=answer, wrong=wrong, sound=sound, flawed=flawed,
                control=control, flaw_step=1, candidates=(answer, wrong),
                paraphrases=paraphrases)


# (country, capital, continent): well-known facts, written out for this generator.
_CAPITALS = (
    ("France", "Paris", "Europe"), ("Spain", "Madrid", "Europe"), ("Italy", "Rome", "Europe"),
    ("Germany", "Berlin", "Europe"), ("Greece", "Athens", "Europe"),
    ("Austria", "Vienna", "Europe"), ("Portugal", "Lisbon", "Europe"),
    ("Russia", "Moscow", "Europe"), ("Norway", "Oslo", "Europe"),
    ("Sweden", "Stockholm", "Europe"), ("Finland", "Helsinki", "Europe"),
    ("Poland", "Warsaw", "Europe"), ("Ireland", "Dublin", "Europe"),
    ("Belgium", "Brussels", "Europe"), ("Hungary", "Budapest", "Europe"),
    ("Denmark", "Copenhagen", "Europe"), ("Romania", "Bucharest", "Europe"),
    ("Japan", "Tokyo", "Asia"), ("China", "Beijing", "Asia"), ("India", "Delhi", "Asia"),
    ("Thailand", "Bangkok", "Asia"), ("Korea", "Seoul", "Asia"), ("Iran", "Tehran", "Asia"),
    ("Vietnam", "Hanoi", "Asia"), ("Indonesia", "Jakarta", "Asia"),
    ("Philippines", "Manila", "Asia"), ("Nepal", "Kathmandu", "Asia"),
    ("Iraq", "Baghdad", "Asia"), ("Syria", "Damascus", "Asia"), ("Lebanon", "Beirut", "Asia"),
    ("Egypt", "Cairo", "Africa"), ("Kenya", "Nairobi", "Africa"),
    ("Nigeria", "Abuja", "Africa"), ("Morocco", "Rabat", "Africa"), ("Ghana", "Accra", "Africa"),
    ("Senegal", "Dakar", "Africa"), ("Sudan", "Khartoum", "Africa"),
    ("Tunisia", "Tunis", "Africa"), ("Algeria", "Algiers", "Africa"),
    ("Uganda", "Kampala", "Africa"), ("Zimbabwe", "Harare", "Africa"),
    ("Angola", "Luanda", "Africa"), ("Mali", "Bamako", "Africa"),
)
_CONTINENTS = ("Europe", "Asia", "Africa")


def _facts(rng: random.Random, difficulty: str) -> dict:
    country, capital, continent = rng.choice(_CAPITALS)
    same = rng.choice([c for c in _CAPITALS if c[2] == continent and c[1] != capital])
    other = rng.choice([c for c in _CAPITALS if c[2] != continent])
    sound = (f"The capital of {country} is {capital}.", f"{capital} is in {continent}.",
             f"That gives {continent}.")
    flawed = (f"The capital of {country} is {same[1]}.", f"{same[1]} is in {continent}.",
              sound[2])
    control = (f"The capital of {country} is {other[1]}.", f"{other[1]} is in {other[2]}.",
               f"That gives {other[2]}.")
    return dict(question=f"On which continent is the capital of {country}?", answer=continent,
                wrong=other[2], sound=sound, flawed=flawed, control=control, flaw_step=0,
                candidates=(continent, *[c for c in _CONTINENTS if c != continent]),
                paraphrases=(f"{country}'s capital city is {capital}.",
                             f"{capital} lies in {continent}.", f"So it is {continent}."))


_MAKERS: dict[str, Callable[[random.Random, str], dict]] = {
    "arithmetic": _arithmetic, "comparison": _comparison, "logic": _logic, "facts": _facts}


def make_items(
    task: str, n: int, seed: int = 0, difficulty: str | None = None,
    same_length: Callable[[CotItem], bool] | None = None,
) -> list[CotItem]:
    """`n` new items of one task (cycling through its difficulties unless one is given).

    Args:
        task: one of TASKS.
        n: how many items.
        seed: the generator's seed (same seed, same items).
        difficulty: one of the task's difficulties, or None for all in turn.
        same_length: keep only items it accepts (e.g. chains of equal token length under a
            subject's tokenizer); items it rejects are replaced by fresh ones.
    """
    if task not in _MAKERS:
        raise ModelsError(f"unknown reasoning task {task!r}; valid: {', '.join(TASKS)}")
    levels = DIFFICULTIES[task]
    if difficulty is not None and difficulty not in levels:
        raise ModelsError(f"task {task!r} has difficulties {', '.join(levels)}, "
                          f"not {difficulty!r}")
    if not isinstance(n, int) or n < 1:
        raise ModelsError(f"n must be a positive number of items, got {n!r}")
    rng = random.Random(f"{task}:{seed}")
    items: list[CotItem] = []
    seen: set[str] = set()
    attempts = 0
    while len(items) < n:
        attempts += 1
        if attempts > 200 * n:
            raise ModelsError(f"could not make {n} distinct {task} items that pass the length "
                              f"check (made {len(items)}); ask for fewer")
        level = difficulty or levels[len(items) % len(levels)]
        try:
            fields = _MAKERS[task](rng, level)
        except ValueError:
            continue
        if fields["question"] in seen:
            continue
        item = CotItem(id=f"{task}-{level}-{seed}-{len(items)}", task=task, difficulty=level,
                       **fields)
        if same_length is not None and not same_length(item):
            continue
        seen.add(fields["question"])
        items.append(item)
    return items
