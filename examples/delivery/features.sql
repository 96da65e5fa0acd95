-- Delivery-time features. The source topics are tables named after them (orders,
-- courier_assignments), each with an event-time attribute `rowtime` from its eventTime field;
-- customer_id is already the keyed hash here. Tributary writes the result to the features topic,
-- taking the columns the features schema names.

-- How busy the restaurant is: its orders over the 30 minutes of event time up to each order.
CREATE TEMPORARY VIEW restaurant_load AS
SELECT
  order_id, customer_id, city, placed_at, distance_km, items, order_value, promised_minutes, rowtime,
  COUNT(*) OVER last_30m AS restaurant_orders_30m,
  AVG(CAST(items AS DOUBLE)) OVER last_30m AS restaurant_avg_items_30m
FROM orders
WINDOW last_30m AS (
  PARTITION BY restaurant_id ORDER BY rowtime
  RANGE BETWEEN INTERVAL '30' MINUTE PRECEDING AND CURRENT ROW
);

-- Each order with its courier, when one accepted it within 10 minutes: a left interval join
-- emits the order once, with the courier, or without one when the 10 minutes have passed.
SELECT
  o.order_id,
  o.customer_id AS customer_hash,
  o.city,
  o.placed_at,
  o.distance_km,
  o.items,
  o.order_value,
  o.promised_minutes,
  o.restaurant_orders_30m,
  o.restaurant_avg_items_30m,
  a.courier_distance_km,
  a.courier_active_orders
FROM restaurant_load AS o
LEFT JOIN courier_assignments AS a
  ON a.order_id = o.order_id
  AND a.rowtime BETWEEN o.rowtime AND o.rowtime + INTERVAL '10' MINUTE;
