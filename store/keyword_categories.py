"""Categories and colours for imported products, derived from words in their descriptions.

The UCI Online Retail file has no category column; these ordered keyword rules map its
descriptions ("WHITE HANGING HEART T-LIGHT HOLDER") onto the demo shop's categories, so
imported and generated data share one vocabulary. The first matching rule wins, which is
why the specific rules (jewellery, bags) come before the broad ones (gifts).
"""

from __future__ import annotations

import re

from store.colours import COLOUR_WORDS as SHARED_COLOUR_WORDS

# (category, keywords); a keyword matches as a whole word, plural -S/-ES allowed.
# fmt: off
CATEGORY_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("jewellery", ("NECKLACE", "BRACELET", "EARRINGS", "BANGLE", "BROOCH", "JEWELLERY",
                   "JEWEL", "DIAMANTE", "PENDANT", "CHARM", "NECKLAC")),  # sic: cut-off descriptions
    ("clothing accessories", ("SCARF", "GLOVES", "HAT", "UMBRELLA", "HAIR", "SLIPPERS",
                              "SOCKS", "HANDWARMER", "PONCHO", "SUNGLASSES", "HAIRCLIP")),
    ("bags", ("BAG", "HANDBAG", "TOTE", "SHOPPER", "PURSE", "BACKPACK", "RUCKSACK", "WASHBAG",
              "LUNCHBAG")),
    ("lighting", ("T-LIGHT", "TLIGHT", "LIGHT", "LANTERN", "LAMP", "CANDLE", "LAMPSHADE",
                  "NIGHTLIGHT", "CANDLEHOLDER", "LIGHTS")),
    ("garden", ("GARDEN", "PLANT", "PLANTER", "FLOWER POT", "WATERING CAN", "BIRD",
                "BIRDHOUSE", "HERB", "SEED", "GNOME", "TRUG", "PARASOL", "GARDENERS")),
    ("toys", ("TOY", "GAME", "DOLL", "DOLLY", "PLAYHOUSE", "PUZZLE", "JIGSAW", "SKIPPING ROPE",
              "SPACEBOY", "DOMINOES", "CRAYONS", "CHILDRENS", "CHILDREN'S", "KIDS", "SOLDIER",
              "TEDDY", "BALLOON", "SKITTLES", "BINGO", "CIRCUS", "PARTY", "MAGIC", "KNITTING")),
    ("kitchen", ("MUG", "CUP", "PLATE", "BOWL", "JAR", "TEA", "TEAPOT", "TEACUP", "CAKE",
                 "CAKESTAND", "BAKING", "LUNCH BOX", "CUTLERY", "SPOON", "TRAY", "RECIPE",
                 "JUG", "APRON", "OVEN", "NAPKIN", "TIN", "COFFEE", "KITCHEN", "BREAD", "EGG",
                 "CHOPSTICKS", "COASTER", "PANTRY", "SNACK", "BISCUIT", "JELLY", "STRAWS",
                 "BEAKER", "TUMBLER", "PICNIC", "CAKE CASES", "DRAWER KNOB")),
    ("stationery", ("CARD", "PAPER", "NOTEBOOK", "PEN", "PENCIL", "WRAP", "STICKER",
                    "CALENDAR", "NOTE", "ENVELOPE", "JOURNAL", "DIARY", "ERASER", "TAPE",
                    "TAG", "NOTECARD", "BOOK", "RULER", "STAMP", "CHALK", "BLACKBOARD")),
    ("gifts", ("GIFT", "CHRISTMAS", "XMAS", "DECORATION", "BAUBLE", "ADVENT", "BIRTHDAY",
               "EASTER", "VALENTINE", "KEY RING", "KEYRING", "BATH", "SOAP", "FRAGRANCE",
               "WEDDING", "HOT WATER BOTTLE", "HOTTIE", "SWEETHEART")),
)
# fmt: on
DEFAULT_CATEGORY = "home decor"

# Description word -> the colour name products store ("GRAY" -> "Grey"), from the one list.
COLOUR_WORDS = {word.upper(): colour.title() for word, colour in SHARED_COLOUR_WORDS.items()}


def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![A-Z])(?:{alternatives})(?:S|ES)?(?![A-Z])")


_RULES = tuple((category, _pattern(words)) for category, words in CATEGORY_RULES)
_COLOUR = _pattern(tuple(COLOUR_WORDS))


def category_for(description: str) -> str:
    """The shop category a product description belongs to ("home decor" when unsure)."""
    text = description.upper()
    for category, pattern in _RULES:
        if pattern.search(text):
            return category
    return DEFAULT_CATEGORY


def colour_for(description: str) -> str | None:
    """The first colour named in a description, if any."""
    match = _COLOUR.search(description.upper())
    if not match:
        return None
    word = match.group(0)
    return COLOUR_WORDS.get(word) or COLOUR_WORDS.get(word.rstrip("S"))
