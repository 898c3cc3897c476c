// Fills Node's compile cache with the modules the API loads at start, so that the first start of
// a container built from the image already finds them all there and never loads Node's
// TypeScript stripper (src/main.ts says why that matters). The Dockerfile runs it with the
// image's NODE_COMPILE_CACHE and NODE_OPTIONS (V8 refuses a code cache made under other flags):
//   NODE_COMPILE_CACHE=<dir> node apps/api/scripts/warm-compile-cache.ts
// It only loads modules: main.ts starts nothing when imported, and nothing connects anywhere.
// What the API loads later, on first use (the OpenAPI document, BullMQ, ...), is cached then.
import module from 'node:module';

const dir = module.getCompileCacheDir();
if (!dir) {
  console.error('the compile cache is off (set NODE_COMPILE_CACHE to a writable folder): nothing to fill');
  process.exit(1);
}
await import('../src/main.ts');
// What main() imports on its way to listening, in its order.
await import('@personal-automations/config');
await import('@personal-automations/observability');
await Promise.all([import('../src/app.ts'), import('@personal-automations/db')]);
// The argon2 binding, which the API loads on the first sign-in: one hash, so that an image whose
// native binding cannot load fails to build rather than at someone's first sign-in.
const { hashPassword } = await import('@personal-automations/services');
await hashPassword('compile cache warm-up');
module.flushCompileCache();
console.log(`compile cache filled in ${dir}`);
