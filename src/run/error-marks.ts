/**
 * What a node's failure left behind (its request kept in the journal, its intent maybe paid, its
 * id not journaled), marked on the error it failed with, per node: one error object may fail many
 * nodes (the run's interrupt reason is one object), and a mark made for one node must not mark
 * the others (walk-z: a node cancelled while queued at Ctrl-C was listed as outcome unknown
 * because another node's running request had marked the shared interrupt).
 */
export class ErrorMarks<V> {
  readonly #marks = new WeakMap<object, Map<string, V>>();

  set(e: unknown, node: string, value: V): void {
    if (typeof e !== 'object' || e === null) return;
    const byNode = this.#marks.get(e) ?? new Map<string, V>();
    byNode.set(node, value);
    this.#marks.set(e, byNode);
  }

  get(e: unknown, node: string): V | undefined {
    return typeof e === 'object' && e !== null ? this.#marks.get(e)?.get(node) : undefined;
  }
}
