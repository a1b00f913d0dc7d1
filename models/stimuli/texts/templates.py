"""Templates and neutral words the offline text writer fills (no lexicon word in the neutral lists)."""

from __future__ import annotations

# Neutral vocabulary: nouns and rooms that belong to no lexicon and no semantic topic, so a
# template built from them realizes only the concept it was asked for.
# fmt: off
OBJECTS = [
    "box", "parcel", "lamp", "drawer", "table", "chair", "shelf", "folder", "basket", "ladder",
    "bucket", "mirror", "notebook", "envelope", "blanket", "bottle", "cupboard", "bench", "curtain",
    "pillow", "suitcase", "key", "candle", "rug", "vase", "jar", "sofa", "broom", "crate",
    "package", "map", "book", "stool", "tray", "towel", "cushion", "clock",
]


ROOMS = [
    "hallway", "garden", "attic", "corner", "porch", "garage", "cellar", "yard", "office", "shed",
    "workshop", "lobby", "studio", "storeroom", "basement", "courtyard",
]


PEOPLE = ["the neighbour", "a visitor", "the guest", "the tenant", "the owner", "a stranger"]


CAPS = [
    "STOP", "EXIT", "DANGER", "URGENT", "WARNING", "CLOSED", "FRAGILE", "PRIVATE", "NOTICE", "SALE",
    "UNESCO", "NASA", "FAQ", "ASAP",
]


# fmt: on
DOMAINS = [
    "example.org",
    "openlab.net",
    "northwind.com",
    "paperhouse.io",
    "quietriver.org",
    "bluebird.dev",
    "stonebridge.co.uk",
    "lighthouse.info",
]


PATHS = ["help", "guide", "docs/start", "about", "news/latest", "faq", "shop/items", "contact"]


USERS = ["anna.berg", "j.smith", "info", "support", "mark_lee", "office", "hello", "t.nakamura"]


IDENTIFIERS = ["value", "items", "user", "config", "path", "buffer", "record", "index", "token"]


# Topic sentences for the semantic concepts; they avoid lexicon words, digits, negation and
# first-person pronouns so that adding one realizes only its topic.
TOPIC_SENTENCES: dict[str, list[str]] = {
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
LEXICON_TEMPLATES: dict[str, list[str]] = {
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


ABSTRACT_TEMPLATES = [
    "The report described the {w} in detail.",
    "Everyone talked about the {w} at the meeting.",
    "The letter mentioned the {w} twice.",
    "A short article explained the {w}.",
    "{Who} asked about the {w}.",
]


MONTHS = {
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
PATTERN_TEMPLATES: dict[str, list[str]] = {
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
MIXED_TEMPLATES = [
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
