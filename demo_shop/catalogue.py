"""The demo shop's product catalogue: vocabulary, price ranges and planted bundles.

``build_catalogue`` turns the vocabulary below into ~300 real-sounding products across ten
categories. Some products come in matching sets ("bundles": a lamp base, its shade and a
bulb of one collection) that the order generator buys together, so a recommender has
co-purchase structure to learn. Everything is drawn from the ``random.Random`` passed in.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

CATEGORIES = ("home decor", "kitchen", "lighting", "garden", "toys", "stationery", "bags",
              "jewellery", "clothing accessories", "gifts")
SKU_PREFIX = dict(zip(CATEGORIES, ("HDC", "KIT", "LGT", "GDN", "TOY", "STN", "BAG", "JWL",
                                   "ACC", "GFT"), strict=True))

# The demo shop's palette: colour names its products are given (data, not vocabulary). They
# reach recsys and the Rasa side through the products table; the words that name a colour in
# free text are one list in store/colours.py.
COLOURS = (
    "Ivory", "Charcoal", "Sage Green", "Dusky Pink", "Navy", "Mustard", "Terracotta",
    "Natural", "Black", "White", "Teal", "Ochre", "Grey", "Forest Green", "Rust", "Cream",
)

# Materials that decide the colour themselves ("Brass Photo Frame in Navy" would be odd).
MATERIAL_COLOUR = {
    "Brass": "Brass", "Antique Brass": "Brass", "Copper": "Copper", "Oak": "Natural Oak",
    "Walnut": "Walnut", "Glass": "Clear", "Silver-Plated": "Silver", "Sterling Silver":
    "Silver", "Gold-Plated": "Gold", "Rattan": "Natural", "Jute": "Natural", "Bamboo":
    "Natural", "Galvanised": "Silver", "Terracotta": "Terracotta", "Beech": "Natural",
    "Pine": "Natural", "Wicker": "Natural", "Rose Gold": "Rose Gold", "Pewter": "Pewter",
}

# Nouns that come in a choice of colours; the rest ("Board Game") have no colour.
COLOURED_NOUNS = frozenset({
    "Cushion Cover", "Throw", "Vase", "Wall Clock", "Doorstop", "Storage Basket", "Mug",
    "Dinner Plate Set", "Serving Bowl", "Storage Jar", "Tea Towel Set", "Cake Tin",
    "Utensil Pot", "Tea Cosy", "Table Lamp", "Bedside Lamp", "Lamp Shade", "Pendant Shade",
    "Wall Light", "Floor Lamp", "Planter", "Watering Can", "Outdoor Cushion", "Kneeler",
    "Notebook", "Pencil Case", "Tote Bag", "Backpack", "Cross-Body Bag", "Purse",
    "Weekend Bag", "Wash Bag", "Lunch Bag", "Jewellery Box", "Scarf", "Gloves", "Beanie Hat",
    "Umbrella", "Leather Belt", "Personalised Mug", "Soft Toy", "Kite", "Gift Box",
})
# Bundle items whose names contain these words carry no colour (a bulb, bird seed).
_UNCOLOURED_WORDS = ("Bulb", "Food", "Seed", "Kit", "Pen", "Highlighter", "Train", "Tags",
                     "Flex", "Snuffer", "Furniture", "Trio", "Silver", "Gold", "Brass", "Wooden")

# category -> [(noun, price low, price high, materials, features, what it is for)]
KINDS: dict[str, list[tuple[str, float, float, tuple[str, ...], tuple[str, ...], str]]] = {
    "home decor": [
        ("Cushion Cover", 12, 32, ("Linen", "Velvet", "Cotton", "Wool"),
         ("with Piped Edge", "with Tassels", "45 x 45 cm"), "Adds soft texture to sofas, beds and reading chairs."),
        ("Throw", 25, 85, ("Wool", "Cotton", "Chunky Knit", "Mohair"),
         ("with Fringed Edge", "130 x 180 cm"), "Generous enough to wrap up in on cold evenings."),
        ("Photo Frame", 9, 34, ("Oak", "Brass", "Silver-Plated", "Walnut"),
         ("for 5 x 7 in Prints", "with Linen Mount"), "Stands on a shelf or hangs on the wall."),
        ("Wall Mirror", 35, 160, ("Brass", "Rattan", "Oak", "Antique Brass"),
         ("with Scalloped Edge", "60 cm Round"), "Brightens a hallway and makes small rooms feel bigger."),
        ("Vase", 12, 55, ("Ceramic", "Glass", "Stoneware", "Speckled Stoneware"),
         ("with Ribbed Finish", "Tall", "Bud"), "Made for fresh stems or dried flowers alike."),
        ("Wall Clock", 22, 70, ("Oak", "Copper", "Beech", "Enamel"),
         ("with Silent Sweep", "30 cm"), "A quiet movement means no ticking at night."),
        ("Storage Basket", 14, 45, ("Rattan", "Jute", "Wicker", "Seagrass"),
         ("with Handles", "Set of Two"), "Keeps throws, toys and magazines tidy."),
        ("Candle Holder", 8, 28, ("Brass", "Glass", "Ceramic", "Pewter"),
         ("for Dinner Candles", "Set of Three"), "Casts a warm glow on mantelpieces and tables."),
        ("Doorstop", 15, 32, ("Cast Iron", "Velvet", "Wool", "Brass"),
         ("Hare", "Sausage Dog"), "Heavy enough to hold a door open in a draught."),
    ],
    "kitchen": [
        ("Mug", 7, 18, ("Stoneware", "Enamel", "Porcelain", "Speckled Stoneware"),
         ("350 ml", "with Glazed Rim"), "Dishwasher and microwave safe."),
        ("Dinner Plate Set", 24, 65, ("Stoneware", "Porcelain", "Bone China"),
         ("Set of Four", "with Reactive Glaze"), "Tough enough for every day, smart enough for guests."),
        ("Serving Bowl", 14, 42, ("Stoneware", "Bamboo", "Acacia Wood", "Glass"),
         ("Large", "with Dipped Glaze"), "Sized for salads, pasta and sharing dishes."),
        ("Chopping Board", 15, 48, ("Oak", "Acacia Wood", "Walnut", "Beech"),
         ("with Juice Groove", "Large"), "Oiled and ready to use, gentle on knife edges."),
        ("Storage Jar", 8, 26, ("Glass", "Ceramic", "Enamel", "Stoneware"),
         ("with Oak Lid", "1 Litre"), "An airtight seal keeps pasta, tea and coffee fresh."),
        ("Tea Towel Set", 9, 22, ("Linen", "Cotton", "Waffle Cotton"),
         ("Striped", "Checked"), "Absorbent, lint-free and softer with every wash."),
        ("Cake Tin", 12, 34, ("Enamel", "Galvanised", "Tin"),
         ("Round 20 cm", "with Vintage Print"), "Keeps bakes fresh for days."),
        ("Utensil Pot", 12, 30, ("Stoneware", "Copper", "Marble", "Enamel"),
         ("Wide", "with Drainage Hole"), "Keeps wooden spoons and whisks close to the hob."),
        ("Tea Cosy", 14, 28, ("Wool", "Cotton", "Tweed"),
         ("Fits Six-Cup Pots", "with Pom-Pom"), "Keeps a pot of tea hot for the second cup."),
    ],
    "lighting": [
        ("Table Lamp", 32, 120, ("Ceramic", "Brass", "Glass", "Oak"),
         ("with Linen Shade", "with Pleated Shade"), "Gives a soft pool of light for reading and relaxing."),
        ("Bedside Lamp", 28, 85, ("Brass", "Ceramic", "Rattan", "Copper"),
         ("with Linen Shade", "with Dimmer Switch"), "Just the right height for a bedside table."),
        ("Floor Lamp", 65, 240, ("Brass", "Oak", "Black Metal", "Antique Brass"),
         ("with Adjustable Arm", "with Drum Shade"), "Lights up a corner and frames an armchair."),
        ("Pendant Shade", 25, 110, ("Rattan", "Glass", "Bamboo", "Paper"),
         ("40 cm", "Dome"), "Fits standard ceiling fittings; no electrician needed."),
        ("Lamp Shade", 16, 48, ("Linen", "Velvet", "Cotton", "Paper"),
         ("Drum 30 cm", "Pleated", "Empire"), "Fits E27 and E14 lamp bases."),
        ("String Lights", 12, 38, ("Copper Wire", "Rattan Ball", "Glass Bulb"),
         ("Battery Powered", "10 m"), "A timer switches them on each evening."),
        ("Lantern", 18, 60, ("Galvanised", "Glass", "Antique Brass", "Rattan"),
         ("Large", "with Handle"), "Use it indoors with candles or outside on summer nights."),
        ("Wall Light", 38, 130, ("Brass", "Ceramic", "Black Metal"),
         ("with Swing Arm", "Plug-In"), "A plug-in cable means no rewiring."),
        ("LED Bulb", 5, 14, ("Filament", "Globe", "Frosted"),
         ("E27 Warm White", "E14 Dimmable"), "Uses a tenth of the energy of an old bulb."),
    ],
    "garden": [
        ("Planter", 14, 75, ("Terracotta", "Galvanised", "Concrete", "Glazed Ceramic"),
         ("with Saucer", "Large"), "Drainage holes keep roots healthy."),
        ("Watering Can", 16, 45, ("Galvanised", "Copper", "Enamel"),
         ("5 Litre", "with Long Spout"), "Its long spout reaches the back of borders."),
        ("Bird Feeder", 12, 40, ("Wooden", "Galvanised", "Ceramic"),
         ("Hanging", "with Seed Tray"), "Easy to fill and easy to clean."),
        ("Garden Tool Set", 18, 55, ("Ash-Handled", "Stainless Steel", "Copper"),
         ("Three-Piece", "with Canvas Roll"), "A trowel, fork and weeder for pots and borders."),
        ("Outdoor Cushion", 18, 42, ("Water-Resistant", "Recycled Polyester", "Cotton Canvas"),
         ("Striped", "50 x 50 cm"), "Shower-proof fabric dries quickly after rain."),
        ("Kneeler", 12, 28, ("Foam", "Waxed Cotton"), ("with Handles", "Padded"),
         "Saves knees and trousers while weeding."),
        ("Plant Mister", 8, 20, ("Glass", "Brass", "Copper"), ("250 ml", "Vintage"),
         "A fine spray for ferns and houseplants."),
        ("Herb Garden Kit", 14, 32, ("Terracotta", "Wooden", "Zinc"),
         ("with Seeds", "Windowsill"), "Everything you need to grow basil, parsley and thyme."),
        ("Solar Lantern", 18, 48, ("Glass", "Rattan", "Black Metal"),
         ("Hanging", "Set of Two"), "Charges by day and glows all evening."),
    ],
    "toys": [
        ("Jigsaw Puzzle", 10, 28, ("1000-Piece", "500-Piece", "Wooden"),
         ("Vintage Map", "Botanical"), "Comes with a poster of the finished picture."),
        ("Wooden Train Set", 25, 70, ("Beech", "Pine", "Painted Wooden"),
         ("30-Piece", "with Bridge"), "Compatible with most wooden railway brands."),
        ("Soft Toy", 10, 30, ("Organic Cotton", "Knitted", "Plush"),
         ("Bunny", "Bear", "Fox"), "Safe from birth and machine washable."),
        ("Building Blocks", 15, 45, ("Beech", "Painted Wooden", "Rubberwood"),
         ("50-Piece", "with Storage Bag"), "Chunky blocks that little hands can grip."),
        ("Board Game", 18, 40, ("Classic", "Family", "Strategy"),
         ("for 2-4 Players", "Travel Edition"), "Quick to learn, with rounds of about 30 minutes."),
        ("Kite", 12, 34, ("Ripstop Nylon", "Paper", "Cotton"),
         ("Diamond", "Stunt"), "Flies in light winds and packs down small."),
        ("Craft Kit", 12, 30, ("Felt", "Embroidery", "Paper-Cutting"),
         ("for Ages 6+", "Beginner"), "Everything included, with step-by-step instructions."),
        ("Tea Set", 16, 42, ("Tin", "Wooden", "Enamel"),
         ("for Two", "in a Gift Box"), "For teddy bear picnics and pretend play."),
    ],
    "stationery": [
        ("Notebook", 6, 22, ("A5 Lined", "A5 Dotted", "Linen-Bound", "Recycled"),
         ("with Elastic Closure", "Pocket Size"), "Fountain-pen friendly 100 gsm paper."),
        ("Pen Set", 6, 28, ("Fine-Liner", "Brass", "Gel", "Ballpoint"),
         ("Refillable", "Black Ink"), "Smooth, quick-drying ink that does not smudge."),
        ("Greeting Card", 3, 6, ("Letterpress", "Foiled", "Hand-Painted"),
         ("Birthday", "Thank You", "Blank"), "Printed on recycled card with a kraft envelope."),
        ("Wall Calendar", 10, 22, ("Botanical", "Illustrated", "Photographic"),
         ("A3", "Month to View"), "A full year to plan, with space for notes."),
        ("Desk Planner", 9, 24, ("Weekly", "Daily", "Undated"),
         ("A4 Pad", "Tear-Off"), "Keeps your week in one place on the desk."),
        ("Wrapping Paper", 4, 12, ("Recycled", "Kraft", "Foiled"),
         ("Three Sheets", "Roll of 5 m"), "Thick enough not to tear at the corners."),
        ("Pencil Case", 8, 20, ("Canvas", "Leather", "Linen"), ("Zip", "Roll-Up"),
         "Holds pens, pencils and a ruler."),
        ("Sticky Notes Set", 4, 10, ("Pastel", "Kraft", "Neon"), ("Set of Four", "Lined"),
         "Peels off cleanly without leaving marks."),
    ],
    "bags": [
        ("Tote Bag", 12, 65, ("Canvas", "Leather", "Jute", "Organic Cotton"),
         ("with Inside Pocket", "Large"), "Big enough for a laptop and the weekly shop."),
        ("Backpack", 35, 120, ("Waxed Canvas", "Leather", "Recycled Nylon"),
         ("with Laptop Sleeve", "Roll-Top"), "Padded straps stay comfortable all day."),
        ("Cross-Body Bag", 28, 95, ("Leather", "Suede", "Canvas"),
         ("with Adjustable Strap", "Mini"), "Keeps phone, keys and cards close."),
        ("Purse", 15, 48, ("Leather", "Velvet", "Canvas"), ("Zip-Around", "Coin"),
         "Card slots and a zipped coin pocket."),
        ("Weekend Bag", 55, 160, ("Leather", "Waxed Canvas", "Tweed"),
         ("with Shoulder Strap", "Large"), "Fits hand luggage limits on most airlines."),
        ("Wash Bag", 12, 35, ("Waxed Cotton", "Linen", "Leather"), ("Hanging", "Zip"),
         "Wipe-clean lining for bottles and brushes."),
        ("Lunch Bag", 10, 24, ("Insulated Canvas", "Recycled Polyester", "Jute"),
         ("with Flask Pocket", "Roll-Top"), "Keeps food cool until lunchtime."),
    ],
    "jewellery": [
        ("Pendant Necklace", 25, 140, ("Sterling Silver", "Gold-Plated", "Rose Gold"),
         ("with Birthstone", "with Pearl Drop"), "Comes on an adjustable 45 cm chain."),
        ("Stud Earrings", 18, 90, ("Sterling Silver", "Gold-Plated", "Rose Gold"),
         ("Star", "Crescent Moon", "Pearl"), "Hypoallergenic posts for sensitive ears."),
        ("Bangle", 22, 95, ("Sterling Silver", "Gold-Plated", "Copper"),
         ("Hammered", "Engraved"), "A slim, stackable design for everyday wear."),
        ("Hoop Earrings", 20, 85, ("Sterling Silver", "Gold-Plated", "Rose Gold"),
         ("Small", "Twisted"), "Light enough to wear all day."),
        ("Ring", 25, 150, ("Sterling Silver", "Gold-Plated", "Rose Gold"),
         ("Stacking", "Signet", "with Gemstone"), "Available in sizes J to R."),
        ("Charm Bracelet", 22, 80, ("Sterling Silver", "Gold-Plated", "Leather"),
         ("with Heart Charm", "Beaded"), "Add charms to make it your own."),
        ("Jewellery Box", 18, 60, ("Velvet", "Leather", "Walnut", "Oak"),
         ("with Mirror", "Travel"), "Soft-lined compartments stop pieces tangling."),
    ],
    "clothing accessories": [
        ("Scarf", 15, 65, ("Lambswool", "Cashmere-Blend", "Silk", "Cotton"),
         ("Checked", "Striped", "Oversized"), "Warm without bulk, in a generous length."),
        ("Gloves", 14, 45, ("Lambswool", "Leather", "Knitted"),
         ("Touchscreen", "Fleece-Lined"), "Touchscreen fingertips work with your phone."),
        ("Beanie Hat", 12, 35, ("Merino", "Chunky Knit", "Cashmere-Blend"),
         ("with Pom-Pom", "Ribbed"), "Soft, warm and one size fits most."),
        ("Umbrella", 15, 45, ("Windproof", "Compact", "Walking-Length"),
         ("Polka Dot", "with Wooden Handle"), "A vented canopy stands up to gusty days."),
        ("Leather Belt", 20, 60, ("Full-Grain", "Suede", "Plaited"),
         ("with Brass Buckle", "Slim"), "Cut from a single strip of leather."),
        ("Socks Gift Box", 12, 30, ("Bamboo", "Merino", "Cotton-Rich"),
         ("Striped", "Fair Isle"), "Seamless toes and a cushioned sole."),
        ("Hair Clip Set", 6, 18, ("Tortoiseshell", "Pearl", "Velvet"),
         ("Set of Four", "Claw"), "Holds fine and thick hair without slipping."),
        ("Sunglasses", 18, 70, ("Tortoiseshell", "Acetate", "Metal-Framed"),
         ("Round", "Cat-Eye"), "UV400 lenses with a soft case."),
    ],
    "gifts": [
        ("Scented Candle", 12, 42, ("Soy Wax", "Beeswax", "Rapeseed Wax"),
         ("Fig and Cedar", "Orange Blossom", "Sea Salt"), "Burns cleanly for up to 40 hours."),
        ("Gift Hamper", 30, 120, ("Wicker", "Luxury", "Artisan"),
         ("with Chocolates", "Afternoon Tea"), "Packed in a keepsake hamper, ready to give."),
        ("Bath Set", 15, 45, ("Lavender", "Rose", "Eucalyptus"),
         ("with Bath Salts", "Three-Piece"), "Made in small batches with natural oils."),
        ("Keepsake Box", 14, 40, ("Wooden", "Tin", "Velvet-Lined"),
         ("Engraved", "Memory"), "A safe home for letters, photos and treasures."),
        ("Personalised Mug", 12, 22, ("Porcelain", "Enamel", "Stoneware"),
         ("with Name", "with Initial"), "Printed with the name of your choice."),
        ("Gift Box", 6, 20, ("Luxury", "Kraft", "Magnetic"),
         ("with Ribbon", "Large"), "Sturdy, reusable and flat-packed until you need it."),
        ("Diffuser", 16, 45, ("Reed", "Ceramic", "Glass"),
         ("Fig and Cedar", "Fresh Linen"), "Scents a room for up to three months."),
        ("Chocolate Selection", 10, 35, ("Belgian", "Dark", "Salted Caramel"),
         ("Box of 16", "Box of 24"), "Hand-finished by a small chocolatier."),
    ],
}

COLLECTIONS = (
    "Hartley", "Orla", "Willow", "Ashby", "Linden", "Rowan", "Elm", "Harbour", "Juniper",
    "Thistle", "Meadow", "Bramble", "Hazel", "Clover", "Marlow", "Ember", "Skye", "Alder",
    "Heath", "Fenwick", "Loxley", "Perrin", "Greaves", "Calder",
)

# Matching sets bought together: [(category, noun, price low, price high)]; the first
# item is the "anchor" (a lamp), the others go with it (its shade and bulb).
BUNDLES: tuple[tuple[tuple[str, str, float, float], ...], ...] = (
    (("lighting", "Brass Bedside Lamp", 38, 70), ("lighting", "Linen Drum Shade", 18, 30),
     ("lighting", "Globe Filament Bulb E27", 6, 12)),
    (("lighting", "Ceramic Table Lamp Base", 35, 75), ("lighting", "Pleated Lamp Shade", 20, 36)),
    (("lighting", "Rattan Pendant Shade", 35, 80), ("lighting", "Braided Ceiling Flex", 15, 30)),
    (("stationery", "A5 Dotted Notebook", 8, 16), ("stationery", "Fine-Liner Pen Set", 6, 12)),
    (("stationery", "Leather Journal", 18, 34), ("stationery", "Brass Fountain Pen", 16, 30)),
    (("stationery", "Weekly Desk Planner", 10, 18), ("stationery", "Highlighter Set", 4, 9)),
    (("kitchen", "Stoneware Teapot", 22, 40), ("kitchen", "Stoneware Mug", 8, 14),
     ("kitchen", "Knitted Tea Cosy", 14, 22)),
    (("kitchen", "Glass Cafetière", 18, 35), ("kitchen", "Coffee Cup and Saucer", 9, 16)),
    (("garden", "Terracotta Planter", 16, 40), ("garden", "Planter Saucer", 4, 9),
     ("garden", "Indoor Plant Food", 5, 9)),
    (("garden", "Wooden Bird Feeder", 16, 34), ("garden", "Wild Bird Seed Mix 2 kg", 6, 12)),
    (("home decor", "Velvet Cushion Cover", 16, 30), ("home decor", "Feather Cushion Pad", 8, 14)),
    (("home decor", "Oak Picture Frame", 14, 32), ("home decor", "Picture Hanging Kit", 5, 9)),
    (("jewellery", "Silver Pendant Necklace", 35, 90), ("jewellery", "Silver Stud Earrings", 22, 50)),
    (("jewellery", "Gold-Plated Bangle", 28, 65), ("jewellery", "Velvet Jewellery Pouch", 6, 12)),
    (("gifts", "Luxury Gift Box", 10, 20), ("gifts", "Tissue and Ribbon Set", 4, 8),
     ("stationery", "Foiled Gift Tags", 3, 6)),
    (("gifts", "Scented Candle Trio", 22, 40), ("gifts", "Brass Candle Snuffer", 10, 18)),
    (("toys", "Wooden Train Set", 30, 65), ("toys", "Train Track Extension Pack", 12, 22)),
    (("toys", "Wooden Dolls' House", 60, 120), ("toys", "Dolls' House Furniture Set", 18, 35)),
    (("bags", "Leather Tote Bag", 45, 95), ("bags", "Leather Coin Purse", 15, 28)),
    (("clothing accessories", "Lambswool Scarf", 24, 45),
     ("clothing accessories", "Lambswool Gloves", 18, 32)),
    (("clothing accessories", "Compact Umbrella", 15, 28),
     ("bags", "Waxed Cotton Umbrella Sleeve", 8, 14)),
)


@dataclass(frozen=True)
class ProductSpec:
    """One catalogue entry before it becomes a database row."""

    sku: str
    title: str
    description: str
    category: str
    colour: str | None
    price: float
    stock: int
    age_days: float  # how long before ``now`` the product was listed
    popularity: float  # relative weight among the products of its category
    bundle: int | None  # index into ``Catalogue.bundles``


@dataclass(frozen=True)
class Catalogue:
    """The products, and the planted bundles as tuples of product indexes."""

    products: tuple[ProductSpec, ...]
    bundles: tuple[tuple[int, ...], ...]

    def bundle_skus(self) -> list[list[str]]:
        """The planted bundles by SKU, anchor first."""
        return [[self.products[i].sku for i in bundle] for bundle in self.bundles]


def shop_price(rng: random.Random, low: float, high: float) -> float:
    """A log-uniform price in [low, high] with a shop-like ending (.99, .95, .50, .00)."""
    raw = math.exp(rng.uniform(math.log(low), math.log(high)))
    pounds = max(1, int(raw))
    return round(pounds + rng.choice((0.99, 0.99, 0.95, 0.5, 0.0)), 2)


def _stock(rng: random.Random) -> int:
    if rng.random() < 0.07:  # about one product in fourteen is out of stock
        return 0
    return min(400, int(rng.lognormvariate(3.4, 0.9)) + 1)


def _colour_for(rng: random.Random, noun: str, material: str) -> str | None:
    if material in MATERIAL_COLOUR:
        return MATERIAL_COLOUR[material]
    return rng.choice(COLOURS) if noun in COLOURED_NOUNS else None


def _lower(words: str) -> str:
    """Lower-case a material for a sentence, keeping codes such as "A5" as they are."""
    return " ".join(w if w[:1].isupper() and w[1:2].isdigit() else w.lower() for w in words.split())


def _generic_product(
    rng: random.Random, category: str, taken: set[str]
) -> tuple[str, str, str | None, float]:
    """Title, description, colour and price of one non-bundle product of ``category``."""
    for _ in range(200):
        noun, low, high, materials, features, use = rng.choice(KINDS[category])
        material = rng.choice(materials)
        colour = _colour_for(rng, noun, material)
        free_colour = colour is not None and material not in MATERIAL_COLOUR
        feature = rng.choice(features)
        form = rng.random()
        if form < 0.4:
            title = f"{material} {noun} {feature}" if feature.startswith("with") else (
                f"{material} {noun}, {feature}"
            )
        elif form < 0.7 and free_colour:
            title = f"{colour} {material} {noun}"
        else:
            title = f"{material} {noun}"
        if title in taken:
            continue
        taken.add(title)
        detail = f" {feature.lower()}" if feature.startswith("with") else ""
        colour_text = f" in {colour.lower()}" if free_colour and colour else ""
        what = f"{_lower(material)} {noun.lower()}{colour_text}{detail}"
        if noun.endswith("s"):  # "Rose gold stud earrings.", not "A rose gold ..."
            sentence = what[0].upper() + what[1:]
        else:
            sentence = f"{'An' if material[0] in 'AEIOU' else 'A'} {what}"
        description = f"{sentence}. {use}"
        return title, description, colour, shop_price(rng, low, high)
    raise RuntimeError(f"ran out of distinct {category} titles; widen KINDS[{category!r}]")


def build_catalogue(rng: random.Random, size: int = 300) -> Catalogue:
    """``size`` products with bundles planted among them (a few more if ``size`` < 60)."""
    collections = list(COLLECTIONS)
    rng.shuffle(collections)
    specs: list[dict] = []
    bundles: list[tuple[int, ...]] = []
    taken: set[str] = set()
    bundle_budget = max(2, size // 6)
    for b, items in enumerate(BUNDLES):
        if sum(len(x) for x in bundles) + len(items) > bundle_budget:
            break
        name = collections[b % len(collections)]
        colour = rng.choice(COLOURS)
        titles = [f"{name} {noun}" for _, noun, _, _ in items]
        members = []
        for k, (category, noun, low, high) in enumerate(items):
            partners = " and the ".join(t for j, t in enumerate(titles) if j != k)
            coloured = not any(word in noun for word in _UNCOLOURED_WORDS)
            in_colour = f", in {colour.lower()}" if coloured else ""
            description = (
                f"The {noun.lower()} of our {name} collection{in_colour}. "
                f"Made to match the {partners}."
            )
            taken.add(titles[k])
            members.append(len(specs))
            specs.append(dict(title=titles[k], description=description, category=category,
                              colour=colour if coloured else None,
                              price=shop_price(rng, low, high), bundle=b,
                              age_days=rng.uniform(400, 900)))
        bundles.append(tuple(members))

    per_category = {c: size // len(CATEGORIES) for c in CATEGORIES}
    for c in CATEGORIES[: size % len(CATEGORIES)]:
        per_category[c] += 1
    for spec in specs:
        per_category[spec["category"]] -= 1
    for category in CATEGORIES:
        for _ in range(max(0, per_category[category])):
            title, description, colour, price = _generic_product(rng, category, taken)
            # Most of the range is long-listed; some items are new in during the year.
            age = rng.uniform(380, 1100) if rng.random() < 0.85 else rng.uniform(5, 360)
            specs.append(dict(title=title, description=description, category=category,
                              colour=colour, price=price, bundle=None, age_days=age))

    serial = {c: 1000 for c in CATEGORIES}
    products = []
    for spec in specs:
        serial[spec["category"]] += rng.randint(1, 9)
        sku = f"{SKU_PREFIX[spec['category']]}-{serial[spec['category']]}"
        # Heavy-tailed popularity: a few best-sellers per category, a long tail.
        popularity = rng.paretovariate(1.6)
        products.append(ProductSpec(sku=sku, stock=_stock(rng), popularity=popularity, **spec))
    return Catalogue(products=tuple(products), bundles=tuple(bundles))
