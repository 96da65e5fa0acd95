/**
 * A small, deterministic event generator for the delivery example: orders, courier assignments
 * and deliveries (the labels), as JSON lines for `tributary produce <topic> --file`. The same seed
 * gives the same files.
 *
 *   npx tsx examples/delivery/generate-events.ts --orders 3000 --seed 1 --out /tmp/delivery
 *
 * The world it simulates, so a model has something to learn: three cities with their own traffic,
 * twelve restaurants with their own kitchen speed, lunch and dinner rushes with more orders and
 * slower roads, and a delivery time that grows with the distance, the restaurant's load, how far
 * the courier was and how many orders they already carry, plus noise. Some orders get no courier
 * within 10 minutes (the features then have no courier), and some are never delivered (no label).
 * Each file is in event-time order, as the feature query's watermarks expect.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

export interface Order {
  readonly order_id: string;
  readonly customer_id: string;
  readonly restaurant_id: string;
  readonly city: string;
  readonly placed_at: number;
  readonly distance_km: number;
  readonly items: number;
  readonly order_value: number;
  readonly promised_minutes: number | null;
}

export interface CourierAssignment {
  readonly order_id: string;
  readonly courier_id: string;
  readonly assigned_at: number;
  readonly courier_distance_km: number;
  readonly courier_active_orders: number;
}

export interface Delivery {
  readonly order_id: string;
  readonly delivery_minutes: number;
  readonly delivered_at: number;
}

export interface DeliveryEvents {
  readonly orders: readonly Order[];
  readonly assignments: readonly CourierAssignment[];
  readonly deliveries: readonly Delivery[];
}

export interface DeliveryEventOptions {
  /** How many orders. */
  readonly orders: number;
  /** @default 1 */
  readonly seed?: number;
  /** Event time of the first order, epoch ms. @default 2026-03-02T10:00:00Z (a Monday morning) */
  readonly start?: number;
}

const MINUTE = 60_000;
const CITIES = [
  { name: 'lisbon', minutesPerKm: 3.4 },
  { name: 'porto', minutesPerKm: 2.8 },
  { name: 'braga', minutesPerKm: 2.2 },
] as const;
const RESTAURANTS = Array.from({ length: 12 }, (_, index) => ({
  id: `r-${String(index + 1).padStart(2, '0')}`,
  city: CITIES[index % CITIES.length]!,
  prepMinutes: 8 + ((index * 7) % 13),
}));
const CUSTOMERS = 400;
const COURIERS = 60;

/** mulberry32: a tiny seeded generator, so the files do not depend on Math.random. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const round = (value: number, decimals: number): number => Number(value.toFixed(decimals));

/** Lunch (12–14 h) and dinner (19–21 h) UTC. */
const isRush = (time: number): boolean => {
  const hour = new Date(time).getUTCHours();
  return (hour >= 12 && hour < 14) || (hour >= 19 && hour < 21);
};

