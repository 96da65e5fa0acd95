/**
 * A binary min-heap ordered by a numeric priority; items of equal priority come out in the order
 * they went in, which keeps the simulator's output deterministic.
 */
export class PriorityQueue<T> {
  private readonly heap: { readonly item: T; readonly priority: number; readonly order: number }[] = [];
  private pushed = 0;

  constructor(private readonly priorityOf: (item: T) => number) {}

  get size(): number {
    return this.heap.length;
  }

  push(item: T): void {
    this.heap.push({ item, priority: this.priorityOf(item), order: this.pushed++ });
    let child = this.heap.length - 1;
    while (child > 0) {
      const parent = (child - 1) >>> 1;
      if (!this.before(child, parent)) break;
      this.swap(child, parent);
      child = parent;
    }
  }

  /** The priority of the item {@link pop} would return, or undefined when empty. */
  peekPriority(): number | undefined {
    return this.heap[0]?.priority;
  }

  /** Removes and returns the item with the lowest priority; undefined when empty. */
  pop(): T | undefined {
    const top = this.heap[0];
    const last = this.heap.pop();
    if (top === undefined || last === undefined) return undefined;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.siftDown();
    }
    return top.item;
  }

  private siftDown(): void {
    let parent = 0;
    for (;;) {
      const left = 2 * parent + 1;
      const right = left + 1;
      let smallest = parent;
      if (left < this.heap.length && this.before(left, smallest)) smallest = left;
      if (right < this.heap.length && this.before(right, smallest)) smallest = right;
      if (smallest === parent) return;
      this.swap(parent, smallest);
      parent = smallest;
    }
  }

  private before(a: number, b: number): boolean {
    const x = this.heap[a];
    const y = this.heap[b];
    if (x === undefined || y === undefined) return false;
    return x.priority < y.priority || (x.priority === y.priority && x.order < y.order);
  }

  private swap(a: number, b: number): void {
    const x = this.heap[a];
    const y = this.heap[b];
    if (x === undefined || y === undefined) return;
    this.heap[a] = y;
    this.heap[b] = x;
  }
}
