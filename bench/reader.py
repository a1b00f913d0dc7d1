"""The benchmark's own reader of descriptions: free text in, a predicted activation per
stimulus out. It knows no concept vocabulary and shares no code with the agent's tools.

A description is read into clauses (`read`): what the unit fires on (alternatives joined by
"or", each possibly a conjunction joined by "only when" / "only if"), and what is excepted or
negated ("except", "unless", "but not", "other than", "without", "that are not", "never fires
on", "does not respond to"). "Anything except X" fires on everything but X.

Each stimulus is read as text: a text stimulus as itself, a token as the few words that end at
it, an image through its own labels (a natural photo's label and caption; a procedural scene's
generator spec written out as a caption). The simulator (`Simulator.scores`) embeds clauses and
stimuli with the all-MiniLM-L6-v2 sentence embedder, z-scores each clause's similarity over the
pool it is given, and predicts

    score = max over alternatives (min over conjuncts z) - max over exceptions z

(a constant for "anything"), so an exception switches the prediction off where it applies.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

import numpy as np

#: The embedder this reader uses (named in every report).
READER = "minilm-clauses"

_UNIT = r"(?:this |the )?(?:unit|neuron|feature|latent|channel|filter|direction)?\s*"
_VERB = (r"(?:fires?|firing|activates?|activating|responds?|responding|reacts?|is selective|"
         r"is active|detects?|detecting|looks? for|encodes?|picks? up|lights? up|tracks?|"
         r"represents?|is tuned|prefers?)")
_PREP = r"(?:\s+(?:on|to|for|at|when|in|by|with|whenever))?"
LEAD = re.compile(rf"^\s*{_UNIT}(?:mostly |mainly |strongly |only |selectively )?{_VERB}"
                  rf"{_PREP}\s*", re.I)
NEGATED_LEAD = re.compile(
    rf"^\s*{_UNIT}(?:(?:never|does not|doesn't|do not|don't|is not|isn't|is never|will not|"
    rf"won't|not)\s+{_VERB}{_PREP}|ignores|is silent (?:on|for)|stays silent (?:on|for))\s*",
    re.I)
EXCEPTION = re.compile(
    r"\s*[,;]?\s*\b(?:except(?:\s+(?:for|when|where|if|on))?|unless(?:\s+there\s+(?:is|are))?|"
    r"but\s+not(?:\s+(?:on|for|when))?|other\s+than|excluding|apart\s+from|save\s+for|"
    r"without|while\s+not|and\s+not|not\s+when|as\s+long\s+as\s+(?:there\s+(?:is|are)\s+)?no)"
    r"\b\s*", re.I)
INNER_NOT = re.compile(r"\s+(?:that|which|who)\s+(?:are|is|do|does)\s+(?:not|n't)\s+|"
                       r"\s+(?:that|which)\s+(?:lack|have\s+no|contain\s+no)\s+", re.I)
CONJUNCTION = re.compile(r"\s*,?\s*\b(?:only\s+(?:when|if|where)|but\s+only\s+(?:when|if)|"
                         r"(?:only\s+)?(?:together|in\s+combination|combined)\s+with|"
                         r"provided\s+(?:that\s+)?|as\s+long\s+as|so\s+long\s+as|"
                         r"(?:but\s+)?(?:only\s+)?in\s+(?:texts|sentences|inputs|scenes|images|"
                         r"contexts)\s+(?:that|which)\s+also\s+(?:contain|mention|include|have|"
                         r"show)|(?:that|which)\s+co-occurs?\s+with)\b\s*|\s+&\s+", re.I)
ALTERNATIVE = re.compile(r"\s*(?:,\s*)?\b(?:or(?!\s+(?:more|less|fewer|longer|shorter|above|below|"
                         r"so|greater|higher|lower)\b)|either|and\s+also|as\s+well\s+as)\b\s*|"
                         r"\s*\|\s*", re.I)
EVERYTHING = re.compile(r"^(?:anything|everything|any\s+\w+|all\s+\w+|every\s+\w+|"
                        r"all\s+(?:inputs|images|texts|tokens|words))(?:\s+at\s+all)?$", re.I)
SILENCE = re.compile(r"\s*\b(?:leaves?|keeps?)\s+it\s+(?:silent|quiet|off)|\s*\b(?:silences?|"
                     r"switch(?:es)?\s+it\s+off|turns?\s+it\s+off|suppress(?:es)?|"
                     r"stops?|inhibits?|shuts?\s+it\s+down)\b(?:\s+it)?\s*", re.I)
SCOPE = re.compile(r"\b(?:other|others|elsewhere|without|alone|only)\b", re.I)
ALL_OF = re.compile(r"\b(?:all|each|every one|both)\s+of\s+(?:these|the following|them)\s+(?:are\s+|is\s+)?"
                    r"(?:present|there|together)?\s*:\s*", re.I)
FILLER = re.compile(r"^(?:the presence of|presence of|images? (?:of|with|showing|containing)|"
                    r"pictures? of|photos? of|tokens? (?:of|in|like)|texts? (?:about|on|with)|"
                    r"words? (?:like|such as)|inputs? with|scenes? with)\s+", re.I)


@dataclass(frozen=True)
class Reading:
    """A description as clauses.

    Attributes:
        alternatives: what the unit fires on: each alternative is a tuple of conjuncts.
        exceptions: what switches it off (excepted or negated clauses).
        everything: it fires on anything not excepted.
        silencers: what an elaboration after a semicolon says leaves it silent ("...; red
            squares leave it silent"). Often a restatement of the main clause's scope, so the
            simulator does not use them; the judge counts those that name something new.
    """

    alternatives: tuple[tuple[str, ...], ...] = ()
    exceptions: tuple[str, ...] = ()
    everything: bool = False
    silencers: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """Nothing to predict from (no clause at all)."""
        return not self.alternatives and not self.exceptions and not self.everything

    def clauses(self) -> list[str]:
        """Every clause the simulator embeds."""
        return sorted({c for alt in self.alternatives for c in alt} | set(self.exceptions))

    def to_json(self) -> dict:
        return {"alternatives": [list(a) for a in self.alternatives],
                "exceptions": list(self.exceptions), "everything": self.everything,
                "silencers": list(self.silencers)}


def _clean(clause: str) -> str:
    clause = clause.strip(" .,:;\"'")
    clause = LEAD.sub("", clause).strip(" .,:;")
    clause = re.sub(r"^(?:on|to|for|at|in|by|with)\s+", "", clause, flags=re.I)
    clause = FILLER.sub("", clause).strip(" .,:;")
    return clause


EXAMPLES = re.compile(r"\b(?:like|such as|e\.g\.|for example|for instance|including)\b.*$", re.I)


def _protect_examples(clause: str) -> str:
    """"numbers like seven or twelve": an "or" inside examples joins examples, not
    alternatives of what the unit fires on."""
    return EXAMPLES.sub(lambda m: re.sub(r"\s+or\s+(?=\S+(?:\s+\S+)?\s*(?:,|$))", " / ",
                                         m.group(0)), clause)


#: A description that declares it found nothing ("no description held up: 'red regions'
#: ...") makes no claim, whatever candidates it goes on to name as refuted.
REFUSAL = re.compile(r"^\s*(?:no (?:description|concept|explanation)\b|undetermined\b|"
                     r"unknown\b|nothing (?:stood out|held up|was found)\b|"
                     r"could not (?:tell|describe|find|determine)\b|"
                     r"(?:it is )?not (?:clear|determined) what)", re.I)


def read(description: str) -> Reading:
    """Split a free-text description into what a unit fires on and what switches it off."""
    text = " ".join(str(description or "").split())
    if REFUSAL.match(text):
        return Reading()
    # the first sentence that says something; later ones are usually commentary
    text = re.split(r"(?<=[.!?])\s+(?=[A-Z])", text)[0] if text else ""
    # examples in parentheses and elaborations after a colon or semicolon are commentary
    text = re.sub(r"\s*\([^()]*\)", "", text)
    if ALL_OF.search(text):  # "fires only when all of these are present: A; B; C"
        head, listed = ALL_OF.split(text, maxsplit=1)
        head = re.sub(r"\s*\b(?:only\s+)?(?:when|if)\s*$", "", head.strip())
        text = f"{head} " + " together with ".join(
            p for p in (x.strip(" .") for x in re.split(r"\s*;\s*", listed)) if p)
    text, *elaborations = re.split(r"\s*[;:]\s+", text)
    # "...; red squares and blue circles leave it silent" restates the scope of the main
    # clause when it speaks of other shapes, colours or places; otherwise it adds an exception
    silencers = tuple(c for rest in elaborations if SILENCE.search(rest)
                      and not SCOPE.search(rest)
                      for c in (_clean(p) for p in re.split(r"\s*,?\s*\b(?:and|or|nor)\b\s*|"
                                                            r"\s*,\s*", SILENCE.sub("", rest)))
                      if c)
    return _read(text, silencers)


def _read(text: str, silencers: tuple[str, ...]) -> Reading:
    if not text.strip(" .,"):
        return Reading()
    negated = NEGATED_LEAD.match(text)
    if negated:
        rest = text[negated.end():]
        parts = [_clean(p) for p in ALTERNATIVE.split(rest) if p and _clean(p)]
        return Reading(exceptions=tuple(parts), silencers=silencers)
    pieces = EXCEPTION.split(text, maxsplit=1)
    head, exceptions = pieces[0], []
    if len(pieces) > 1:
        exceptions = [_clean(p) for p in re.split(r"\s*,?\s*\b(?:or|nor|and)\b\s*|\s*,\s*",
                                                  pieces[1]) if _clean(p)]
    inner = INNER_NOT.split(head, maxsplit=1)
    if len(inner) > 1:
        head = inner[0]
        exceptions += [c for c in (_clean(inner[1]),) if c]
    head = _clean(head)
    if not head or EVERYTHING.match(head):
        return Reading(exceptions=tuple(exceptions), everything=bool(head) or bool(exceptions),
                       silencers=silencers)
    # "A only when B or C" is A and (B or C): conjuncts first, then each one's options
    options = [[o for o in (_clean(x) for x in ALTERNATIVE.split(_protect_examples(conjunct)))
                if o] for conjunct in CONJUNCTION.split(head)]
    alternatives = [tuple(combo) for combo in itertools.product(*[o for o in options if o])
                    if combo][:16]
    return Reading(alternatives=tuple(alternatives), exceptions=tuple(exceptions),
                   silencers=silencers)


@dataclass
class Simulator:
    """Predicted activations from a description, over a pool of stimuli read as text.

    Args:
        pool: the pool's texts (stimuli, token windows or image captions); z-scores are over it.
    """

    pool: list[str]
    _vectors: np.ndarray | None = field(default=None, repr=False)

    def vectors(self) -> np.ndarray:
        if self._vectors is None:
            self._vectors = embed(self.pool)
        return self._vectors

    def scores(self, description: str | Reading) -> np.ndarray:
        """One predicted activation per pool item (zeros when the description says nothing)."""
        reading = description if isinstance(description, Reading) else read(description)
        n = len(self.pool)
        if reading.empty:
            return np.zeros(n)
        clauses = reading.clauses()
        sims = self.vectors() @ embed(clauses).T  # [n, clauses]
        std = sims.std(axis=0)
        z = (sims - sims.mean(axis=0)) / np.where(std > 1e-9, std, 1.0)
        column = {c: z[:, i] for i, c in enumerate(clauses)}
        if reading.everything or not reading.alternatives:
            positive = np.zeros(n)
        else:
            positive = np.max([np.min([column[c] for c in alt], axis=0)
                               for alt in reading.alternatives], axis=0)
        if reading.exceptions:
            positive = positive - np.max([column[c] for c in reading.exceptions], axis=0)
        return positive


_EMBEDDINGS: dict[str, np.ndarray] = {}
_EMBED_KEEP = 200_000


def embed(texts: list[str]) -> np.ndarray:
    """L2-normalised MiniLM vectors `[len(texts), 384]`, memoised per process."""
    from models.embedding import get_embedder

    missing = sorted({t for t in texts if t not in _EMBEDDINGS})
    if missing:
        if len(_EMBEDDINGS) + len(missing) > _EMBED_KEEP:
            _EMBEDDINGS.clear()
        vectors = get_embedder().embed(missing).numpy()
        _EMBEDDINGS.update(zip(missing, vectors, strict=True))
    return np.stack([_EMBEDDINGS[t] for t in texts]) if texts else np.zeros((0, 384))


def token_windows(tokens: list[str], width: int = 2) -> list[str]:
    """Per token, the words that end at it (the token and a little left context), as the
    reader sees it. Sub-word tokens carry their own spaces; whole-word tokens are joined by
    spaces."""
    glue = "" if any(t[:1].isspace() for t in tokens) else " "
    out, text = [], ""
    for token in tokens:
        text += (glue if text else "") + token
        words = text.split()
        out.append(" ".join(words[-width:]) if words else token)
    return out
