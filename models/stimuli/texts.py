"""An offline text corpus built from templates and lexicons, plus concept-controlled texts."""

from __future__ import annotations

import random
import re
from pathlib import Path

from models.errors import ModelsError, StimulusError, choices
from models.stimuli_io import check_texts

# Lexicons are single lowercase words and pairwise disjoint, so a token names at most one
# category; words with a common second sense ("may", "march", "orange" the fruit, "turkey",
# "cap", "tie", "band") are left out so detectors do not fire on the other sense.
# fmt: off
LEXICONS: dict[str, list[str]] = {
    "animals": [
        "dog", "cat", "horse", "cow", "sheep", "goat", "pig", "rabbit", "fox", "wolf", "bear",
        "lion", "tiger", "elephant", "giraffe", "zebra", "monkey", "deer", "mouse", "squirrel",
        "owl", "eagle", "parrot", "sparrow", "pigeon", "duck", "goose", "frog", "snake", "lizard",
        "turtle", "shark", "whale", "dolphin", "octopus", "bee", "ant", "butterfly", "spider",
        "camel", "kangaroo", "penguin", "hedgehog", "badger", "otter", "beaver", "moose", "donkey",
        "hamster", "crocodile",
    ],
    "food": [
        "bread", "cheese", "apple", "banana", "rice", "pasta", "soup", "salad", "pizza", "sandwich",
        "butter", "egg", "tomato", "potato", "carrot", "onion", "garlic", "noodle", "cake",
        "cookie", "chocolate", "yogurt", "honey", "sugar", "flour", "pancake", "cereal", "lemon",
        "grape", "strawberry", "pear", "peach", "mango", "cucumber", "lettuce", "bean", "pie",
        "burger", "sausage", "bacon", "steak", "tofu", "oatmeal", "porridge", "biscuit", "muffin",
        "croissant", "avocado", "spinach", "broccoli", "mushroom", "cherry",
    ],
    "colours": [
        "red", "blue", "green", "yellow", "purple", "orange", "pink", "brown", "black", "white",
        "grey", "gray", "violet", "turquoise", "crimson", "scarlet", "beige", "magenta", "cyan",
        "indigo", "maroon", "teal", "ivory", "amber", "lavender",
    ],
    "family": [
        "mother", "father", "mom", "dad", "sister", "brother", "daughter", "son", "aunt", "uncle",
        "cousin", "grandmother", "grandfather", "grandma", "grandpa", "niece", "nephew", "wife",
        "husband", "parent", "sibling", "grandson", "granddaughter", "stepmother", "stepfather",
    ],
    "body": [
        "head", "hand", "arm", "leg", "foot", "knee", "elbow", "shoulder", "finger", "toe", "nose",
        "mouth", "ear", "eye", "tooth", "lip", "neck", "chest", "stomach", "lung", "liver",
        "kidney", "brain", "skin", "bone", "muscle", "wrist", "ankle", "thumb", "chin", "forehead",
        "cheek", "hip", "spine", "eyebrow",
    ],
    "vehicles": [
        "car", "bus", "truck", "bicycle", "bike", "train", "tram", "plane", "airplane",
        "helicopter", "boat", "ship", "ferry", "motorcycle", "scooter", "van", "taxi", "tractor",
        "subway", "canoe", "yacht", "submarine", "jeep", "rocket", "sled", "wagon", "lorry",
        "minibus",
    ],
    "places": [
        "france", "germany", "spain", "italy", "japan", "china", "india", "brazil", "canada",
        "mexico", "egypt", "kenya", "nigeria", "peru", "chile", "norway", "sweden", "finland",
        "poland", "greece", "portugal", "ireland", "australia", "argentina", "vietnam", "thailand",
        "morocco", "paris", "london", "berlin", "madrid", "rome", "tokyo", "beijing", "delhi",
        "cairo", "nairobi", "lagos", "lima", "oslo", "stockholm", "helsinki", "warsaw", "athens",
        "lisbon", "dublin", "sydney", "toronto", "chicago", "boston", "seattle", "mumbai",
        "istanbul", "vienna", "prague", "amsterdam", "barcelona",
    ],
    "emotions_positive": [
        "happy", "joyful", "glad", "delighted", "cheerful", "grateful", "proud", "excited",
        "hopeful", "thrilled", "pleased", "relieved", "optimistic", "elated", "serene", "joy",
        "happiness", "gratitude", "delight", "contentment",
    ],
    "emotions_negative": [
        "sad", "angry", "afraid", "scared", "anxious", "lonely", "miserable", "furious", "nervous",
        "worried", "upset", "jealous", "ashamed", "guilty", "frustrated", "gloomy", "depressed",
        "terrified", "grief", "sorrow", "fear", "anger", "sadness", "anxiety", "despair", "panic",
        "shame",
    ],
    "music": [
        "guitar", "piano", "violin", "drum", "flute", "trumpet", "cello", "saxophone", "harp",
        "clarinet", "melody", "song", "chord", "rhythm", "symphony", "concert", "orchestra",
        "choir", "lyrics", "album", "jazz", "opera", "guitarist", "pianist", "singer", "sonata",
        "ballad",
    ],
    "clothing": [
        "shirt", "jacket", "coat", "dress", "skirt", "trousers", "jeans", "sock", "shoe", "boot",
        "hat", "scarf", "glove", "sweater", "hoodie", "blouse", "belt", "sandal", "uniform",
        "pajamas", "raincoat", "vest", "apron",
    ],
    "professions": [
        "teacher", "engineer", "farmer", "baker", "pilot", "plumber", "carpenter", "architect",
        "electrician", "journalist", "firefighter", "librarian", "mechanic", "programmer",
        "scientist", "accountant", "cashier", "gardener", "tailor", "painter",
    ],
    "days_months": [
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
        "february", "april", "june", "july", "august", "september", "october", "november",
        "december",
    ],
    "number_words": [
        "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "twenty", "thirty", "forty", "fifty", "hundred", "thousand", "million", "billion", "dozen",
    ],
    "science": [
        "atom", "molecule", "electron", "proton", "neutron", "gravity", "photon", "enzyme",
        "protein", "genome", "physics", "chemistry", "biology", "hypothesis", "experiment",
        "equation", "laboratory", "microscope", "telescope", "galaxy", "planet", "orbit", "quantum",
        "particle", "isotope", "fossil", "neuron", "catalyst", "velocity", "entropy",
    ],
    "law": [
        "court", "judge", "lawyer", "attorney", "verdict", "lawsuit", "contract", "statute", "jury",
        "plaintiff", "defendant", "testimony", "evidence", "trial", "legislation", "tribunal",
        "prosecutor", "felony", "warrant", "subpoena", "ruling", "parole", "bail",
    ],
    "religion": [
        "church", "temple", "mosque", "synagogue", "prayer", "priest", "monk", "nun", "rabbi",
        "imam", "bible", "quran", "torah", "hymn", "sermon", "faith", "worship", "pilgrimage",
        "ritual", "sacred", "holy", "saint", "chapel", "cathedral", "scripture", "blessing",
        "monastery", "shrine",
    ],
    "technology": [
        "computer", "laptop", "smartphone", "software", "internet", "server", "database",
        "algorithm", "processor", "keyboard", "router", "website", "browser", "app", "robot",
        "sensor", "microchip", "wifi", "bluetooth", "password", "download", "printer", "battery",
        "gadget", "firmware",
    ],
    "civic": [
        "election", "vote", "ballot", "parliament", "senate", "mayor", "citizen", "council",
        "democracy", "constitution", "referendum", "governor", "candidate", "census", "minister",
        "president", "embassy", "passport", "ministry", "voter", "municipality",
    ],
}
# fmt: on

