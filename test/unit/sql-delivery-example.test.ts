/**
 * The delivery example's event generator, as its SQL feature job needs it: the same seed gives
 * the same files; each file is in event-time order (the query's watermarks drop what comes after
 * them); order times are distinct (the 30-minute window counts ties at one time as one group);
 * every line is a JSON record of its topic's schema.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { deliveryEventFiles, generateDeliveryEvents } from '../../examples/delivery/generate-events.js';

const schemaOf = (file: string): avro.Type =>
  avro.Type.forSchema(JSON.parse(readFileSync(fileURLToPath(new URL(`../../examples/delivery/schemas/${file}`, import.meta.url)), 'utf8')) as avro.Schema);

describe('the delivery example\'s event generator', () => {
  const events = generateDeliveryEvents({ orders: 2_000, seed: 5 });

  it('gives the same files for the same seed, and other files for another', () => {
    expect(deliveryEventFiles(generateDeliveryEvents({ orders: 2_000, seed: 5 }))).toEqual(deliveryEventFiles(events));
    expect(deliveryEventFiles(generateDeliveryEvents({ orders: 2_000, seed: 6 })).orders).not.toEqual(deliveryEventFiles(events).orders);
  });

  it('writes each topic in event-time order, orders at distinct times', () => {
    const increasing = (times: readonly number[], strictly: boolean): boolean => times.every((time, index) => index === 0 || (strictly ? time > times[index - 1]! : time >= times[index - 1]!));
    expect(increasing(events.orders.map((order) => order.placed_at), true)).toBe(true);
    expect(increasing(events.assignments.map((assignment) => assignment.assigned_at), false)).toBe(true);
    expect(increasing(events.deliveries.map((delivery) => delivery.delivered_at), false)).toBe(true);
  });

  it('gives some orders no courier within 10 minutes and some no delivery, as the example says', () => {
    const placed = new Map(events.orders.map((order) => [order.order_id, order.placed_at]));
    const inTime = events.assignments.filter((assignment) => assignment.assigned_at <= placed.get(assignment.order_id)! + 600_000).length;
    const share = (count: number): number => count / events.orders.length;
    expect(share(inTime)).toBeGreaterThan(0.9);
    expect(share(inTime)).toBeLessThan(0.96);
    expect(share(events.deliveries.length)).toBeGreaterThan(0.88);
    expect(share(events.deliveries.length)).toBeLessThan(0.96);
    expect(events.orders.some((order) => order.promised_minutes === null)).toBe(true);
  });

  it('writes records of the topics\' schemas', () => {
    const files = deliveryEventFiles(events);
    for (const [topic, schema] of [['orders', 'order.avsc'], ['courier-assignments', 'courier-assignment.avsc'], ['deliveries', 'delivery.avsc']] as const) {
      const type = schemaOf(schema);
      const lines = files[topic].trimEnd().split('\n');
      expect(lines.every((line) => type.isValid(JSON.parse(line))), topic).toBe(true);
    }
  });
});
