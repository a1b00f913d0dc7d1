"""Word lists of the lexicon concepts (pairwise disjoint, lowercase), narrower sub-lexicons
inside them, and English plurals."""

from __future__ import annotations

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


# Narrower concepts inside one lexicon: every word is also in the parent lexicon, so a token can
# be both ("cat" is an animal, a pet and a cat). They make "animals that are not pets" and
# "cats" expressible.
SUBLEXICONS: dict[str, list[str]] = {
    "pets": ["dog", "cat", "hamster", "rabbit", "parrot"],
    "cats": ["cat"],
}


#: The lexicon each sub-lexicon narrows.
SUBLEXICON_PARENT: dict[str, str] = {"pets": "animals", "cats": "animals"}


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