# Irregular plurals the templates use and the detectors undo.
IRREGULAR_PLURALS: dict[str, str] = {
    "mouse": "mice",
    "goose": "geese",
    "tooth": "teeth",
    "foot": "feet",
    "wife": "wives",
    "sheep": "sheep",
    "deer": "deer",
    "moose": "moose",
    "fish": "fish",
    "child": "children",
    "octopus": "octopuses",
    "jeans": "jeans",
    "trousers": "trousers",
    "pajamas": "pajamas",
    "lyrics": "lyrics",
    "physics": "physics",
    "shelf": "shelves",
}


def plural(word: str) -> str:
    """The English plural of a lowercase noun, by the simple rules the detectors invert."""
    if word in IRREGULAR_PLURALS:
        return IRREGULAR_PLURALS[word]
    if word.endswith(("s", "x", "z", "ch", "sh")) or word in ("potato", "tomato", "hero"):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


# Neutral vocabulary: nouns and rooms that belong to no lexicon and no semantic topic, so a
# template built from them realizes only the concept it was asked for.
# fmt: off
_OBJECTS = [
    "box", "parcel", "lamp", "drawer", "table", "chair", "shelf", "folder", "basket", "ladder",
    "bucket", "mirror", "notebook", "envelope", "blanket", "bottle", "cupboard", "bench", "curtain",
    "pillow", "suitcase", "key", "candle", "rug", "vase", "jar", "sofa", "broom", "crate",
    "package", "map", "book", "stool", "tray", "towel", "cushion", "clock",
]
_ROOMS = [
    "hallway", "garden", "attic", "corner", "porch", "garage", "cellar", "yard", "office", "shed",
    "workshop", "lobby", "studio", "storeroom", "basement", "courtyard",
]
_PEOPLE = ["the neighbour", "a visitor", "the guest", "the tenant", "the owner", "a stranger"]
_CAPS = [
    "STOP", "EXIT", "DANGER", "URGENT", "WARNING", "CLOSED", "FRAGILE", "PRIVATE", "NOTICE", "SALE",
    "UNESCO", "NASA", "FAQ", "ASAP",
]
# fmt: on
_DOMAINS = [
    "example.org",
    "openlab.net",
    "northwind.com",
    "paperhouse.io",
    "quietriver.org",
    "bluebird.dev",
    "stonebridge.co.uk",
    "lighthouse.info",
]
_PATHS = ["help", "guide", "docs/start", "about", "news/latest", "faq", "shop/items", "contact"]
_USERS = ["anna.berg", "j.smith", "info", "support", "mark_lee", "office", "hello", "t.nakamura"]
_IDENTIFIERS = ["value", "items", "user", "config", "path", "buffer", "record", "index", "token"]

