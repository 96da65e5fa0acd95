/**
 * What training reads of the examples topic, for any pipeline: each record as its Avro decoder
 * gives it (the model's inputs are read from it by the vectoriser), with the three fields the
 * platform itself needs, named by the pipeline definition: the event's id and time (the split
 * orders by them) and the label (`labels.field`).
 */
import type { ModelTask } from '../pipelines/pipeline-definition.js';
import { ExampleFieldError } from './errors.js';

/** A decoded Avro record: field name to value, only as typed as its producer. */
export type FeatureRecord = Readonly<Record<string, unknown>>;

/** The fields of an example record that are not model inputs, as the definition names them. */
export interface ExampleFields {
  /** `features.eventId`: identifies the event, and orders examples that share an event time. */
  readonly eventId: string;
  /** `features.eventTime`: epoch milliseconds; the split is by it. */
  readonly eventTime: string;
  /** `labels.field`: a boolean or 0/1 for a binary classifier, a number for regression. */
  readonly label: string;
  /** `model.task`: how the label is read. @default 'binary-classification' */
  readonly task?: ModelTask;
}

/** One labelled example. */
export interface TrainingExample {
  readonly id: string;
  /** Epoch milliseconds. */
  readonly eventTime: number;
  /** A classifier's: 1 for a positive label, 0 for a negative one. A regression's: the observed value. */
  readonly label: number;
  readonly record: FeatureRecord;
}

/**
 * The example of a decoded record; throws {@link ExampleFieldError} naming the field, its value
 * and `where` (the record's topic, partition and offset) when one of the three cannot be read.
 */
export function toTrainingExample(record: FeatureRecord, fields: ExampleFields, where: string): TrainingExample {
  const id = record[fields.eventId];
  if (typeof id !== 'string' && !(typeof id === 'number' && Number.isSafeInteger(id))) throw new ExampleFieldError(where, fields.eventId, id, 'text or a whole number (the event id)');
  const eventTime = record[fields.eventTime];
  if (typeof eventTime !== 'number' || !Number.isSafeInteger(eventTime)) throw new ExampleFieldError(where, fields.eventTime, eventTime, 'epoch milliseconds (the event time)');
  const value = record[fields.label];
  if (fields.task === 'regression') {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new ExampleFieldError(where, fields.label, value, 'a finite number (the label of a regression)');
    return { id: String(id), eventTime, label: value, record };
  }
  const label = value === true || value === 1 ? 1 : value === false || value === 0 ? 0 : undefined;
  if (label === undefined) throw new ExampleFieldError(where, fields.label, value, 'true, false, 1 or 0 (the label)');
  return { id: String(id), eventTime, label, record };
}
