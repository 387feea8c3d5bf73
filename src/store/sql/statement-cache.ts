// Prepared statements, kept per SQL text and bounded. The SQL texts a store runs are not a
// fixed set: a client's filter becomes SQL of its own shape (an or-chain of n terms is a text
// of its own for every n), IN lists and page sizes vary with the request. Kept without a bound,
// every such text stays prepared for the life of the process (SQLite: a statement of a 250-row
// INSERT into the request log holds about 260 KB) or of each PostgreSQL connection, and a
// client sending varied filters grows both without end.

/** How many statements a store keeps prepared unless told otherwise (QueryLimits.preparedStatements). */
export const PREPARED_STATEMENTS = 500;

function requireCapacity(capacity: number): void {
  if (!Number.isSafeInteger(capacity) || capacity < 1) throw new Error(`invalid prepared statement capacity ${capacity}`);
}

/**
 * At most `capacity` statements by SQL text, evicted by second chance (the clock algorithm): a
 * hit only marks its entry used, one Map lookup (reordering a Map on every hit, as an exact
 * least-recently-used list would, cost 1% of a GET by id's CPU in hashing the text three times);
 * when a text must make room, the oldest entries that were used since they were last passed
 * over move to the back unmarked, and the first one that was not is dropped. SQLite: a dropped
 * statement is finalised when it is collected, and prepared again if its text comes back.
 */
export class StatementCache<S> {
  private readonly entries = new Map<string, { readonly statement: S; used: boolean }>();

  constructor(
    private readonly capacity: number,
    private readonly prepare: (sql: string) => S,
  ) {
    requireCapacity(capacity);
  }

  get(sql: string): S {
    const found = this.entries.get(sql);
    if (found !== undefined) {
      found.used = true;
      return found.statement;
    }
    const statement = this.prepare(sql);
    if (this.entries.size >= this.capacity) this.evictOne();
    this.entries.set(sql, { statement, used: false });
    return statement;
  }

  private evictOne(): void {
    // Ends within one pass: every entry passed over loses its mark.
    for (;;) {
      const [oldest, entry] = this.entries.entries().next().value as [string, { statement: S; used: boolean }];
      this.entries.delete(oldest);
      if (!entry.used) return;
      entry.used = false;
      this.entries.set(oldest, entry);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

/** A statement as PostgreSQL's client takes it: its text, and its name when it has one. */
export interface NamedText {
  readonly name?: string;
  readonly text: string;
}

/** Texts seen once that StatementNames remembers before it forgets them all. */
const SEEN_ONCE = 10_000;

/**
 * Names for PostgreSQL's named statements: each connection parses and plans a named text once.
 * A name cannot be taken back from the connections that prepared it (and pg refuses a name
 * reused for another text), so at most `capacity` texts are named, and a text is named only
 * when it comes a second time: a client that sends a new filter on every request (each its own
 * text) runs those unnamed (parsed on each call, as without names) and never uses up the names
 * that the repository's own statements need. `translate` turns the repository's SQL into the
 * text sent (done once for a named one).
 */
export class StatementNames {
  private readonly named = new Map<string, NamedText>();
  private readonly seenOnce = new Set<string>();

  constructor(
    private readonly capacity: number,
    private readonly translate: (sql: string) => string,
  ) {
    requireCapacity(capacity);
  }

  of(sql: string): NamedText {
    const found = this.named.get(sql);
    if (found !== undefined) return found;
    if (this.named.size >= this.capacity) return { text: this.translate(sql) };
    if (!this.seenOnce.has(sql)) {
      if (this.seenOnce.size >= SEEN_ONCE) this.seenOnce.clear();
      this.seenOnce.add(sql);
      return { text: this.translate(sql) };
    }
    this.seenOnce.delete(sql);
    const made = { name: `s${this.named.size + 1}`, text: this.translate(sql) };
    this.named.set(sql, made);
    return made;
  }

  get size(): number {
    return this.named.size;
  }
}