# Topic sentences for the semantic concepts; they avoid lexicon words, digits, negation and
# first-person pronouns so that adding one realizes only its topic.
_TOPIC_SENTENCES: dict[str, list[str]] = {
    "sports": [
        "The striker scored twice in the second half.",
        "The goalkeeper saved a penalty in extra time.",
        "The home team won the championship final.",
        "The coach praised the players after the victory.",
        "The tennis champion served an ace on match point.",
        "The sprinter set a new record in the final race.",
        "The basketball team won the league title.",
        "The swimmer won gold in the relay.",
        "The rugby side scored a late try to win the match.",
        "Fans cheered as the team lifted the trophy.",
        "The midfielder passed the ball to the striker.",
        "The volleyball team won the deciding set.",
        "The team qualified for the football tournament.",
        "The athletes trained hard before the championship.",
        "The goalkeeper dived to stop the shot.",
        "The team celebrated the winning goal.",
        "The tennis player won the match in straight sets.",
        "The striker missed an open goal in the final.",
    ],
    "medicine": [
        "The doctor prescribed antibiotics for the infection.",
        "The surgeon operated on the patient for hours.",
        "The vaccine protects against the flu virus.",
        "The pharmacist explained the dosage of the pills.",
        "The clinic treats patients with chronic illness.",
        "The patient recovered well after the surgery.",
        "The doctor diagnosed a mild infection.",
        "The hospital admitted the patient with a high fever.",
        "The physician recommended rest and medication.",
        "The disease spread quickly through the hospital ward.",
        "The patient received an injection of insulin.",
        "The medicine eased the symptoms of the illness.",
        "The paramedics treated the injured patient.",
        "Doctors are testing a new treatment for the disease.",
        "The nurse gave the patient a dose of painkillers.",
        "The hospital ward was full of patients with the virus.",
    ],
    "weather": [
        "Heavy rain is expected later.",
        "A thunderstorm rolled in with strong winds.",
        "The forecast promises sunshine and mild temperatures.",
        "Snow covered the roads overnight.",
        "Thick fog hung over the valley.",
        "A heatwave brought scorching temperatures.",
        "Strong winds and hail battered the coast.",
        "The sky cleared after the storm.",
        "Freezing rain made the streets icy.",
        "A light drizzle fell throughout the day.",
        "The temperature dropped below freezing overnight.",
        "The forecast warns of gales along the coast.",
        "Sunny skies and a warm breeze are expected.",
        "Dark clouds gathered and rain began to pour.",
        "A blizzard brought heavy snow and icy winds.",
        "Rain and strong winds are forecast for tonight.",
    ],
    "cooking": [
        "Simmer the sauce gently and stir often.",
        "Preheat the oven and bake the dough until golden.",
        "Chop the herbs and add them to the pot.",
        "Season the stew and let it simmer slowly.",
        "Grill the meat over a medium flame.",
        "Whisk the batter and pour it into the frying pan.",
        "Fry the vegetables in a little oil.",
        "Marinate the meat before grilling it.",
        "Bake the loaf until the crust is crisp.",
        "Blend the sauce until smooth and season to taste.",
        "Slice the vegetables thinly and steam them.",
        "The recipe calls for a pinch of salt and fresh herbs.",
        "Roast the meat in a hot oven.",
        "The chef seasoned the stew and tasted the sauce.",
        "Stir the sauce while it simmers on the stove.",
        "Bake the loaf in a hot oven.",
        "Grill the meat and season it with salt.",
        "Roast the vegetables in the oven.",
        "Whisk the batter and fry it in the pan.",
    ],
}

