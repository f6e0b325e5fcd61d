import type { Category } from '../ingest/taxonomy';

/**
 * Words for synthetic product titles in the style of the Online Retail catalogue ("<pattern> <noun>").
 * Every noun is a head-noun keyword of the title taxonomy (`ingest/taxonomy.ts`) for its category, so
 * each synthetic title gets its category from the rules alone (tested): the taxonomy's fallback for
 * unmatched titles compares them with every other title and would not scale to a million products.
 * The two seasonal categories put their theme word before the noun ("CHRISTMAS", "EASTER").
 */
export const NOUNS: Readonly<Record<Exclude<Category, 'other'>, readonly string[]>> = {
  'candles & lights': ['T-LIGHT HOLDER', 'LANTERN', 'CANDLE', 'NIGHT LIGHT', 'LAMP', 'CANDLESTICK'],
  decorations: ['HANGING DECORATION', 'ORNAMENT', 'GARLAND', 'WREATH', 'MOBILE', 'VASE', 'FRIDGE MAGNET'],
  'signs & plaques': ['SIGN', 'WALL PLAQUE', 'CHALKBOARD', 'WALL ART', 'POSTER'],
  clocks: ['ALARM CLOCK', 'WALL CLOCK', 'KITCHEN CLOCK'],
  'frames & mirrors': ['PHOTO FRAME', 'PICTURE FRAME', 'MIRROR'],
  'storage & tins': ['CAKE TIN', 'TRINKET BOX', 'STORAGE BOX', 'BASKET', 'MONEY BOX', 'TIN'],
  'hooks & fittings': ['COAT HOOK', 'DRAWER KNOB', 'DOORSTOP', 'COAT HANGER', 'KEY HOLDER'],
  furniture: ['CABINET', 'SHELF', 'SIDE TABLE', 'FOLDING CHAIR', 'STOOL'],
  textiles: ['CUSHION COVER', 'THROW', 'HOT WATER BOTTLE', 'DOORMAT', 'TABLECLOTH', 'QUILT'],
  bathroom: ['SOAP', 'SOAP DISH', 'HAND TOWEL', 'SPONGE', 'BATH SALT'],
  garden: ['PLANT POT', 'WATERING CAN', 'BIRD FEEDER', 'GARDEN GLOVE', 'TROWEL', 'BIRD HOUSE'],
  'mugs & cups': ['MUG', 'TEACUP AND SAUCER', 'BEAKER', 'TUMBLER', 'WINE GLASS'],
  tableware: ['PLATE', 'BOWL', 'CAKE STAND', 'TEAPOT', 'NAPKIN', 'TRAY', 'MILK JUG'],
  'kitchen & baking': ['APRON', 'TEA TOWEL', 'OVEN GLOVE', 'COOKIE CUTTER', 'LUNCH BOX', 'BAKING SET'],
  bags: ['JUMBO BAG', 'LUNCH BAG', 'SHOPPER', 'TOTE', 'CHARLOTTE BAG', 'BACKPACK'],
  jewellery: ['NECKLACE', 'BRACELET', 'EARRINGS', 'BROOCH', 'PENDANT'],
  accessories: ['PURSE', 'UMBRELLA', 'KEY RING', 'HAND WARMER', 'SCARF', 'HAIR CLIP'],
  'cards & wrap': ['GREETING CARD', 'WRAPPING PAPER', 'GIFT TAG', 'RIBBON REEL', 'GIFT BAG', 'ENVELOPE'],
  stationery: ['NOTEBOOK', 'PENCIL', 'ERASER', 'JOURNAL', 'STICKER SHEET', 'PENCIL CASE'],
  'crafts & sewing': ['SEWING KIT', 'PIN CUSHION', 'KNITTING KIT', 'TAPE MEASURE', 'CRAFT KIT', 'PAINT SET'],
  'toys & games': ['SOFT TOY', 'JIGSAW', 'SPINNING TOP', 'SKIPPING ROPE', 'DOLL', 'KITE'],
  christmas: ['CHRISTMAS GARLAND', 'CHRISTMAS CARD', 'CHRISTMAS MUG', 'CHRISTMAS TREE DECORATION'],
  easter: ['EASTER EGG BASKET', 'EASTER GARLAND', 'EASTER CARD'],
  party: ['PARTY BAG', 'BUNTING', 'BALLOON', 'PAPER PLATE', 'PARTY HAT', 'CAKE TOPPER'],
};

/** Pattern words: a product line ("theme") is one colour, one motif and sometimes a material. */
export const COLOURS = [
  'RED',
  'BLUE',
  'PINK',
  'GREEN',
  'IVORY',
  'CREAM',
  'WHITE',
  'BLACK',
  'GOLD',
  'SILVER',
  'LILAC',
  'TURQUOISE',
  'ORANGE',
  'YELLOW',
  'PURPLE',
  'NAVY',
] as const;
export const MOTIFS = [
  'SPOTTY',
  'STRIPE',
  'PAISLEY',
  'GINGHAM',
  'FLORAL',
  'POLKADOT',
  'BIRDS',
  'OWLS',
  'CATS',
  'DOGS',
  'SKULLS',
  'VINTAGE',
  'RETRO',
  'REGENCY',
  'FOLK',
  'NORDIC',
  'BOTANICAL',
  'ZEBRA',
  'LEOPARD',
  'CIRCUS',
  'SPACE',
  'WOODLAND',
  'ORIENTAL',
  'GEOMETRIC',
] as const;
export const MATERIALS = ['', 'ENAMEL', 'WOODEN', 'CERAMIC', 'METAL', 'FELT', 'WICKER', 'ZINC'] as const;
