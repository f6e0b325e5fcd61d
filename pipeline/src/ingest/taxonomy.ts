import { textScores, trainTextModel } from '../models/textSimilarity';
import type { CatalogueEntry } from './Interaction';

/**
 * A product category taxonomy derived from product titles alone: the Online Retail source has none,
 * but the diversity rule ("at most 3 of a top 10 from one category") and some features need one.
 * Deterministic and offline: a curated rule table over the normalised title words, and for the titles
 * no rule matches, the category of the most similar rule-labelled titles (TF-IDF cosine).
 *
 * How a title is read, in order:
 * 1. Seasonal themes win over the product noun: any CHRISTMAS/XMAS/ADVENT/SANTA... word makes it
 *    "christmas", EASTER makes it "easter". A Christmas mug is sold, bought and shelved with the rest of
 *    Christmas (it is in the shop for eight weeks a year), so a top 10 of it should count as one theme.
 * 2. The head noun: Online Retail titles put it near the end ("WHITE HANGING HEART T-LIGHT HOLDER",
 *    "LUNCH BAG RED RETROSPOT" after the pattern words), so the words are scanned from the end to the
 *    start and the first keyword (longest phrase ending at that word first: "T-LIGHT HOLDER" before
 *    "HOLDER", "CAKE CASES" before "CASES") decides. A tail after IN / WITH / W / ON / "+" is
 *    packaging or decoration ("MUG IN BOX", "EARRINGS WITH FLOWER") and read only when the head has no
 *    keyword. Weak keywords (a pattern as often as a product: HEART, FLOWER, GARDEN, BOOK...) are kept
 *    as a fallback while the scan goes on to the left.
 * 3. No keyword: the similarity-weighted vote of the `neighbours` most similar rule-labelled titles
 *    with cosine at least `minSimilarity`, when one category has `minAgreement` of it; else "other".
 *    The titles left here lack a known head noun, so only their pattern and product-line words are
 *    shared: on rule-labelled titles with the keyword masked, this vote is right about 4 times in 5
 *    with the defaults (and about 1 in 2 without the two thresholds).
 *
 * Steps 1 and 2 depend on the title alone; step 3 on the catalogue it is run on (its IDF and labelled
 * titles), so a catalogue always gets the same categories, whatever its order.
 */

/** Every leaf category and its path from the root (department) to the leaf. */
export const CATEGORY_PATHS = {
  'candles & lights': ['home', 'candles & lights'],
  decorations: ['home', 'decorations'],
  'signs & plaques': ['home', 'signs & plaques'],
  clocks: ['home', 'clocks'],
  'frames & mirrors': ['home', 'frames & mirrors'],
  'storage & tins': ['home', 'storage & tins'],
  'hooks & fittings': ['home', 'hooks & fittings'],
  furniture: ['home', 'furniture'],
  textiles: ['home', 'textiles'],
  bathroom: ['home', 'bathroom'],
  garden: ['home', 'garden'],
  'mugs & cups': ['kitchen & dining', 'mugs & cups'],
  tableware: ['kitchen & dining', 'tableware'],
  'kitchen & baking': ['kitchen & dining', 'kitchen & baking'],
  bags: ['bags & accessories', 'bags'],
  jewellery: ['bags & accessories', 'jewellery'],
  accessories: ['bags & accessories', 'accessories'],
  'cards & wrap': ['paper & crafts', 'cards & wrap'],
  stationery: ['paper & crafts', 'stationery'],
  'crafts & sewing': ['paper & crafts', 'crafts & sewing'],
  'toys & games': ['kids', 'toys & games'],
  christmas: ['seasonal & party', 'christmas'],
  easter: ['seasonal & party', 'easter'],
  party: ['seasonal & party', 'party'],
  other: ['other'],
} as const satisfies Record<string, readonly string[]>;

export type Category = keyof typeof CATEGORY_PATHS;
export const CATEGORIES = Object.keys(CATEGORY_PATHS) as Category[];

/** How a category was decided: a seasonal theme word, a head-noun keyword, similar titles, nothing. */
export type CategorySource = 'theme' | 'rule' | 'neighbours' | 'none';

