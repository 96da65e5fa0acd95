import type { Random } from './prng.js';

export interface GeoPoint {
  readonly latitude: number;
  readonly longitude: number;
}

/** A city cards live in and merchants trade in. */
export interface City extends GeoPoint {
  readonly name: string;
  /** ISO 3166-1 alpha-2. */
  readonly country: string;
  /** ISO 4217 code of the local currency. */
  readonly currency: string;
  /** Relative share of cards and merchants located here. */
  readonly weight: number;
}

/**
 * Cities on three continents, so that a jump between them is thousands of kilometres.
 * Their currencies are close enough to parity that one amount scale serves all of them.
 */
export const CITIES: readonly City[] = [
  { name: 'New York', country: 'US', currency: 'USD', latitude: 40.7128, longitude: -74.006, weight: 8 },
  { name: 'Los Angeles', country: 'US', currency: 'USD', latitude: 34.0522, longitude: -118.2437, weight: 5 },
  { name: 'Chicago', country: 'US', currency: 'USD', latitude: 41.8781, longitude: -87.6298, weight: 4 },
  { name: 'San Francisco', country: 'US', currency: 'USD', latitude: 37.7749, longitude: -122.4194, weight: 3 },
  { name: 'Toronto', country: 'CA', currency: 'CAD', latitude: 43.6532, longitude: -79.3832, weight: 3 },
  { name: 'London', country: 'GB', currency: 'GBP', latitude: 51.5074, longitude: -0.1278, weight: 6 },
  { name: 'Manchester', country: 'GB', currency: 'GBP', latitude: 53.4808, longitude: -2.2426, weight: 2 },
  { name: 'Dublin', country: 'IE', currency: 'EUR', latitude: 53.3498, longitude: -6.2603, weight: 2 },
  { name: 'Paris', country: 'FR', currency: 'EUR', latitude: 48.8566, longitude: 2.3522, weight: 5 },
  { name: 'Berlin', country: 'DE', currency: 'EUR', latitude: 52.52, longitude: 13.405, weight: 4 },
  { name: 'Madrid', country: 'ES', currency: 'EUR', latitude: 40.4168, longitude: -3.7038, weight: 3 },
  { name: 'Amsterdam', country: 'NL', currency: 'EUR', latitude: 52.3676, longitude: 4.9041, weight: 2 },
  { name: 'Milan', country: 'IT', currency: 'EUR', latitude: 45.4642, longitude: 9.19, weight: 2 },
  { name: 'Sydney', country: 'AU', currency: 'AUD', latitude: -33.8688, longitude: 151.2093, weight: 3 },
];

const EARTH_RADIUS_KM = 6371;
const KM_PER_DEGREE = (Math.PI * EARTH_RADIUS_KM) / 180;
const radians = (degrees: number): number => (degrees * Math.PI) / 180;

/** Great-circle (haversine) distance in kilometres. */
export function distanceKm(a: GeoPoint, b: GeoPoint): number {
  const dLat = radians(b.latitude - a.latitude);
  const dLon = radians(b.longitude - a.longitude);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(radians(a.latitude)) * Math.cos(radians(b.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Rounds to 6 decimals (about 0.1 m), which keeps generated records short. */
const roundCoordinate = (degrees: number): number => Math.round(degrees * 1e6) / 1e6;

/** A point uniformly distributed over the disc of `radiusKm` around `center`. */
export function pointNear(random: Random, center: GeoPoint, radiusKm: number): GeoPoint {
  const distance = radiusKm * Math.sqrt(random.next());
  const bearing = 2 * Math.PI * random.next();
  return {
    latitude: roundCoordinate(center.latitude + (distance * Math.cos(bearing)) / KM_PER_DEGREE),
    longitude: roundCoordinate(center.longitude + (distance * Math.sin(bearing)) / (KM_PER_DEGREE * Math.cos(radians(center.latitude)))),
  };
}
