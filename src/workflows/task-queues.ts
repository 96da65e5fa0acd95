/**
 * Task queue names derived from the one a worker is configured with. Pure, so both workflow code
 * (which picks the queue of each activity) and the worker (which polls it) compute the same name.
 */

/**
 * The queue of the training activities (dataset, train, evaluate) of workflows running on
 * `taskQueue`: training scales on its own (larger or GPU) workers, apart from orchestration.
 */
export const trainingTaskQueue = (taskQueue: string): string => `${taskQueue}-training`;