export interface CategoryAssignment {
  category: Category;
  categoryPath: string[];
  source: CategorySource;
}

/** Words that put a title in a seasonal category wherever they stand (step 1), comma-separated. */
const THEMES: Readonly<Partial<Record<Category, string>>> = {
  christmas: `CHRISTMAS, XMAS, ADVENT, SANTA, REINDEER, NATIVITY, SNOWMAN, SNOWFLAKE, BAUBLE, MISTLETOE,
    HOLLY, JINGLE BELL, SLEIGH, TREE TOP, TREE DECORATION, FEATHER TREE, ANGEL, NOEL, YULETIDE, STOCKING,
    CRACKER, ICICLE, TINSEL`,
  easter: `EASTER`,
};

/**
 * Head-noun keywords (step 2), comma-separated, singular (a title's plurals match them). A phrase is
 * matched as consecutive words; "~" marks a weak keyword. Abbreviations are expanded first (ALIASES).
 */
const RULES: Readonly<Partial<Record<Category, string>>> = {
  'candles & lights': `CANDLE, TLIGHT, TLIGHT HOLDER, CANDLE HOLDER, CANDLEHOLDER, CANDLESTICK,
    CANDLE STICK, CANDLESTAND, CANDLEPOT, CANDELABRA, CANDLE PLATE, CANDLE POT, LANTERN, LAMP, LAMPSHADE,
    LAMP SHADE, LIGHT, LIGHT HOLDER, NIGHT LIGHT, NIGHTLIGHT, CHANDELIER, BULB, LIGHTBULB, INCENSE,
    LIGHT GARLAND, OIL BURNER, BURNER, FRAGRANCE OIL, MATCH, VOTIVE, TORCH, DIFFUSER, SHADE, CANDLE BOWL,
    CANDLE LETTER`,
  decorations: `DECORATION, ORNAMENT, GARLAND, WREATH, MOBILE, CHIME, WINDCHIME, WICKER HEART,
    ARTIFICIAL FLOWER, ART FLOWER, BOUQUET, VASE, DISCO BALL, CARD HOLDER, CARDHOLDER, MAGNET,
    FRIDGE MAGNET, PAPERWEIGHT, P WEIGHT, FIGURE, FIGURINE, SCULPTURE, PAPER PARASOL, DECORATIVE PARASOL,
    PHOTO CLIP, DOOR HANGER, BIRDCAGE, SNOWGLOBE, SNOW GLOBE, CLOCHE, FLYING DUCK, BUDDHA, BOTTLE,
    PAPER BALL, ASHTRAY, ~TOADSTOOL, ~HONEYCOMB, ~HEART, ~FLOWER, ~HANGING, ~STAR, ~BELL, ~MUSHROOM, ~ROSE,
    ~BUTTERFLY`,
  'signs & plaques': `SIGN, DOORSIGN, PLAQUE, WALL PLAQUE, CHALKBOARD, BLACKBOARD, BLACK BOARD, WALL ART,
    CANVAS ART, ART PICTURE, LETTER, WOOD LETTER, BLOCK LETTER, BLOCK WORD, TILE, BILLBOARD, WALL STICKER,
    POSTER, ~PICTURE, ~PRINT`,
  clocks: `CLOCK, ALARM CLOCK, WALL CLOCK`,
  'frames & mirrors': `FRAME, PHOTO FRAME, PICTURE FRAME, PHOTOFRAME, PHOTO CUBE, MIRROR, COMPACT MIRROR,
    ~PHOTO`,
  'storage & tins': `TIN, CAKE TIN, BOX, TRINKET BOX, STORAGE BOX, KEEPSAKE BOX, JEWELLERY BOX, BOOK BOX,
    MONEY BOX, MONEY BANK, BASKET, JAR, CONTAINER, CRATE, BIN, HAMPER, TIDY, TOY TIDY, WALL TIDY, ORGANISER,
    CADDY, ~JEWELLED BOX, CANISTER, CANNISTER, TEA COFFEE SUGAR, TRUNK, BUCKET, TRINKET TRAY, TRINKET DISH,
    TRINKET POT, NESTING BOX, BISCUIT BARREL, POT, RACK, MAGAZINE RACK, LOCKER, SUITCASE, CASKET, CHEST,
    ~HOLDER, ~STORAGE`,
  'hooks & fittings': `HOOK, COAT HOOK, KEY HOOK, KNOB, DRAWER KNOB, DRAWERKNOB, DOOR KNOB, DOORSTOP,
    DOOR STOP, HANGER, COAT HANGER, PADDED HANGER, COAT RACK, KEY HOLDER, DOOR HANDLE, PEG, SUCTION CUP,
    SPIRIT LEVEL, SCREWDRIVER, TOOL KIT, DOORBELL, ~HANDLE`,
  furniture: `CABINET, KEY CABINET, SHELF, TABLE, SIDE TABLE, CHAIR, FOLDING CHAIR, STOOL, SEAT, LOVE SEAT,
    POUFFE, CHEST OF DRAWER, DRAWER, SHELVING, SIDEBOARD, ~JEWELLED DRAWER, BENCH, CUPBOARD, DRESSER,
    TROLLEY, WARDROBE, SCREEN, UMBRELLA STAND, COAT STAND, ~LADDER`,
  textiles: `CUSHION, CUSHION COVER, C COVER, SQUARECUSHION, THROW, BLANKET, QUILT, BEDSPREAD, PILLOW,
    HOT WATER BOTTLE, HOTTIE, CURTAIN, DOORMAT, DOOR MAT, MAT, RUG, TABLE RUN, TABLE RUNNER, TABLECLOTH,
    TABLE CLOTH, IRONING BOARD COVER, FILLER PAD, CUSHION PAD`,
  bathroom: `SOAP, SOAP DISH, SOAP HOLDER, SOAP RACK, SOAP DISPENSER, TOILET, TOILET ROLL, BATH, BATH SALT,
    BASIN, WASH BOWL, BALM, SPONGE, WASHBAG, WASH BAG, COSMETIC BAG, TOILETRY BAG, TOWEL, HAND TOWEL,
    FLANNEL, BATHROOM SET, BATHROOM SCALES, BATHROOM BOTTLE, COTTON WOOL, RUBBER DUCK, PLASTER, FIRST AID,
    TOOTHBRUSH, SHOWER CAP, TISSUE, TISSUE BOX, HAND CREAM, LIP GLOSS, NAIL FILE, MANICURE, ~BATHROOM`,
  garden: `PLANT POT, PLANT POT HOLDER, PLANTER, PLANTER POT, FLOWER POT, HERB POT, PLANT HOLDER,
    PLANT CAGE, WATERING CAN, TROWEL, SPADE, RAKE, SECATEURS, GARDEN FORK, GARDEN BRUSH, GARDEN MARKER,
    SEED ENVELOPE, GROW YOUR OWN, FORK AND SPADE, BIRD FEEDER, FEEDER, FEEDING STATION, BIRD HOUSE,
    BIRDHOUSE, BIRD TABLE, BIRD BATH, BIRD NESTING BOX, THERMOMETER, GARDEN PARASOL, HERB MARKER,
    PLANT MARKER, SEED, KNEELER, KNEELING PAD, GARDENER, GARDEN GLOVE, GNOME, WINDMILL, WINDSOCK,
    POTTING SHED, SUNDIAL, HAMMOCK, WHEELBARROW, ~GARDEN, ~GROW, ~WATERING`,
  'mugs & cups': `MUG, MUG WARMER, CUP, COFFEE CUP, TEACUP, TEA CUP, SAUCER, BEAKER, TUMBLER, GOBLET,
    CHALICE, FLASK, DRINKING GLASS, WINE GLASS, SHOT GLASS, CHAMPAGNE GLASS, TEA FOR ONE, TEA SET,
    COFFEE SET, ~GLASS, ~CUP OF TEA`,
  tableware: `PLATE, CAKE PLATE, PLATTER, BOWL, FRUITBOWL, SUGAR BOWL, DISH, BUTTER DISH, CUTLERY, FORK,
    KNIFE, SPOON, TEASPOON, EGG SPOON, CAKE SLICE, TONG, CHOPSTICK, COASTER, PLACEMAT, PLACE MAT,
    PLACE SETTING, NAPKIN, NAPKIN RING, NAPKIN CHARM, JUG, MILK JUG, PITCHER, TEAPOT, TEA POT, CAKESTAND,
    CAKE STAND, TIER, TRAY, TOAST RACK, TOASTRACK, CONDIMENT, CRUET, SALT AND PEPPER, SUGAR DISPENSER,
    DECANTER, CARAFE, EGG CUP, EGG COSY, EGG HOLDER, EGG WARMER, EGG HOUSE, BREAKFAST SET, CHEESE BOARD,
    JAM POT, CHARGER, ~SERVING, ~SALAD, ~DOILY`,
  'kitchen & baking': `CAKE CASE, BAKING CASE, PETIT FOUR CASE, MINI CASE, BAKING TIN, LOAF TIN, MOULD,
    JELLY MOULD, BAKING MOULD, LOLLY MOULD, LOLLY MAKER, BAKING SET, APRON, TEA TOWEL, OVEN GLOVE,
    OVEN MITT, POT HOLDER, TEA COSY, JAM MAKING, JAM JAR, RECIPE BOX, RECIPE BOOK, CUTTER, COOKIE CUTTER,
    BISCUIT CUTTER, MEASURING SPOON, MEASURING CUP, MEASURING JUG, SCALES, KITCHEN SCALES, CHOPPING BOARD,
    BREAD BIN, PAN, FRYING PAN, SAUCEPAN, COLANDER, MIXING BOWL, WHISK, ROLLING PIN, ICING, SPATULA, GRATER,
    SIEVE, PESTLE, STRAINER, TEA STRAINER, CORER, SQUEEZER, BRUSH, DISPENSER, UTENSIL, KITCHEN THERMOMETER,
    ~CUPCAKE, CAKE CARRIER, LADLE, GRINDER, POPCORN HOLDER, POPCORN BOX, LUNCH BOX, SNACK BOX, SANDWICH BOX,
    FOOD COVER, FOOD CONTAINER, STORAGE JAR, SPICE JAR, WATER BOTTLE, MILK BOTTLE, BOTTLE OPENER, CORKSCREW,
    TIMER, KITCHEN TIMER, ICE CUBE TRAY, PICNIC BASKET, PICNIC SET, COOKING, ~BAKING, ~PICNIC, ~KITCHEN`,
  bags: `BAG, SHOPPER, TOTE, HANDBAG, BACKPACK, RUCKSACK, SATCHEL, HOLDALL, DUFFLE, LUNCH BAG, JUMBO BAG,
    CHARLOTTE BAG, PEG BAG, ~GAUZE BAG, STORAGE BAG, BOTTLE BAG, SHOPPING BAG, BEACH BAG, PICNIC BAG,
    SHOULDER BAG`,
  jewellery: `NECKLACE, BRACELET, EARRING, RING, BANGLE, BROOCH, PENDANT, CHARM, BEAD, JEWELLERY SET,
    JEWELLERY STAND, TIARA, CHOKER, LARIAT, ANKLET, CUFFLINK, ~JEWELLERY`,
  accessories: `PURSE, WALLET, CARD WALLET, TRAVEL CARD, UMBRELLA, KEY RING, KEYRING, KEY FOB, FOB,
    KEY CHAIN, BAG CHARM, PHONE CHARM, PHONE, PASSPORT COVER, LUGGAGE TAG, WARMER, HAND WARMER,
    POCKET WARMER, SCARF, HAT, GLOVE, EAR MUFF, HEADPHONE, RAIN MAC, PONCHO, RAINCOAT, SLIPPER, SOCK, SHOE,
    BIB, SLIDE, SPEAKER, BOOMBOX, RADIO, HAIR CLIP, HAIRCLIP, HAIR SLIDE, HAIRSLIDE, HAIR BAND, HAIRBAND,
    HAIR GRIP, HAIR TIE, HAIR COMB, HAIR BRUSH, COMB, GLASSES CASE, SUNGLASSES, MIRROR COMPACT, MAKE UP,
    MAKEUP, PARASOL, FAN, BADGE, BICYCLE BELL`,
  'cards & wrap': `CARD, GREETING CARD, BIRTHDAY CARD, POSTCARD, POST CARD, ENVELOPE, WRAP, GIFT WRAP,
    WRAPPING, WRAPPING PAPER, WRAPPING TISSUE, TISSUE PAPER, GIFT TAG, TAG, RIBBON, RIBBON REEL, GIFT BAG,
    PAPER BAG, GIFT BOX, GIFT TAPE, WRAPPING TAPE, BOW, ~RUSTIC CHARM`,
  stationery: `NOTEBOOK, NOTE BOOK, NOTEPAD, NOTE PAD, PAD, MEMO PAD, NOTELET, JOURNAL, SKETCHBOOK,
    SCRAPBOOK, DIARY, PLANNER, CALENDAR, ADDRESS BOOK, ORGANISER BOOK, PHOTO ALBUM, ALBUM, PEN, PENCIL,
    COLOURING PENCIL, CRAYON, CHALK, ERASER, RUBBER, SHARPENER, RULER, CALCULATOR, HOLE PUNCH, STICKER,
    STICKER SHEET, TAPE, TAPE DISPENSER, WRITING SET, STATIONERY, MEMO, MEMO BOARD, MEMOBOARD,
    SHOPPING LIST, LIST, LETTER TRAY, LETTER RACK, DESK TIDY, PEN POT, PENCIL POT, PENCIL CASE, PAPER CLIP,
    CLIPBOARD, FOLDER, FILE, BOOKMARK, BOOK MARK, LETTER HOLDER, MEMO HOLDER, BOOKEND, BOOK COVER,
    BOOKCOVER, STAMP, MOUSE MAT, ~BOOK, ~NOTE`,
  'crafts & sewing': `SEWING, SEWING KIT, SEWING BOX, REPAIR KIT, NEEDLE, THREAD, BUTTON, BUTTON BOX,
    PIN CUSHION, PINCUSHION, THIMBLE, TAPE MEASURE, MEASURING TAPE, SCISSOR, KNITTING, KNITTING KIT, WOOL,
    YARN, EMBROIDERY, PATCH, CRAFT KIT, CARD KIT, BEAD KIT, MAKE YOUR OWN, PAINT YOUR OWN, PAINT, PAINT SET,
    PAINT BRUSH, CANVAS, COLOURING, ~SEW, STENCIL, STAMP SET, PAPER CHAIN, CLAY, MODELLING, ~CRAFT,
    ~FELTCRAFT, ~ORIGAMI, ~GLITTER, ~DECOUPAGE, ~CROCHET`,
  'toys & games': `SOFT TOY, GAME, CARD GAME, PLAYING CARD, DOLL, RAG DOLL, DOLLS HOUSE, PLAYHOUSE, PUZZLE,
    JIGSAW, DOMINO, DICE, LUDO, BINGO, SNAKES AND LADDERS, NOUGHTS AND CROSSES, NAUGHTS AND CROSSES,
    HEADS AND TAILS, PICK UP STICKS, SKITTLE, CROQUET, ROUNDERS, SPINNING TOP, YOYO, YO YO, KITE,
    SKIPPING ROPE, MARBLE, HELICOPTER, GLIDER, ROCKET, TRAIN, SOLDIER, TEDDY, TEDDY BEAR, PUPPET, HARMONICA,
    DRUM, RECORDER, XYLOPHONE, TAMBOURINE, MARACAS, WHISTLE, KALEIDOSCOPE, PIGGY BANK, BUBBLE, BLOCK,
    WATER PISTOL, FLYING DISC, BOOMERANG, SLINKY, RATTLE, TOOL SET, MAGIC TRICK, PLASTICINE, FARM ANIMAL,
    TATTOO, ROCKING HORSE, HOBBY HORSE, SNAP CARD, SANDCASTLE FLAG, BABY GIFT SET, DRAWING SLATE,
    CREEPY CRAWLY, GLOBE, ~TOY, ~PONY, ~PIECE, ~ANIMAL, ~PLAYING, ~INFLATABLE, ~MONSTER, ~BALL`,
  party: `PARTY, PARTY BAG, PARTY CONE, PARTY HAT, PARTY NAPKIN, BUNTING, PENNANT, BANNER, STREAMER,
    BALLOON, CONFETTI, PAPER CUP, PAPER PLATE, PAPER HAT, INVITE, INVITATION, BIRTHDAY CANDLE, CAKE CANDLE,
    CAKE TOPPER, STRAW, COCKTAIL PARASOL, COCKTAIL STICK, BARRIER TAPE, HALLOWEEN, FANCY DRESS, MASK,
    PINATA, SPARKLER, GRASS SKIRT, SOMBRERO, ROSETTE, ~FLAG, ~BALLOON GIRL`,
  easter: `~BUNNY, ~CHICK, ~HEN`,
  /** Not merchandise: postage, charges and vouchers that carry a product code in the source. */
  other: `CARRIAGE, POSTAGE, CHARGE, VOUCHER, RESOLUTION IMAGE`,
};

