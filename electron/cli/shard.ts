/**
 * Which share of a batch this process segments: `--shard i/n` (0-based), else a SLURM array
 * task's variables, else all of it. Studies are dealt round-robin over the sorted job list, so
 * n processes that list the same folder split it without talking to each other.
 */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

export const WHOLE: Shard = { index: 0, count: 1 };

/** `i/n` with 0 ≤ i < n; throws a sentence for anything else. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!(count >= 1 && index >= 0 && index < count)) {
    throw new Error(`--shard must be i/n with 0 ≤ i < n (e.g. 0/4), not "${text}".`);
  }
  return { index, count };
}

/**
 * SLURM's array variables: task ids run from SLURM_ARRAY_TASK_MIN (often 0 or 1) and
 * SLURM_ARRAY_TASK_COUNT of them exist. Undefined when this is not an array task.
 */
export function shardFromSlurm(env: NodeJS.ProcessEnv): Shard | undefined {
  const id = env['SLURM_ARRAY_TASK_ID'];
  const count = env['SLURM_ARRAY_TASK_COUNT'];
  if (id === undefined || count === undefined) return undefined;
  const min = Number(env['SLURM_ARRAY_TASK_MIN'] ?? '0');
  return parseShard(`${Number(id) - min}/${Number(count)}`);
}

export const resolveShard = (flag: string | undefined, env: NodeJS.ProcessEnv): Shard =>
  flag !== undefined ? parseShard(flag) : (shardFromSlurm(env) ?? WHOLE);

/** The items of `all` (already in a fixed order) that belong to `shard`. */
export const takeShard = <T>(all: readonly T[], shard: Shard): T[] => all.filter((_, i) => i % shard.count === shard.index);