# Templates per lexicon category; {w} is a word, {ws} its plural, {W} it capitalised,
# {obj}/{objs}/{room}/{who} are neutral fillers.
_LEXICON_TEMPLATES: dict[str, list[str]] = {
    "animals": [
        "{A_w} rested near the {obj}.",
        "The {w} hid behind the {obj} in the {room}.",
        "Several {ws} crossed the path by the {room}.",
        "{Who} spotted {a_w} in the {room}.",
        "A small {w} slept beside the {obj}.",
    ],
    "food": [
        "{Who} bought some {ws} at the market.",
        "The basket was full of {ws}.",
        "There were {ws} on the {obj}.",
        "{Who} shared the {w} with everyone.",
        "They had {w} after the long walk.",
    ],
    "colours": [
        "The {obj} was painted {w}.",
        "{Who} chose {a_w} {obj}.",
        "The {w} {obj} stood in the {room}.",
        "Everything in the {room} looked {w}.",
    ],
    "family": [
        "His {w} carried the {obj} to the {room}.",
        "The {w} opened the {obj} slowly.",
        "Their {ws} waited in the {room}.",
        "Her {w} fixed the {obj} in the {room}.",
    ],
    "body": [
        "He scratched his {w} while reading.",
        "She rested her {w} on the {obj}.",
        "{Who} bumped {a_w} against the {obj}.",
        "His {w} ached after moving the {obj}.",
    ],
    "vehicles": [
        "{A_w} stopped outside the {room}.",
        "They waited for the {w} near the {room}.",
        "The {w} moved slowly along the road.",
        "{Who} travelled there by {w}.",
        "Several {ws} were parked by the {room}.",
    ],
    "places": [
        "The {obj} was shipped to {W}.",
        "{Who} spent a quiet week in {W}.",
        "{Who} came from {W}.",
        "They moved to {W} last year.",
    ],
    "emotions_positive": [
        "{Who} felt {w} after the long talk.",
        "After the call, everyone felt {w}.",
        "They all felt {w} when the {obj} arrived.",
    ],
    "emotions_negative": [
        "{Who} felt {w} after the long talk.",
        "After the call, everyone felt {w}.",
        "They all felt {w} when the {obj} arrived.",
    ],
    "music": [
        "The {w} sounded lovely in the {room}.",
        "{Who} listened to the {w} in the {room}.",
        "They talked about the {w} for a while.",
    ],
    "clothing": [
        "He hung his {w} by the {obj}.",
        "She folded the {w} and put it in the {obj}.",
        "{A_w} was left in the {room}.",
        "{Who} bought new {ws}.",
    ],
    "professions": [
        "The {w} repaired the {obj} in the {room}.",
        "{A_w} waited in the {room}.",
        "The {w} carried the {obj} outside.",
    ],
    "days_months": ["The {obj} arrived on {W}.", "They cleaned the {room} on {W}."],
    "number_words": [
        "The {room} held {w} {objs}.",
        "{Who} counted {w} {objs} on the shelf.",
    ],
}
_ABSTRACT_TEMPLATES = [
    "The report described the {w} in detail.",
    "Everyone talked about the {w} at the meeting.",
    "The letter mentioned the {w} twice.",
    "A short article explained the {w}.",
    "{Who} asked about the {w}.",
]
_MONTHS = {
    "january",
    "february",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
}

