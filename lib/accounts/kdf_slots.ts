/**
 * Key derivation (scrypt: ~32 MiB and tens of milliseconds of one core each) runs in a fixed
 * number of slots, about one per core, with a short bounded wait line behind them. A request
 * that finds the line full is refused at once with 503 and Retry-After: hundreds of parallel
 * logins or registrations cost a bounded amount of memory and leave cores for the buyers, instead
 * of queueing derivations that would finish long after their clients gave up.
 */
import { AppError } from "#lib/platform/errors.ts";

export interface KdfSlots {
  /** Runs `derive` in a slot, waiting in line if all are busy; 503 when the line is full. */
  run<T>(derive: () => Promise<T>): Promise<T>;
  /** Derivations running and waiting now. */
  stats(): { running: number; waiting: number };
}

export function kdfSlots(slots: number, lineLength: number): KdfSlots {
  let running = 0;
  const line: (() => void)[] = [];
  const release = () => {
    const next = line.shift();
    if (next) next();
    else running--;
  };
  return {
    async run(derive) {
      if (running < slots) running++;
      else if (line.length < lineLength) await new Promise<void>((go) => line.push(go));
      else {
        throw new AppError("UNAVAILABLE", "password checks are busy, retry shortly", {
          retryAfter: 1,
        });
      }
      try {
        return await derive();
      } finally {
        release();
      }
    },
    stats: () => ({ running, waiting: line.length }),
  };
}

/** The process's slots: one per core, and a line of four per slot. */
export const KDF_SLOTS = kdfSlots(
  Math.max(1, navigator.hardwareConcurrency || 1),
  4 * Math.max(1, navigator.hardwareConcurrency || 1),
);
