// The engine's long-running form: JSON-RPC requests on stdin, responses on stdout.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import readline from 'node:readline';
import { MigrationPgAdapter } from './pg-adapter.mjs';

const require = createRequire(import.meta.url);
const { bindMigrationAwareSqlAdapterFactory } = require('@prisma/driver-adapter-utils');

// The WASM engine names some methods differently from the native one.
const METHOD_NAMES = { getDatabaseVersion: 'version' };

async function loadEngine() {
  // Manual instantiation: the package's wasm-ESM import is not supported on every Node line.
  const gluePath = '@prisma/schema-engine-wasm/schema_engine_bg';
  const glue = await import(gluePath);
  const wasmUrl = new URL('schema_engine_bg.wasm', import.meta.resolve(gluePath));
  const instance = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(wasmUrl)), { './schema_engine_bg.js': glue });
  glue.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start();
  return glue.SchemaEngine;
}

const errorCodeFor = (message) =>
  /Can't reach database server/.test(message) ? 'P1001' : /does not exist/.test(message) ? 'P1003' : 'P1000';

const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

function errorResponse(id, error) {
  const isPanic = error instanceof WebAssembly.RuntimeError;
  return {
    jsonrpc: '2.0',
    id,
    error: {
      code: 4466,
      message: 'An error happened. Check the data field for details.',
      data: {
        is_panic: isPanic,
        message: error.message,
        error_code: error.code,
        meta: error.meta,
        error: isPanic ? { message: error.message } : undefined,
      },
    },
  };
}

export async function startRpcServer({ url, shadowDatabaseUrl, datamodelFiles }) {
  const SchemaEngine = await loadEngine();
  const datamodels = datamodelFiles.map((file) => [file, fs.readFileSync(file, 'utf8')]);
  const adapter = bindMigrationAwareSqlAdapterFactory(new MigrationPgAdapter(url, shadowDatabaseUrl));
  const log = (line) => {
    if (process.env.SCHEMA_ENGINE_DEBUG) process.stderr.write(`${String(line)}\n`);
  };
  // Like the native engine, a failed connection is reported in answer to each request (the CLI
  // ignores an engine that quits at start-up), with the native error codes.
  let engine;
  let startError;
  try {
    engine = await SchemaEngine.new({ datamodels: datamodels.length ? datamodels : undefined }, log, adapter);
  } catch (error) {
    startError = Object.assign(error, { code: error.code ?? errorCodeFor(error.message) });
  }

  // Requests are answered one at a time, in order, as the native engine does.
  let queue = Promise.resolve();
  const handle = async (message) => {
    const method = METHOD_NAMES[message.method] ?? message.method;
    try {
      if (startError) throw startError;
      if (typeof engine[method] !== 'function') {
        throw Object.assign(new Error(`Method ${message.method} is not supported by the WASM schema engine`), { code: 'P1000' });
      }
      const result = await engine[method](message.params ?? {});
      // The native engine prints `migrate diff` output through a `print` request to the CLI;
      // the WASM engine returns it in `stdout` instead.
      if (method === 'diff' && result && typeof result.stdout === 'string') {
        send({ jsonrpc: '2.0', id: `print-${message.id}`, method: 'print', params: { content: result.stdout.replace(/\n$/, '') } });
        result.stdout = null;
      }
      send({ jsonrpc: '2.0', id: message.id, result: result ?? null });
    } catch (error) {
      send(errorResponse(message.id, error));
    }
  };

  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  lines.on('line', (line) => {
    if (!line.trim()) return;
    const message = JSON.parse(line);
    if (message.method === undefined) return; // the CLI's answer to a `print` request
    queue = queue.then(() => handle(message));
  });
  lines.on('close', () => {
    queue.then(async () => {
      try {
        await engine?.free?.();
      } finally {
        process.exit(0);
      }
    });
  });
}
