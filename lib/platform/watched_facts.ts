/**
 * Facts read from Redis that a process may keep in memory because the writer announces every
 * change on a channel ("this token is not revoked" stays true until a revocation is published).
 *
 * Three rules keep a remembered fact from outliving the truth:
 * - nothing is answered from memory while the subscription is down (`live` false), and going
 *   down forgets everything: a message missed while the connection was gone cannot be replayed;
 * - a change to a group forgets the whole group;
 * - a fact read from Redis is remembered only when no change and no reset happened between the
 *   moment the read was sent (`epoch()`) and the moment it is remembered. A reply that overtakes
 *   the message announcing a change that came after the read is therefore never kept.
 *
 * Pure bookkeeping: the subscription that calls `forgetGroup` and `setLive` is
 * `redis_subscriber.ts`. A copy kept elsewhere (lib/accounts/revocation_view.ts) hears the same
 * two events through `listen`, synchronously, so it is never behind this memory.
 */
export class WatchedFacts {
  readonly #groups = new Map<string, Set<string>>();
  readonly #listeners: FactsListener[] = [];
  #size = 0;
  #epoch = 0;
  #live = false;

  /** @param maxFacts past it the oldest group is forgotten: memory stays bounded. */
  constructor(readonly maxFacts = 100_000) {}

  /** `listener` hears every change and every reset from now on. */
  listen(listener: FactsListener): void {
    this.#listeners.push(listener);
  }

  /** True when the fact is known, the subscription is up. */
  has(group: string, fact: string): boolean {
    return this.#live && this.#groups.get(group)?.has(fact) === true;
  }

  /** Taken before the read whose result may be remembered. */
  epoch(): number {
    return this.#epoch;
  }

  /** Remembers a fact read at `epochAtRead`, unless anything changed since. */
  remember(group: string, fact: string, epochAtRead: number): void {
    if (!this.#live || epochAtRead !== this.#epoch) return;
    let facts = this.#groups.get(group);
    if (!facts) {
      while (this.#size >= this.maxFacts && this.#groups.size > 0) {
        const oldest = this.#groups.keys().next().value!;
        this.#size -= this.#groups.get(oldest)!.size;
        this.#groups.delete(oldest);
      }
      this.#groups.set(group, facts = new Set());
    }
    if (facts.has(fact)) return;
    facts.add(fact);
    this.#size++;
  }

  /** A change to a group was announced (or made here): its facts are no longer known. */
  forgetGroup(group: string): void {
    this.#epoch++;
    for (const l of this.#listeners) l.groupChanged(group);
    const facts = this.#groups.get(group);
    if (!facts) return;
    this.#size -= facts.size;
    this.#groups.delete(group);
  }

  /** The subscription went up or down; either way what was known before is forgotten. */
  setLive(live: boolean): void {
    this.#epoch++;
    this.#live = live;
    this.#groups.clear();
    this.#size = 0;
    for (const l of this.#listeners) l.liveChanged(live);
  }

  get live(): boolean {
    return this.#live;
  }

  get size(): number {
    return this.#size;
  }
}

/** Hears what makes remembered facts stale (WatchedFacts.listen). */
export interface FactsListener {
  /** A change to `group` was announced (or made here). */
  groupChanged(group: string): void;
  /** The subscription went up or down: anything heard before may have been missed since. */
  liveChanged(live: boolean): void;
}