# Templates for the pattern concepts; {n} small numbers, {y} years, and so on.
_PATTERN_TEMPLATES: dict[str, list[str]] = {
    "numbers": [
        "The {obj} weighs {n} kilograms.",
        "There are {n} {objs} in the {room}.",
        "The {room} is {n} metres long.",
        "Only {pct}.{d} percent of the {objs} were sold.",
    ],
    "years": [
        "The {obj} was made in {y}.",
        "The {room} was rebuilt in {y}.",
        "In {y}, the old {room} was closed.",
    ],
    "times": [
        "{Who} arrives at {h}:{mm}.",
        "The {room} opens at {h12} {ampm}.",
        "Lunch is served at {h}:{mm}.",
        "The delivery came at {h12}:{mm} {ampm}.",
    ],
    "prices": [
        "The {obj} costs ${n}.{cc}.",
        "She paid €{n} for the {obj}.",
        "The {obj} sold for £{n}.",
        "A new {obj} is {n} dollars.",
    ],
    "urls": [
        "More details are at https://{dom}/{path}.",
        "See www.{dom} for the full guide.",
        "The page http://{dom}/{path} explains it.",
    ],
    "emails": [
        "Write to {user}@{dom} for help.",
        "Send the form to {user}@{dom}.",
        "Contact {user}@{dom} about the {obj}.",
    ],
    "all_caps": [
        "The sign on the {obj} said {caps}.",
        "He wrote {caps} across the {obj}.",
        "The label read {caps} in bold letters.",
    ],
    "questions": [
        "Where did the {obj} go?",
        "Is the {obj} in the {room}?",
        "Who moved the {obj}?",
        "Why is the {room} so quiet?",
        "How heavy is the {obj}?",
        "Could someone open the {obj}?",
    ],
    "negation": [
        "The {obj} is not in the {room}.",
        "Nobody opened the {obj}.",
        "The {obj} never arrived.",
        "They didn't move the {obj}.",
        "There is no {obj} in the {room}.",
        "She can't find the {obj}.",
    ],
    "first_person": [
        "I left the {obj} in the {room}.",
        "We painted the {obj} together.",
        "My {obj} is in the {room}.",
        "The neighbour gave us the {obj}.",
        "Our {obj} stays in the {room}.",
    ],
    "quotations": [
        '"Leave the {obj} in the {room}," she said.',
        'He said, "The {obj} is ready."',
        'The note read "handle the {obj} with care".',
        "“Bring the {obj} inside,” he whispered.",
    ],
    "code": [
        "Call get_{ident}() before the loop.",
        "Set {ident}_count = 0 in the config.",
        "The function load{Ident}() returns a list.",
        "Use {ident}_list.append(item) here.",
        "The value lives in data[{ident}_key].",
    ],
}

# Extra free templates that mix categories, used only by `corpus` for variety.
_MIXED_TEMPLATES = [
    "The {professions} from {places} bought a {colours} {vehicles} for ${n}.",
    "Last {days_months}, my {family} cooked {food} and played the {music}.",
    "Did the {animals} in {places} really eat the {food}?",
    "Shopping list: {food}, {food}, {food} and a {clothing}.",
    '"Is the {vehicles} ready?" asked the {professions}.',
    "The {civic} and the {law} were discussed in {places} in {y}.",
    "A {science} study found that {animals} prefer {colours} light.",
    "Q: Where is the {technology}? A: It is next to the {obj}.",
    "The {religion} near the {room} was quiet on {days_months}.",
    "{Who} felt {emotions_positive} but also a little {emotions_negative}.",
    "Her {family} plays the {music} every {days_months} at {h}:{mm}.",
    "Error in {ident}_handler: expected a list, got None.",
]


