// The order a Bulk request runs in (RFC 7644 3.7.2): the graph of `bulkId:` references, built
// once from each operation's path and data, and cut into its strongly connected components
// (Tarjan; linear in operations and references). A component is handed out when every
// component it refers to has run, lowest operation first; a component that is a cycle (two
// or more operations, or one that refers to itself) runs as one unit, so that it can be
// completed, or undone, as a whole (RFC 7644 3.7.1). A request of 1,000 operations costs the
// same whatever order they come in.
import { bulkRefsIn, bulkRefsInPath, type BulkOperation } from '../scim/index.ts';

export interface Component {
  /** The operations of the component, in request order. */
  readonly members: readonly number[];
  /** Whether its operations refer to each other in a cycle. */
  readonly cyclic: boolean;
}

export interface ReferenceGraph {
  /** The next component whose references have all run, or undefined when none is left. */
  next(): Component | undefined;
  /** The component has run (or failed): those waiting on it may be ready. */
  done(component: Component): void;
  /** The bulkIds an operation refers to, defined in the request or not. */
  refs(index: number): ReadonlySet<string>;
  /** Whether an operation of the request defines `bulkId`. */
  defines(bulkId: string): boolean;
}

export function referenceGraph(ops: readonly BulkOperation[]): ReferenceGraph {
  const producer = new Map<string, number>();
  ops.forEach((op, i) => {
    if (op.bulkId !== undefined) producer.set(op.bulkId, i);
  });
  const refs = ops.map((op) => bulkRefsIn(op.data, bulkRefsInPath(op.path)));
  const edges = refs.map((set) => [...set].flatMap((r) => (producer.has(r) ? [producer.get(r)!] : [])));
  const { componentOf, components } = stronglyConnected(edges);

  // The condensed graph: how many references each component waits on, and who waits on it.
  const waiting = new Int32Array(components.length);
  const dependents: number[][] = components.map(() => []);
  edges.forEach((targets, i) => {
    for (const t of targets) {
      if (componentOf[t] === componentOf[i]) continue;
      waiting[componentOf[i]]++;
      dependents[componentOf[t]].push(componentOf[i]);
    }
  });
  const views: Component[] = components.map((members) => Object.freeze({
    members,
    cyclic: members.length > 1 || edges[members[0]].includes(members[0]),
  }));
  const indexOf = new Map(views.map((v, c) => [v, c]));
  // Ready components by their first operation, so that independent operations keep request order.
  const ready = new MinHeap();
  views.forEach((v, c) => {
    if (waiting[c] === 0) ready.push(v.members[0], c);
  });

  return {
    next: () => {
      const c = ready.pop();
      return c === undefined ? undefined : views[c];
    },
    done(component) {
      for (const d of dependents[indexOf.get(component)!]) {
        if (--waiting[d] === 0) ready.push(views[d].members[0], d);
      }
    },
    refs: (index) => refs[index],
    defines: (bulkId) => producer.has(bulkId),
  };
}

/**
 * Tarjan's strongly connected components, iteratively (a chain of 1,000 references would
 * nest as deep). Members of each component in ascending order.
 */
function stronglyConnected(edges: readonly (readonly number[])[]): { componentOf: Int32Array; components: number[][] } {
  const n = edges.length;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const componentOf = new Int32Array(n);
  const stack: number[] = [];
  const components: number[][] = [];
  let counter = 0;
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    const work: { v: number; edge: number }[] = [{ v: root, edge: 0 }];
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const { v } = frame;
      if (frame.edge < edges[v].length) {
        const w = edges[v][frame.edge++];
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = 1;
          work.push({ v: w, edge: 0 });
        } else if (onStack[w]) low[v] = Math.min(low[v], index[w]);
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].v;
        low[parent] = Math.min(low[parent], low[v]);
      }
      if (low[v] === index[v]) {
        const members: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          componentOf[w] = components.length;
          members.push(w);
        } while (w !== v);
        components.push(members.sort((a, b) => a - b));
      }
    }
  }
  return { componentOf, components };
}

/** A binary min-heap of values by key. */
class MinHeap {
  private readonly keys: number[] = [];
  private readonly values: number[] = [];

  push(key: number, value: number): void {
    const k = this.keys;
    const v = this.values;
    k.push(key);
    v.push(value);
    for (let i = k.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (k[parent] <= k[i]) break;
      this.swap(parent, i);
      i = parent;
    }
  }

  pop(): number | undefined {
    const k = this.keys;
    if (k.length === 0) return undefined;
    const top = this.values[0];
    this.swap(0, k.length - 1);
    k.pop();
    this.values.pop();
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < k.length && k[l] < k[m]) m = l;
      if (r < k.length && k[r] < k[m]) m = r;
      if (m === i) break;
      this.swap(m, i);
      i = m;
    }
    return top;
  }

  private swap(a: number, b: number): void {
    [this.keys[a], this.keys[b]] = [this.keys[b], this.keys[a]];
    [this.values[a], this.values[b]] = [this.values[b], this.values[a]];
  }
}
