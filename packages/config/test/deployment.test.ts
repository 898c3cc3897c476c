// Fail-closed deployment defaults: the Docker image and docker-compose.yml run with
// ENVIRONMENT=production unless told otherwise, compose will not start without a SECRET_KEY, and
// what they hand the API is refused with the public default key. `make start` stays local.
// The image and compose also size V8's heap for the replicas' 512 MiB memory limit.
// No Docker engine is needed: the files are read, and compose's substitution is done here.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_SECRET_KEY, loadSettings, parseEnv, SettingsError } from '../src/index.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
const GOOD_KEY = 'k'.repeat(64);
const DEFAULT_KEY_REFUSED = 'SECRET_KEY: the default key cannot be used when ENVIRONMENT=production';

type Compose = { services: Record<string, { environment?: Record<string, string>; mem_limit?: string; memswap_limit?: string }> };
const compose = parseYaml(read('docker-compose.yml')) as Compose;
const APP_SERVICES = ['api', 'worker', 'scheduler'];

/**
 * Compose's substitution of one value: `${VAR}`, `${VAR:-default}` / `${VAR-default}`,
 * `${VAR:?message}` / `${VAR?message}` (refuses to start), `$$` for a literal `$`. The colon
 * forms treat an empty value as unset.
 */
function substitute(value: string, env: Record<string, string | undefined>): string {
  return value.replace(/\$\$|\$\{(\w+)(?:(:?)([-?])([^}]*))?\}/g, (match, name?: string, colon?: string, kind?: string, word = '') => {
    if (match === '$$') return '$';
    const current = env[name!];
    const missing = current === undefined || (colon === ':' && current === '');
    if (!kind || !missing) return current ?? '';
    if (kind === '-') return word;
    throw new Error(`required variable ${name} is missing a value: ${word}`);
  });
}

/** The environment compose gives a service, from the shell's environment (or .env) `env`. */
const composeEnvironment = (service: string, env: Record<string, string | undefined>) =>
  Object.fromEntries(
    Object.entries(compose.services[service]?.environment ?? {}).map(([name, value]) => [name, substitute(String(value), env)]),
  );

/** The Dockerfile's instructions: comments dropped, continuation lines joined. */
const dockerfileInstructions = (): string[] =>
  read('Dockerfile')
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