def _fill(template: str, rng: random.Random, word: str = "") -> str:
    """Fill a template's slots with words drawn from `rng`."""
    obj = rng.choice(_OBJECTS)
    ident = rng.choice(_IDENTIFIERS)
    who = rng.choice(_PEOPLE)
    values = {
        "w": word,
        "a_w": f"{'an' if word[:1] in 'aeiou' else 'a'} {word}",
        "A_w": f"{'An' if word[:1] in 'aeiou' else 'A'} {word}",
        "pct": str(rng.randint(1, 99)),
        "ws": plural(word),
        "W": word.capitalize(),
        "obj": obj,
        "objs": plural(obj),
        "room": rng.choice(_ROOMS),
        "who": who,
        "Who": who.capitalize(),
        "n": str(rng.randint(2, 999)),
        "d": str(rng.randint(1, 9)),
        "y": str(rng.randint(1600, 2030)),
        "h": str(rng.randint(0, 23)),
        "h12": str(rng.randint(1, 12)),
        "mm": f"{rng.randrange(0, 60, 5):02d}",
        "ampm": rng.choice(["am", "pm"]),
        "cc": f"{rng.randint(0, 99):02d}",
        "dom": rng.choice(_DOMAINS),
        "path": rng.choice(_PATHS),
        "user": rng.choice(_USERS),
        "caps": rng.choice(_CAPS),
        "ident": ident,
        "Ident": ident.capitalize(),
    }

    # Fill slot by slot so that repeated slots ({food}, {food}) draw fresh words.
    def slot(match: re.Match[str]) -> str:
        key = match.group(1)
        if key in LEXICONS:
            picked = rng.choice(LEXICONS[key])
            return picked.capitalize() if key in ("places", "days_months") else picked
        return values[key]

    return re.sub(r"\{(\w+)\}", slot, template)


def realize(concept: str, rng: random.Random) -> str:
    """One short sentence that expresses `concept` (a text concept name) and little else.

    Raises:
        ModelsError: the concept has no realization here.
    """
    if concept in _TOPIC_SENTENCES:
        return rng.choice(_TOPIC_SENTENCES[concept])
    if concept in _PATTERN_TEMPLATES:
        return _fill(rng.choice(_PATTERN_TEMPLATES[concept]), rng)
    if concept in LEXICONS:
        word = rng.choice(LEXICONS[concept])
        if concept == "days_months":
            template = (
                "The {obj} arrived in {W}." if word in _MONTHS else "The {obj} arrived on {W}."
            )
            if rng.random() < 0.5:
                template = template.replace("The {obj} arrived", "They cleaned the {room}")
        else:
            template = rng.choice(_LEXICON_TEMPLATES.get(concept, _ABSTRACT_TEMPLATES))
        return _fill(template, rng, word)
    raise ModelsError(
        f"no way to write a text about {concept!r}; known: {choices(concept_names())}"
    )


def concept_names() -> list[str]:
    """Every concept that `realize` and `sentences_with` can write about."""
    return [*LEXICONS, *_PATTERN_TEMPLATES, *_TOPIC_SENTENCES]


def corpus(n: int = 2000, seed: int = 0) -> list[str]:
    """Diverse short texts (5-40 words) over many topics and forms, deterministic in `seed`.

    Args:
        n: how many texts.
        seed: the random seed; the same seed gives the same list.

    Returns:
        `n` distinct texts.

    Raises:
        ModelsError: `n` is below 1.
    """
    if n < 1:
        raise ModelsError(f"corpus size must be at least 1, got {n}")
    rng = random.Random(seed)
    names = concept_names()
    texts: list[str] = []
    seen: set[str] = set()
    attempts = 0
    while len(texts) < n:
        attempts += 1
        if attempts > 50 * n:
            # Only reachable for huge n: the templates cannot yield that many distinct texts.
            raise ModelsError(f"could only build {len(texts)} distinct texts, asked for {n}")
        if rng.random() < 0.2:
            text = _fill(rng.choice(_MIXED_TEMPLATES), rng)
        else:
            # up to four concepts per text, so that most concept pairs co-occur in a corpus of
            # a few thousand texts (exemplars of AND units need such texts)
            parts = [realize(rng.choice(names), rng) for _ in range(rng.randint(1, 4))]
            text = " ".join(parts)
        if text in seen or not 5 <= len(text.split()) <= 40:
            continue
        seen.add(text)
        texts.append(text)
    return texts


