import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SECRET_KEY, loadSettings, parseEnv, readEnvFile, SettingsError } from '../src/index.ts';

const GOOD_KEY = 'k'.repeat(32);

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadSettings(env);
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return (error as SettingsError).problems;
  }
  throw new Error('expected loadSettings to fail');
}

describe('settings', () => {
  it('has the original backend defaults', () => {
    const s = loadSettings({});
    expect(s.PROJECT_NAME).toBe('my_project');
    expect(s.API_V1_STR).toBe('/api/v1');
    expect(s.ENVIRONMENT).toBe('local');
    expect(s.ACCESS_TOKEN_EXPIRE_MINUTES).toBe(30);
    expect(s.REFRESH_TOKEN_EXPIRE_MINUTES).toBe(10080);
    expect(s.CORS_ORIGINS).toEqual(['http://localhost:3000', 'http://localhost:8080']);
    expect(s.RATE_LIMIT_REQUESTS).toBe(100);
    expect([s.RATE_LIMIT_AUTH_REQUESTS, s.RATE_LIMIT_AUTH_PERIOD]).toEqual([10, 60]);
    expect(s.AI_MODEL).toBe('gpt-4o-mini');
    expect(s.databaseUrl).toBe('postgresql://postgres@localhost:5432/my_project');
    expect(s.redisUrl).toBe('redis://localhost:6379/0');
    expect(s.docsEnabled).toBe(true);
    expect(s.webhookAllowPrivateUrls).toBe(true);
  });

  it('serves metrics on 127.0.0.1:9464 unless told otherwise, and exports no traces without an OTLP endpoint', () => {
    const s = loadSettings({});
    expect([s.METRICS_ENABLED, s.METRICS_HOST, s.METRICS_PORT]).toEqual([true, '127.0.0.1', 9464]);
    expect(loadSettings({ METRICS_ENABLED: 'false' }).METRICS_ENABLED).toBe(false);
    expect(s.tracingEnabled).toBe(false);
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };
    expect(loadSettings(endpoint).tracingEnabled).toBe(true);
    expect(loadSettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' }).tracingEnabled).toBe(true);
    expect(loadSettings({ ...endpoint, OTEL_SDK_DISABLED: 'true' }).tracingEnabled).toBe(false);
    expect(loadSettings({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' }).tracingEnabled).toBe(false);
    expect(problemsOf({ METRICS_PORT: '70000' })).toEqual([expect.stringMatching(/^METRICS_PORT: /)]);
  });

  it('builds the URLs from the parts, escaping credentials', () => {
    const s = loadSettings({
      POSTGRES_HOST: 'db',
      POSTGRES_PORT: '6543',
      POSTGRES_USER: 'app',
      POSTGRES_PASSWORD: 'p@ss/word',
      POSTGRES_DB: 'x',
      REDIS_HOST: 'cache',
      REDIS_PASSWORD: 's3cret',
      REDIS_DB: '2',
    });
    expect(s.databaseUrl).toBe('postgresql://app:p%40ss%2Fword@db:6543/x');
    expect(s.redisUrl).toBe('redis://:s3cret@cache:6379/2');
  });

  it('lets DATABASE_URL and REDIS_URL override the parts', () => {
    const s = loadSettings({
      DATABASE_URL: 'postgresql://u@h:1/d',
      POSTGRES_HOST: 'ignored',
      REDIS_URL: 'redis://r:7/3',
      REDIS_HOST: 'ignored',
    });
    expect(s.databaseUrl).toBe('postgresql://u@h:1/d');
    expect(s.redisUrl).toBe('redis://r:7/3');
  });

  it('treats empty values as unset', () => {
    expect(loadSettings({ PROJECT_NAME: '', PORT: '' }).PORT).toBe(8000);
  });

  it('reads JSON lists and booleans', () => {
    const s = loadSettings({ CORS_ORIGINS: '["http://a","http://b"]', DEBUG: 'true', RATE_LIMIT_ENABLED: 'false' });
    expect(s.CORS_ORIGINS).toEqual(['http://a', 'http://b']);
    expect(s.DEBUG).toBe(true);
    expect(s.RATE_LIMIT_ENABLED).toBe(false);
  });

  it('takes WEBHOOK_DNS_SERVERS as addresses with optional ports, and refuses host names', () => {
    expect(loadSettings({}).WEBHOOK_DNS_SERVERS).toEqual([]);
    expect(loadSettings({ WEBHOOK_DNS_SERVERS: '1.1.1.1, 127.0.0.1:5353,[2001:db8::1]:53,::1' }).WEBHOOK_DNS_SERVERS).toEqual([
      '1.1.1.1',
      '127.0.0.1:5353',
      '[2001:db8::1]:53',
      '::1',
    ]);
    for (const bad of ['dns.example.com', '1.1.1.1:70000', '["10.0.0.1:x"]'])
      expect(problemsOf({ WEBHOOK_DNS_SERVERS: bad }).join('\n')).toMatch(/^WEBHOOK_DNS_SERVERS: expected IP addresses/);
  });

  it('asks approval for no tool by default; AGENT_APPROVAL_TOOLS takes all or a comma list, AGENT_APPROVAL_TIMEOUT_SECONDS is bounded', () => {
    const s = loadSettings({});
    expect([s.AGENT_APPROVAL_TOOLS, s.AGENT_APPROVAL_TIMEOUT_SECONDS]).toEqual([[], 300]);
    expect(loadSettings({ AGENT_APPROVAL_TOOLS: ' ALL ' }).AGENT_APPROVAL_TOOLS).toBe('all');
    expect(loadSettings({ AGENT_APPROVAL_TOOLS: 'send_email, current_datetime,' }).AGENT_APPROVAL_TOOLS).toEqual([
      'send_email',
      'current_datetime',
    ]);
    expect(problemsOf({ AGENT_APPROVAL_TOOLS: 'send email' })).toEqual([
      'AGENT_APPROVAL_TOOLS: expected "all" or a comma list of tool names (letters, digits, _ and -) (got "send email")',
    ]);
    for (const bad of ['0', '3601', 'soon'])
      expect(problemsOf({ AGENT_APPROVAL_TIMEOUT_SECONDS: bad })).toEqual([expect.stringMatching(/^AGENT_APPROVAL_TIMEOUT_SECONDS: /)]);
  });

  it('reports every bad variable in one error', () => {
    const problems = problemsOf({ ENVIRONMENT: 'prod', PORT: 'eighty', SECRET_KEY: 'short', CORS_ORIGINS: '[1,2]', DEBUG: 'maybe' });
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toMatch(/ENVIRONMENT/);
    expect(problems.join('\n')).toMatch(/PORT/);
    expect(problems.join('\n')).toMatch(/SECRET_KEY: must be at least 32 characters/);
    expect(problems.join('\n')).toMatch(/CORS_ORIGINS/);
    expect(problems.join('\n')).toMatch(/DEBUG/);
  });

  it('bounds the delivery worker: WEBHOOK_CONCURRENCY, WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT, JOB_LEASE_SECONDS', () => {
    const s = loadSettings({});
    expect([s.WEBHOOK_CONCURRENCY, s.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT, s.JOB_LEASE_SECONDS]).toEqual([100, 20, 30]);
    const problems = problemsOf({ WEBHOOK_CONCURRENCY: '0', WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT: '1001', JOB_LEASE_SECONDS: '0.5' });
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/WEBHOOK_CONCURRENCY/);
    expect(problems.join('\n')).toMatch(/WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT/);
    expect(problems.join('\n')).toMatch(/JOB_LEASE_SECONDS/);
  });

  it('refuses the default SECRET_KEY and "*" origins in production', () => {
    const problems = problemsOf({ ENVIRONMENT: 'production', CORS_ORIGINS: '["*"]' });
    expect(problems).toEqual([
      'SECRET_KEY: the default key cannot be used when ENVIRONMENT=production',
      'CORS_ORIGINS: "*" is not allowed when ENVIRONMENT=production',
    ]);
    const ok = loadSettings({ ENVIRONMENT: 'production', SECRET_KEY: GOOD_KEY });
    expect(ok.docsEnabled).toBe(false);
    expect(ok.webhookAllowPrivateUrls).toBe(false);
    expect(ok.SECRET_KEY).not.toBe(DEFAULT_SECRET_KEY);
  });

  it('does not echo a secret value in the error message', () => {
    const error = (() => {
      try {
        loadSettings({ SECRET_KEY: 'tooshortsecret' });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).toMatch(/SECRET_KEY/);
    expect(error?.message).not.toContain('tooshortsecret');
  });
});

describe('which parts: the servers when configured, else the embedded ones', () => {
  it('with no PostgreSQL or Redis variable set: PGlite in EMBEDDED_DATA_DIR, no Redis', () => {
    const s = loadSettings({});
    expect(s.database).toEqual({ kind: 'pglite', dataDir: path.resolve('.data/pg') });
    expect(s.redisEnabled).toBe(false);
    expect(loadSettings({ EMBEDDED_DATA_DIR: '/var/lib/pa' }).database).toEqual({ kind: 'pglite', dataDir: '/var/lib/pa' });
    // a relative directory is taken from where the command was typed (pnpm's INIT_CWD), not the package's folder
    expect(loadSettings({ INIT_CWD: '/home/me/app', EMBEDDED_DATA_DIR: 'data/pg' }).database).toEqual({
      kind: 'pglite',
      dataDir: '/home/me/app/data/pg',
    });
    // empty values count as unset
    expect(loadSettings({ DATABASE_URL: '', POSTGRES_HOST: '', REDIS_URL: '' })).toMatchObject({
      database: { kind: 'pglite' },
      redisEnabled: false,
    });
  });

  it('any DATABASE_URL or POSTGRES_* variable selects the server', () => {
    expect(loadSettings({ DATABASE_URL: 'postgresql://u@db:5432/x' }).database).toEqual({
      kind: 'postgresql',
      url: 'postgresql://u@db:5432/x',
    });
    for (const name of ['POSTGRES_HOST', 'POSTGRES_PORT', 'POSTGRES_USER', 'POSTGRES_PASSWORD', 'POSTGRES_DB']) {
      const value = name === 'POSTGRES_PORT' ? '5433' : 'v';
      expect(loadSettings({ [name]: value }).database.kind, name).toBe('postgresql');
    }
    expect(loadSettings({ POSTGRES_HOST: 'db' }).database).toEqual({ kind: 'postgresql', url: 'postgresql://postgres@db:5432/my_project' });
  });

  it('any REDIS_URL, REDIS_* or TASKIQ_BROKER_URL variable turns Redis on, independently of the database', () => {
    for (const [name, value] of [
      ['REDIS_URL', 'redis://r:6379/0'],
      ['REDIS_HOST', 'r'],
      ['REDIS_PORT', '6380'],
      ['REDIS_PASSWORD', 'p'],
      ['REDIS_DB', '2'],
      ['TASKIQ_BROKER_URL', 'redis://r:6379/1'],
    ]) {
      expect(loadSettings({ [name!]: value! }).redisEnabled, name).toBe(true);
    }
    expect(loadSettings({ REDIS_URL: 'redis://r:6379/0' }).database.kind).toBe('pglite');
    expect(loadSettings({ POSTGRES_HOST: 'db' }).redisEnabled).toBe(false);
  });
});

describe('.env files', () => {
  it('parses quotes, comments and export', () => {
    expect(parseEnv('# c\nA=1\nexport B="two words"\nC=\'x#y\'\nD=val # note\n\nbad line')).toEqual({
      A: '1',
      B: 'two words',
      C: 'x#y',
      D: 'val',
    });
  });

  it('finds .env in a parent directory', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pa-env-'));
    fs.writeFileSync(path.join(dir, '.env'), 'PROJECT_NAME=from_file\n');
    const child = path.join(dir, 'a', 'b');
    fs.mkdirSync(child, { recursive: true });
    expect(readEnvFile(child)).toEqual({ PROJECT_NAME: 'from_file' });
    fs.rmSync(dir, { recursive: true });
  });
});

describe('TRUST_PROXY: which peers may name the client in X-Forwarded-For', () => {
  it('believes nobody by default, and when switched off', () => {
    expect(loadSettings({}).TRUST_PROXY).toBe(false);
    for (const off of ['false', 'FALSE', '0', 'no', 'off', ' off '])
      expect(loadSettings({ TRUST_PROXY: off }).TRUST_PROXY, off).toBe(false);
  });

  it('reads a hop count', () => {
    expect(loadSettings({ TRUST_PROXY: '1' }).TRUST_PROXY).toBe(1);
    expect(loadSettings({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
  });

  it('reads a comma list of addresses and CIDR ranges, IPv4 and IPv6', () => {
    expect(loadSettings({ TRUST_PROXY: '10.0.0.0/8, 192.0.2.1,fd00::/8 , ::1' }).TRUST_PROXY).toEqual([
      '10.0.0.0/8',
      '192.0.2.1',
      'fd00::/8',
      '::1',
    ]);
    expect(loadSettings({ TRUST_PROXY: '0.0.0.0/0' }).TRUST_PROXY).toEqual(['0.0.0.0/0']);
    expect(loadSettings({ TRUST_PROXY: '2001:db8::/128' }).TRUST_PROXY).toEqual(['2001:db8::/128']);
  });

  it('refuses true (a client could pick its own rate-limit key), names, and ranges that cannot exist', () => {
    for (const bad of [
      'true',
      'yes',
      'proxy.internal',
      '10.0.0.0/33',
      'fd00::/129',
      '10.0.0.0/8/1',
      '10.0.0.0/',
      '10.0.0.0/x',
      '300.1.1.1',
      ',',
    ]) {
      expect(problemsOf({ TRUST_PROXY: bad }), bad).toEqual([
        `TRUST_PROXY: expected false, a hop count, or a comma list of addresses/CIDR ranges (got ${JSON.stringify(bad)})`,
      ]);
    }
  });
});
