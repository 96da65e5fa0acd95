/**
 * The last step of opening a store that folds a Kafka log (the pipeline store, the model
 * registry): read to the end of what is committed before handing the store out, and close it
 * when that read fails, so a failed open leaves no reader or client behind.
 */

/** Resolves `store` once `catchUp` has; closes it and rethrows the failure when that fails. */
export async function openCaughtUp<Store extends { close(): Promise<void> }>(store: Store, catchUp: (store: Store) => Promise<void>): Promise<Store> {
  try {
    await catchUp(store);
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
