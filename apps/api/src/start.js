// Starts the API (main.ts). It is JavaScript so that Node's compile cache is on before any
// TypeScript loads: a start that finds every module in the cache (each start after the first,
// the cache being in NODE_COMPILE_CACHE or else the OS temp folder; the image fills it at build)
// then never loads Node's TypeScript stripper, which would stay resident (about 14 MiB) for the
// life of the process. `node src/main.ts` works too, but always strips main.ts itself first.
import module from 'node:module';

module.enableCompileCache();
const { main } = await import('./main.ts');
await main();