/** Word spellings and abbreviations of the source, replaced before matching. */
const ALIASES: Readonly<Record<string, string>> = {
  HLDR: 'HOLDER',
  HOLDR: 'HOLDER',
  NECKL: 'NECKLACE',
  NECKLAC: 'NECKLACE',
  BRACELT: 'BRACELET',
  BRACLET: 'BRACELET',
  EARRNGS: 'EARRING',
  DEC: 'DECORATION',
  DECORATN: 'DECORATION',
  CANDL: 'CANDLE',
  CAND: 'CANDLE',
  ARTIIFCIAL: 'ARTIFICIAL',
  ARTIFCIAL: 'ARTIFICIAL',
  TEALIGHT: 'TLIGHT',
  SKETCHBK: 'SKETCHBOOK',
  ORNAMNT: 'ORNAMENT',
  CUSHON: 'CUSHION',
  HANDBG: 'HANDBAG',
  SNOWMEN: 'SNOWMAN',
};

/** Words after which the rest of a title is packaging or decoration, not the product. */
const TAIL = new Set(['IN', 'WITH', 'W', 'ON', '+']);

interface Keyword {
  /** Words before the last one, in order. */
  before: readonly string[];
  /** The keyword as the table writes it (without "~"). */
  phrase: string;
  category: Category;
  weak: boolean;
}

