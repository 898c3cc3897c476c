#!/usr/bin/env node
import { runCliCommand } from './cli-commands.mjs';
// Stands in for Prisma's native `schema-engine` binary (PRISMA_SCHEMA_ENGINE_BINARY points here).
// It speaks the protocol the Prisma CLI uses (JSON-RPC 2.0, one message per line on stdio) and
// runs the same engine compiled to WASM (@prisma/schema-engine-wasm, pinned to the CLI's engine
// commit) over the pg driver adapter, so no engine download is ever needed.
import { logError, logStart, parseArgs } from './protocol.mjs';
import { startRpcServer } from './rpc-server.mjs';

const args = parseArgs(process.argv.slice(2));
if (args.version) {
  console.log('schema-engine-wasm-wrapper 7.10.0');
  process.exit(0);
}
const url = args.datasource.url ?? process.env.DATABASE_URL;
if (!url) {
  logError('P1012', 'No datasource URL was given to the schema engine');
  process.exit(1);
}
if (args.cliCommand) process.exit(await runCliCommand(args.cliCommand, url));
try {
  await startRpcServer({ url, shadowDatabaseUrl: args.datasource.shadowDatabaseUrl, datamodelFiles: args.datamodelFiles });
} catch (error) {
  // The engine connects while starting; report that failure the way the native engine does.
  const unreachable = /Can't reach database server/.test(error.message);
  logStart('RPC server'); // the CLI skips the first stderr line
  logError(error.code ?? (unreachable ? 'P1001' : 'P1000'), error.message);
  process.exit(1);
}
