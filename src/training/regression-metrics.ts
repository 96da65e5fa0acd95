/**
 * Regression metrics over labels (the observed values) and predictions, both in the label's units.
 * Metrics refuse inputs they are not defined on with {@link MetricInputError}, rather than return a
 * number that means nothing: mismatched lengths, no examples, a value that is not finite, and for
 * R² labels that do not vary.
 */
import { MetricInputError } from './errors.js';

/** Mean of |label − prediction|: in the label's units; 0 is perfect. */
export function meanAbsoluteError(labels: ArrayLike<number>, predictions: ArrayLike<number>): number {
  checkInputs('MAE', labels, predictions);
  let sum = 0;
  for (let index = 0; index < labels.length; index += 1) sum += Math.abs(labels[index]! - predictions[index]!);
  return sum / labels.length;
}

/** √(mean of (label − prediction)²): in the label's units; weighs large errors more than MAE does. */
export function rootMeanSquaredError(labels: ArrayLike<number>, predictions: ArrayLike<number>): number {
  checkInputs('RMSE', labels, predictions);
  return Math.sqrt(sumOfSquaredErrors(labels, predictions) / labels.length);
}

/**
 * Coefficient of determination 1 − Σ(label − prediction)² / Σ(label − mean label)²: 1 is perfect,
 * 0 is no better than predicting the mean of these labels, below 0 is worse than that.
 */
export function rSquared(labels: ArrayLike<number>, predictions: ArrayLike<number>): number {
  checkInputs('R²', labels, predictions);
  let mean = 0;
  for (let index = 0; index < labels.length; index += 1) mean += labels[index]!;
  mean /= labels.length;
  let totalSquares = 0;
  for (let index = 0; index < labels.length; index += 1) totalSquares += (labels[index]! - mean) ** 2;
  if (totalSquares === 0) throw new MetricInputError('R²', `all ${labels.length} labels are ${mean}; it needs labels that vary`);
  return 1 - sumOfSquaredErrors(labels, predictions) / totalSquares;
}

function sumOfSquaredErrors(labels: ArrayLike<number>, predictions: ArrayLike<number>): number {
  let sum = 0;
  for (let index = 0; index < labels.length; index += 1) sum += (labels[index]! - predictions[index]!) ** 2;
  return sum;
}

function checkInputs(metric: string, labels: ArrayLike<number>, predictions: ArrayLike<number>): void {
  if (labels.length !== predictions.length) throw new MetricInputError(metric, `${labels.length} labels but ${predictions.length} predictions`);
  if (labels.length === 0) throw new MetricInputError(metric, 'no examples');
  for (let index = 0; index < labels.length; index += 1) {
    if (!Number.isFinite(labels[index])) throw new MetricInputError(metric, `label ${labels[index]} at index ${index} is not a finite number`);
    if (!Number.isFinite(predictions[index])) throw new MetricInputError(metric, `prediction ${predictions[index]} at index ${index} is not a finite number`);
  }
}