/** Keywords indexed by their last word, longest phrase first. */
interface RuleIndex {
  themes: Map<string, Keyword[]>;
  nouns: Map<string, Keyword[]>;
  vocabulary: Set<string>;
}

let index: RuleIndex | undefined;

function ruleIndex(): RuleIndex {
  if (index) return index;
  const vocabulary = new Set<string>();
  const raw: [table: 'themes' | 'nouns', category: Category, phrase: string, weak: boolean][] = [];
  for (const [table, rules] of [
    ['themes', THEMES],
    ['nouns', RULES],
  ] as const) {
    for (const category of CATEGORIES) {
      for (const entry of (rules[category] ?? '').split(',')) {
        const keyword = entry.trim().replace(/\s+/g, ' ');
        if (!keyword) continue;
        const weak = keyword.startsWith('~');
        const phrase = weak ? keyword.slice(1) : keyword;
        for (const w of phrase.split(' ')) vocabulary.add(w);
        raw.push([table, category, phrase, weak]);
      }
    }
  }
  // A plural written in the table ("SNAKES AND LADDERS") becomes singular when the singular is a
  // keyword word too, so that a title's plural and singular always read the same.
  for (const w of [...vocabulary]) {
    vocabulary.delete(w);
    if (canonical(w, vocabulary) === w) vocabulary.add(w);
  }
  const themes = new Map<string, Keyword[]>();
  const nouns = new Map<string, Keyword[]>();
  const seen = new Map<string, Category>();
  for (const [table, category, phrase, weak] of raw) {
    const words = phrase.split(' ').map((w) => canonical(w, vocabulary));
    const key = `${table}:${words.join(' ')}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      // A keyword listed twice must mean one thing: the table is curated by hand.
      if (earlier !== category)
        throw new Error(`taxonomy keyword "${phrase}" is in ${earlier} and ${category}`);
      continue;
    }
    seen.set(key, category);
    const map = table === 'themes' ? themes : nouns;
    const last = words[words.length - 1]!;
    const list = map.get(last) ?? [];
    list.push({ before: words.slice(0, -1), phrase, category, weak });
    map.set(last, list);
  }
  for (const map of [themes, nouns])
    for (const list of map.values()) list.sort((a, b) => b.before.length - a.before.length);
  index = { themes, nouns, vocabulary };
  return index;
}

/** The keyword spelling of a word: itself, or its singular when that is a keyword word. */
function canonical(word: string, vocabulary: ReadonlySet<string>): string {
  if (vocabulary.has(word)) return word;
  if (word.endsWith('IES') && vocabulary.has(`${word.slice(0, -3)}Y`)) return `${word.slice(0, -3)}Y`;
  if (word.endsWith('ES') && vocabulary.has(word.slice(0, -2))) return word.slice(0, -2);
  if (word.endsWith('S') && vocabulary.has(word.slice(0, -1))) return word.slice(0, -1);
  return word;
}

/** After LIGHT / DARK / PALE these make a shade ("FEATHER PEN, LIGHT PINK"), not a light. */
const SHADES = new Set(['PINK', 'BLUE', 'GREEN', 'GREY', 'PURPLE', 'BROWN', 'YELLOW', 'RED', 'GOLD', 'ROSE']);

/**
 * Upper-cased words of a title: T-LIGHT and TEA LIGHT as TLIGHT, letters and digits apart ("NECKL36"),
 * & as AND, a spaced "+" kept as a word, aliases expanded, plurals made singular, and an unknown
 * compound read as the keyword it ends with ("CHOCOLATECANDLE" as CANDLE).
 */
export function titleWords(title: string): string[] {
  const text = title
    .toUpperCase()
    .replace(/"[A-Z0-9]"/g, ' ') // LETTER "W" BLING KEY RING: a quoted letter is not W(ith)
    .replace(/\bT[\s-]*LIGHT/g, 'TLIGHT')
    .replace(/\bTEA[\s-]+LIGHT/g, 'TLIGHT')
    .replace(/&/g, ' AND ');
  const raw = text.match(/[A-Z]+|[0-9]+|(?<=\s)\+(?=\s)/g) ?? [];
  const words: string[] = [];
  raw.forEach((w, i) => {
    if ((w === 'LIGHT' || w === 'LT' || w === 'DARK' || w === 'PALE') && SHADES.has(raw[i + 1] ?? '')) return;
    words.push(keywordSpelling(w));
  });
  return words;
}

const spellings = new Map<string, string>();

function keywordSpelling(word: string): string {
  let out = spellings.get(word);
  if (out !== undefined) return out;
  const { vocabulary } = ruleIndex();
  const alias = ALIASES[word] ?? (word.endsWith('S') ? ALIASES[word.slice(0, -1)] : undefined);
  out = canonical(alias ?? word, vocabulary);
  if (!vocabulary.has(out) && out.length >= 7) {
    // The longest keyword word of 6+ letters the compound ends with, after 3+ letters of its own
    // (shorter ones end too many ordinary words: RESPEC-TABLE, SHIMME-RING, BUTTER-FILES).
    for (let k = 3; k <= out.length - 6; k++) {
      const tail = canonical(out.slice(k), vocabulary);
      if (tail.length >= 6 && vocabulary.has(tail)) {
        out = tail;
        break;
      }
    }
  }
  spellings.set(word, out);
  return out;
}

/** The keyword of `index` ending at words[i] (longest first), if any. */
function matchAt(map: Map<string, Keyword[]>, words: readonly string[], i: number): Keyword | undefined {
  const list = map.get(words[i]!);
  if (!list) return undefined;
  return list.find(
    (k) => k.before.length <= i && k.before.every((w, j) => words[i - k.before.length + j] === w),
  );
}

/** What the rule table says of a title: its category, whether a theme or a noun decided, the keyword. */
export interface RuleMatch {
  category: Category;
  source: 'theme' | 'rule';
  keyword: string;
}

/** The category the rule table gives a title (steps 1 and 2), or undefined when no keyword matches. */
export function ruleCategory(title: string): RuleMatch | undefined {
  const { themes, nouns } = ruleIndex();
  const words = titleWords(title);
  for (let i = 0; i < words.length; i++) {
    const theme = matchAt(themes, words, i);
    if (theme) return { category: theme.category, source: 'theme', keyword: theme.phrase };
  }
  // Split into the head and the tails after IN / WITH / W / ON / +; read the head first.
  const segments: string[][] = [[]];
  for (const w of words) {
    if (TAIL.has(w)) segments.push([]);
    else segments[segments.length - 1]!.push(w);
  }
  for (const segment of segments) {
    let weak: Keyword | undefined;
    for (let i = segment.length - 1; i >= 0; i--) {
      const k = matchAt(nouns, segment, i);
      if (!k) continue;
      if (!k.weak) return { category: k.category, source: 'rule', keyword: k.phrase };
      weak ??= k;
      i -= k.before.length; // the words of a matched phrase are not read again ("CUP OF TEA")
    }
    // A weak keyword of the head still beats whatever the packaging tail says.
    if (weak) return { category: weak.category, source: 'rule', keyword: weak.phrase };
  }
  return undefined;
}

export interface TaxonomyOptions {
  /** Rule-labelled titles that vote for an unlabelled one (default 5). */
  neighbours?: number;
  /** Least cosine similarity of a voting title (default 0.5). */
  minSimilarity?: number;
  /** Least share of the similarity-weighted vote the winning category needs (default 0.8). */
  minAgreement?: number;
}

/**
 * A category for every product of a catalogue (keyed by id): rules first, then the most similar
 * rule-labelled titles, then "other". Deterministic for a given set of entries.
 */
export function deriveTaxonomy(
  entries: Iterable<{ id: string; title: string }>,
  opts: TaxonomyOptions = {},
): Map<string, CategoryAssignment> {
  const k = opts.neighbours ?? 5;
  const minSimilarity = opts.minSimilarity ?? 0.5;
  const minAgreement = opts.minAgreement ?? 0.8;
  // Sorted by id so the similarity ties below break the same way whatever the input order.
  const items = [...entries].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const labels = items.map((e) => ruleCategory(e.title));
  const out = new Map<string, CategoryAssignment>();
  const unlabelled: number[] = [];
  items.forEach((e, i) => {
    const label = labels[i];
    if (label) out.set(e.id, assignment(label.category, label.source));
    else unlabelled.push(i);
  });
  if (unlabelled.length > 0) {
    const model = trainTextModel(items.map((e) => e.title));
    const sum = new Float32Array(items.length);
    const max = new Float32Array(items.length);
    for (const i of unlabelled) {
      sum.fill(0);
      textScores(model, [i], sum, max);
      const near: number[] = [];
      for (let j = 0; j < items.length; j++) if (labels[j] && sum[j]! >= minSimilarity) near.push(j);
      near.sort((a, b) => sum[b]! - sum[a]! || a - b);
      const votes = new Map<Category, number>();
      for (const j of near.slice(0, k))
        votes.set(labels[j]!.category, (votes.get(labels[j]!.category) ?? 0) + sum[j]!);
      let total = 0;
      for (const v of votes.values()) total += v;
      const best = [...votes].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
      out.set(
        items[i]!.id,
        best && best[1] >= minAgreement * total
          ? assignment(best[0], 'neighbours')
          : assignment('other', 'none'),
      );
    }
  }
  return out;
}

function assignment(category: Category, source: CategorySource): CategoryAssignment {
  return { category, categoryPath: [...CATEGORY_PATHS[category]], source };
}

/**
 * Derives the taxonomy of a catalogue and writes `category` and `categoryPath` into its entries (the
 * fields the catalogue artefact carries).
 */
export function applyTaxonomy(entries: Iterable<CatalogueEntry>, opts: TaxonomyOptions = {}): void {
  const list = [...entries];
  const taxonomy = deriveTaxonomy(list, opts);
  for (const entry of list) {
    const { category, categoryPath } = taxonomy.get(entry.id)!;
    entry.category = category;
    entry.categoryPath = categoryPath;
  }
}

/** Share of entries (0 for none) with a category other than "other". */
export function categorisedShare(entries: Iterable<CatalogueEntry>): number {
  let n = 0;
  let categorised = 0;
  for (const e of entries) {
    n++;
    if (e.category !== undefined && e.category !== 'other') categorised++;
  }
  return n === 0 ? 0 : categorised / n;
}
