/** An integer setting from the environment, with a fallback and a range; anything else stops the run. */
export function intEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`${name}: expected an integer in ${min}..${max}, got ${JSON.stringify(raw)}`);
  return value;
}

export type LoadSettings = { duration: number; rounds: number; connections: number; warmup: number };

/** BENCH_DURATION, BENCH_ROUNDS, BENCH_CONNECTIONS and BENCH_WARMUP, each with this benchmark's default. */
export function loadSettingsEnv(defaults: LoadSettings): LoadSettings {
  return {
    duration: intEnv('BENCH_DURATION', defaults.duration, 1, 300),
    rounds: intEnv('BENCH_ROUNDS', defaults.rounds, 1, 20),
    connections: intEnv('BENCH_CONNECTIONS', defaults.connections, 1, 1000),
    warmup: intEnv('BENCH_WARMUP', defaults.warmup, 0, 120),
  };
}
