/** What a merchant sells, and how much and how people pay there. */
export interface MerchantCategory {
  /** As it appears in `merchant_category`. */
  readonly name: string;
  /** Median legitimate amount, in the major unit of the merchant's currency. */
  readonly medianAmount: number;
  /** Spread of the log-normal amount distribution (standard deviation of ln amount). */
  readonly amountSigma: number;
  /** Share of an average card's purchases in this category made online rather than in person. */
  readonly onlineShare: number;
  /** Relative share of an average card's purchases in this category. */
  readonly popularity: number;
}

export const MERCHANT_CATEGORIES: readonly MerchantCategory[] = [
  { name: 'grocery', medianAmount: 35, amountSigma: 0.6, onlineShare: 0.15, popularity: 30 },
  { name: 'restaurants', medianAmount: 28, amountSigma: 0.6, onlineShare: 0.1, popularity: 20 },
  { name: 'fuel', medianAmount: 45, amountSigma: 0.35, onlineShare: 0.02, popularity: 10 },
  { name: 'health', medianAmount: 30, amountSigma: 0.7, onlineShare: 0.2, popularity: 6 },
  { name: 'fashion', medianAmount: 60, amountSigma: 0.7, onlineShare: 0.45, popularity: 10 },
  { name: 'entertainment', medianAmount: 40, amountSigma: 0.7, onlineShare: 0.5, popularity: 8 },
  { name: 'digital_goods', medianAmount: 12, amountSigma: 0.8, onlineShare: 1, popularity: 8 },
  { name: 'electronics', medianAmount: 180, amountSigma: 0.9, onlineShare: 0.55, popularity: 4 },
  { name: 'travel', medianAmount: 420, amountSigma: 0.8, onlineShare: 0.8, popularity: 3 },
  { name: 'jewellery', medianAmount: 350, amountSigma: 1, onlineShare: 0.3, popularity: 1 },
];

/** The category called `name`; throws on a name that is not in {@link MERCHANT_CATEGORIES}. */
export function merchantCategory(name: string): MerchantCategory {
  const category = MERCHANT_CATEGORIES.find((c) => c.name === name);
  if (!category) throw new RangeError(`unknown merchant category "${name}"`);
  return category;
}
