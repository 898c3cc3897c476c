#!/usr/bin/env node
// The `personal_automations` executable. Node runs the TypeScript sources directly (type
// stripping), so oclif must not look for a transpiler (ts-node/tsx) or a compiled copy.
import module from 'node:module';

// Every run loads the same modules: Node's on-disk compile cache (in the OS temp folder, keyed by
// file contents) saves about a third of the start-up time.
module.enableCompileCache?.();
const { execute, settings } = await import('@oclif/core');
settings.enableAutoTranspile = false;
await execute({ dir: import.meta.url });
