import type { GeoPoint } from './geography.js';
import type { Card, Merchant } from './population.js';
import type { Transaction } from './simulated-event.js';

/** A transaction before it gets its id, which is assigned in emission order. */
export type TransactionDraft = Omit<Transaction, 'transaction_id'>;

/**
 * One purchase, legitimate or not, in the simulator's own terms. In person it happens at the
 * merchant's location on the merchant's terminal; online, wherever the buyer's device is.
 */
export type Purchase = {
  readonly card: Card;
  readonly merchant: Merchant;
  readonly amount: number;
  readonly time: number;
} & ({ readonly channel: 'CARD_PRESENT' } | { readonly channel: 'ONLINE'; readonly device: string; readonly place: GeoPoint });

/** The terminal id recorded as `device_id` for in-person purchases. */
const terminalOf = (merchant: Merchant): string => `pos-${merchant.id}`;

export function draftPurchase(purchase: Purchase): TransactionDraft {
  const { card, merchant } = purchase;
  const place = purchase.channel === 'ONLINE' ? purchase.place : merchant.location;
  return {
    card_number: card.number,
    email: card.email,
    merchant_id: merchant.id,
    merchant_category: merchant.category.name,
    amount: purchase.amount,
    currency: merchant.city.currency,
    country: merchant.city.country,
    latitude: place.latitude,
    longitude: place.longitude,
    device_id: purchase.channel === 'ONLINE' ? purchase.device : terminalOf(merchant),
    channel: purchase.channel,
    event_time: purchase.time,
  };
}