/** The events of `options.orders` orders; each list in event-time order. */
export function generateDeliveryEvents(options: DeliveryEventOptions): DeliveryEvents {
  const random = prng(options.seed ?? 1);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const orders: Order[] = [];
  const assignments: CourierAssignment[] = [];
  const deliveries: Delivery[] = [];
  const recentByRestaurant = new Map<string, number[]>();
  let time = options.start ?? Date.UTC(2026, 2, 2, 10);
  for (let index = 0; index < options.orders; index += 1) {
    // Orders come three times as often in a rush; at least a second apart, so no two share a time.
    const meanGapMs = isRush(time) ? 6_000 : 18_000;
    time += 1_000 + Math.round(-Math.log(1 - random()) * meanGapMs);
    const restaurant = RESTAURANTS[Math.floor(random() * RESTAURANTS.length)]!;
    const distance = round(Math.min(15, Math.max(0.3, Math.exp(1.1 + 0.5 * normal()))), 2);
    const items = 1 + Math.min(7, Math.floor(-Math.log(1 - random()) * 1.8));
    const recent = (recentByRestaurant.get(restaurant.id) ?? []).filter((placed) => placed >= time - 30 * MINUTE);
    recent.push(time);
    recentByRestaurant.set(restaurant.id, recent);
    const rush = isRush(time);

    const assignedAfter = random();
    // 93 % get a courier within 10 minutes, 4 % later (the features see none), 3 % never.
    const assignmentDelay = assignedAfter < 0.93 ? 0.5 + random() * 7.5 : assignedAfter < 0.97 ? 11 + random() * 9 : undefined;
    const courierDistance = round(0.2 + random() * 4.8, 2);
    const activeOrders = Math.floor(random() * 4);
    const minutes =
      restaurant.prepMinutes +
      0.6 * recent.length +
      distance * restaurant.city.minutesPerKm * (rush ? 1.35 : 1) +
      (assignmentDelay ?? 25) * 0.5 +
      courierDistance * 2.5 +
      activeOrders * 3 +
      0.4 * items +
      3 * normal();
    const deliveryMinutes = round(Math.max(8, minutes), 2);
    // The shop's own estimate, from what it knows at checkout (kitchen and distance), rounded up to 5 minutes.
    const estimate = restaurant.prepMinutes + distance * restaurant.city.minutesPerKm + 12 + 4 * normal();
    const promised = random() < 0.8 ? Math.ceil(Math.max(10, estimate) / 5) * 5 : null;

    const orderId = `o-${String(index + 1).padStart(6, '0')}`;
    orders.push({
      order_id: orderId,
      customer_id: `c-${String(1 + Math.floor(random() * CUSTOMERS)).padStart(4, '0')}`,
      restaurant_id: restaurant.id,
      city: restaurant.city.name,
      placed_at: time,
      distance_km: distance,
      items,
      order_value: round(items * (7 + random() * 9), 2),
      promised_minutes: promised,
    });
    if (assignmentDelay !== undefined) {
      assignments.push({
        order_id: orderId,
        courier_id: `k-${String(1 + Math.floor(random() * COURIERS)).padStart(3, '0')}`,
        assigned_at: time + Math.round(assignmentDelay * MINUTE),
        courier_distance_km: courierDistance,
        courier_active_orders: activeOrders,
      });
    }
    // 8 % are cancelled and never delivered: no label.
    if (random() >= 0.08) deliveries.push({ order_id: orderId, delivery_minutes: deliveryMinutes, delivered_at: time + Math.round(deliveryMinutes * MINUTE) });
  }
  assignments.sort((a, b) => a.assigned_at - b.assigned_at);
  deliveries.sort((a, b) => a.delivered_at - b.delivered_at);
  return { orders, assignments, deliveries };
}

/** The files, one JSON record a line, by the topic each is for (without the topic prefix). */
export function deliveryEventFiles(events: DeliveryEvents): Readonly<Record<'orders' | 'courier-assignments' | 'deliveries', string>> {
  const lines = (records: readonly object[]): string => records.map((record) => `${JSON.stringify(record)}\n`).join('');
  return { orders: lines(events.orders), 'courier-assignments': lines(events.assignments), deliveries: lines(events.deliveries) };
}

function main(): void {
  const { values } = parseArgs({ options: { orders: { type: 'string', default: '3000' }, seed: { type: 'string', default: '1' }, out: { type: 'string', default: 'delivery-events' } } });
  const orders = Number(values.orders);
  const seed = Number(values.seed);
  if (!Number.isInteger(orders) || orders < 1) throw new Error(`--orders must be a whole number above 0, got ${values.orders}`);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be a whole number, got ${values.seed}`);
  const files = deliveryEventFiles(generateDeliveryEvents({ orders, seed }));
  mkdirSync(values.out, { recursive: true });
  for (const [topic, text] of Object.entries(files)) {
    const file = join(values.out, `${topic}.jsonl`);
    writeFileSync(file, text);
    console.log(`wrote ${text.split('\n').length - 1} records to ${file}: tributary produce ${topic} --file ${file}`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  try {
    main();
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    process.exitCode = 2;
  }
}
