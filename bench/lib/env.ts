/** An integer setting from the environment, with a fallback and a range; anything else stops the run. */
export function intEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name}: expected an integer in ${min}..${max}, got ${JSON.stringify(raw)}`);
  return value;
}