/** Its ENV instructions, as name → value. */
function dockerfileEnv(): Record<string, string> {
  const pairs = dockerfileInstructions()
    .filter((line) => /^ENV\s/i.test(line))
    .flatMap((line) => [...line.slice(4).matchAll(/(\w+)=("[^"]*"|\S+)/g)]);
  return Object.fromEntries(pairs.map(([, name, value]) => [name!, value!.replace(/^"(.*)"$/, '$1')]));
}

const refusalOf = (env: Record<string, string | undefined>): string[] => {
  try {
    loadSettings(env);
  } catch (error) {
    if (error instanceof SettingsError) return error.problems;
    throw error;
  }
  return [];
};

describe('docker-compose.yml', () => {
  it('runs the API, the worker and the scheduler with ENVIRONMENT=production unless told otherwise', () => {
    for (const service of APP_SERVICES) {
      expect(compose.services[service]?.environment?.ENVIRONMENT, service).toBe(`\${ENVIRONMENT:-production}`);
      expect(composeEnvironment(service, { SECRET_KEY: GOOD_KEY }).ENVIRONMENT, service).toBe('production');
      expect(composeEnvironment(service, { ENVIRONMENT: 'development', SECRET_KEY: GOOD_KEY }).ENVIRONMENT).toBe('development');
    }
  });

  it('will not start without a SECRET_KEY, and says how to set one', () => {
    for (const service of APP_SERVICES) {
      expect(compose.services[service]?.environment?.SECRET_KEY, service).toMatch(/^\$\{SECRET_KEY:\?.*openssl rand -hex 32.*\}$/);
      for (const unset of [{}, { SECRET_KEY: '' }]) {
        expect(() => composeEnvironment(service, unset)).toThrow(/SECRET_KEY .*set SECRET_KEY .*\.env/);
      }
    }
  });

  it('what it hands the API with the public default key is refused; with a key of its own it runs as production', () => {
    expect(refusalOf(composeEnvironment('api', { SECRET_KEY: DEFAULT_SECRET_KEY }))).toContain(DEFAULT_KEY_REFUSED);
    expect(refusalOf(composeEnvironment('api', { SECRET_KEY: GOOD_KEY, CORS_ORIGINS: '["*"]' }))).toEqual([
      'CORS_ORIGINS: "*" is not allowed when ENVIRONMENT=production',
    ]);
    const settings = loadSettings(composeEnvironment('api', { SECRET_KEY: GOOD_KEY }));
    expect(settings).toMatchObject({ isProduction: true, docsEnabled: false, webhookAllowPrivateUrls: false });
    expect(settings.database.kind).toBe('postgresql');
  });

  it('a .env copied from .env.example leaves it in production and asks for a key', () => {
    const example = parseEnv(read('.env.example'));
    expect(example.ENVIRONMENT).toBeUndefined();
    expect(example.SECRET_KEY).toBeUndefined();
    expect(() => composeEnvironment('api', example)).toThrow(/SECRET_KEY/);
    expect(composeEnvironment('api', { ...example, SECRET_KEY: GOOD_KEY }).ENVIRONMENT).toBe('production');
  });
});

describe('Dockerfile', () => {
  it('sets ENVIRONMENT=production and bakes in no key', () => {
    const env = dockerfileEnv();
    expect(env.ENVIRONMENT).toBe('production');
    expect(dockerfileInstructions().filter((line) => line.includes('SECRET_KEY'))).toEqual([]);
  });

  it('a container started without a SECRET_KEY is refused', () => {
    expect(refusalOf({ ...dockerfileEnv(), POSTGRES_HOST: 'db' })).toEqual([DEFAULT_KEY_REFUSED]);
  });
});

describe('memory of a replica', () => {
  const MiB = 2 ** 20;
  const IMAGE_NODE_OPTIONS = '--max-semi-space-size=16 --max-old-space-size=256';
  /** V8's heap limit (old generation + 3 semi-spaces) in MiB, as a Node started with these NODE_OPTIONS reports it. */
  const heapLimitMiB = (nodeOptions: string) =>
    Number(
      execFileSync(process.execPath, ['-p', 'require("node:v8").getHeapStatistics().heap_size_limit'], {
        env: { PATH: process.env.PATH, NODE_OPTIONS: nodeOptions },
        encoding: 'utf8',
      }),
    ) / MiB;

  it('the image sizes the heap for 512 MiB, and compose gives the API and the worker that limit and the same flags', () => {
    expect(dockerfileEnv().NODE_OPTIONS).toBe(IMAGE_NODE_OPTIONS);
    for (const service of ['api', 'worker']) {
      expect(compose.services[service]?.mem_limit, service).toBe(`\${REPLICA_MEMORY_LIMIT:-512m}`);
      expect(compose.services[service]?.memswap_limit, service).toBe(`\${REPLICA_MEMORY_LIMIT:-512m}`);
      expect(substitute(compose.services[service]!.mem_limit!, {})).toBe('512m');
    }
    for (const service of APP_SERVICES) {
      expect(composeEnvironment(service, { SECRET_KEY: GOOD_KEY }).NODE_OPTIONS, service).toBe(IMAGE_NODE_OPTIONS);
      expect(composeEnvironment(service, { SECRET_KEY: GOOD_KEY, CONTAINER_NODE_OPTIONS: '--max-old-space-size=512' }).NODE_OPTIONS).toBe(
        '--max-old-space-size=512',
      );
    }
  });

  it('Node takes the flags: the heap limit is 256 + 3 x 16 MiB, leaving 208 of the 512 MiB for the rest of the process', () => {
    expect(heapLimitMiB(IMAGE_NODE_OPTIONS)).toBe(256 + 3 * 16);
  });
});

describe('make start on a laptop', () => {
  it('stays local: the settings default is local and the scripts set no ENVIRONMENT', () => {
    expect(loadSettings({}).ENVIRONMENT).toBe('local');
    expect(loadSettings({}).isProduction).toBe(false);
    for (const file of ['Makefile', 'scripts/start.sh', 'scripts/setup.sh', 'scripts/toolchain.sh'])
      expect(read(file), file).not.toMatch(/ENVIRONMENT/);
  });
});
