/** Who asks a long-running workflow (threshold trigger, drift monitor) to stop, and why: what its result records. */
export interface StopRequest {
  readonly by: string;
  readonly reason?: string;
}