#: Minimum detector score for a concept to count as present, and maximum for absent.
PRESENT_AT = 0.6
ABSENT_BELOW = 0.4


def sentences_with(include: list[str], exclude: list[str], n: int, seed: int) -> list[str]:
    """Texts that contain every concept in `include` and none in `exclude`.

    Each text joins a sentence realizing each included concept with up to two sentences about
    other, non-excluded concepts, in random order. Every candidate is then checked with the
    concept detectors of `models.synthetic.text` (present: score >= PRESENT_AT somewhere;
    absent: score < ABSENT_BELOW everywhere), so accidental mentions are filtered out.

    Args:
        include: concept names that must all be present.
        exclude: concept names that must all be absent.
        n: how many texts.
        seed: the random seed; the same arguments give the same texts.

    Returns:
        `n` texts (distinct where the templates allow).

    Raises:
        ModelsError: unknown concept names, a concept both included and excluded, or no
            satisfying texts found within the attempt budget.
    """
    # Imported here: the detectors import LEXICONS from this module.
    from models.synthetic.text import text_concept_scores

    include, exclude = list(include), list(exclude)
    known = concept_names()
    for name in [*include, *exclude]:
        if name not in known:
            raise ModelsError(f"unknown text concept {name!r}; valid: {choices(known)}")
    both = set(include) & set(exclude)
    if both:
        raise ModelsError(f"concepts cannot be both included and excluded: {sorted(both)}")
    if n < 1:
        raise ModelsError(f"n must be at least 1, got {n}")
    rng = random.Random(f"{seed}|{'+'.join(include)}|{'-'.join(exclude)}")
    fillers = [c for c in known if c not in include and c not in exclude]
    checked = [*include, *exclude]
    accepted: list[str] = []
    seen: set[str] = set()
    for _ in range(40):
        candidates = []
        for _ in range((3 * (n - len(accepted))) // 2 + 4):
            parts = [realize(c, rng) for c in include]
            extra = rng.randint(0 if include else 1, 2)
            parts += [realize(rng.choice(fillers), rng) for _ in range(extra)]
            rng.shuffle(parts)
            candidates.append(" ".join(parts))
        if checked:
            scores, _ = text_concept_scores(checked, candidates)
            presence = scores.max(axis=2)
        for i, text in enumerate(candidates):
            if checked:
                row = presence[i]
                if (row[: len(include)] < PRESENT_AT).any():
                    continue
                if (row[len(include) :] >= ABSENT_BELOW).any():
                    continue
            if text in seen:
                continue
            seen.add(text)
            accepted.append(text)
            if len(accepted) == n:
                return accepted
    raise ModelsError(
        f"could not write {n} texts with {include} and without {exclude} "
        f"(found {len(accepted)}); the combination may be contradictory"
    )


def texts_from_file(path: str | Path, limit: int | None = None) -> list[str]:
    """Read texts from a UTF-8 file: one per paragraph if blank lines separate paragraphs,
    else one per non-empty line.

    Args:
        path: the file to read.
        limit: keep at most this many texts (the first ones).

    Returns:
        The validated texts (see `models.stimuli_io.check_texts`).

    Raises:
        StimulusError: the file is missing, unreadable, not UTF-8 or holds no text.
    """
    file = Path(path)
    if not file.is_file():
        raise StimulusError(f"no text file at {str(file)!r}")
    if limit is not None and limit < 1:
        raise StimulusError(f"limit must be at least 1, got {limit}")
    try:
        content = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise StimulusError(f"cannot read {str(file)!r} as UTF-8 text ({error})") from error
    content = content.replace("\r\n", "\n")
    if re.search(r"\n[ \t]*\n", content.strip()):
        blocks = re.split(r"\n[ \t]*\n", content)
        texts = [" ".join(line.strip() for line in b.splitlines() if line.strip()) for b in blocks]
    else:
        texts = [line.strip() for line in content.splitlines()]
    texts = [t for t in texts if t]
    if not texts:
        raise StimulusError(f"{str(file)!r} holds no text: write one text per line")
    if limit is not None:
        texts = texts[:limit]
    return check_texts(texts)
