/** The schedule id of a model's periodic retraining, shared by `tributary schedule` and `pipeline apply`; no imports, so the CLI's command tree loads it cheaply. */
export const retrainingScheduleId = (model: string): string => `retrain:${model}`;
