// The outer shell of a benchmark run: main's exit code, cleanup once whatever happens (also on
// SIGINT/SIGTERM), then exit.

/**
 * Runs `main` and exits with its code (1 if it throws); `cleanup` runs once, after main or on an
 * interrupt (exit code 130). `interrupted` says what the cleanup does, for the interrupt message.
 */
export async function runBenchmark(
  name: string,
  main: () => Promise<number>,
  cleanup: () => Promise<void>,
  interrupted: string,
): Promise<never> {
  let cleaning: Promise<void> | undefined;
  const cleanOnce = () => (cleaning ??= cleanup());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: ${interrupted}`);
      void cleanOnce().finally(() => process.exit(130));
    });
  }
  let exitCode = 1;
  try {
    exitCode = await main();
  } catch (error) {
    console.error(`${name} benchmark failed:`, error);
  } finally {
    await cleanOnce();
  }
  process.exit(exitCode);
}
