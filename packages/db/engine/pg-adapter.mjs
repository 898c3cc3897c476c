// The pg driver adapter, with the fixes the WASM engine needs to run migrations through it.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

// pg hands back catalog columns of type "char" (OID 18), name (19) and name[] (1003) in a form
// the adapter cannot read; relabel them as text / text[] before the adapter sees them.
const Result = require('pg/lib/result.js');
const OID_AS_TEXT = { 18: 25, 19: 25, 1003: 1009 };
const addFields = Result.prototype.addFields;
Result.prototype.addFields = function relabelCatalogTypes(fields) {
  for (const field of fields) {
    const text = OID_AS_TEXT[field.dataTypeID];
    if (text !== undefined) field.dataTypeID = text;
  }
  return addFields.call(this, fields);
};

const { PrismaPg } = require('@prisma/adapter-pg');

/**
 * Discrete connection fields rather than a connection string: the adapter's shadow-database path
 * copies the config, and a connection string would override the shadow database's name.
 * allowExitOnIdle lets a command end as soon as its work is done.
 */
export function pgConfig(url, database) {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 5432,
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: database ?? decodeURIComponent(u.pathname.slice(1)),
    allowExitOnIdle: true,
  };
}

const schemaOption = (url) => {
  const schema = new URL(url).searchParams.get('schema');
  return schema ? { schema } : undefined;
};

export const pgAdapter = (url, database) => new PrismaPg(pgConfig(url, database), schemaOption(url));

/** Adapter whose shadow database is created, and dropped after its pool is closed, on the same server. */
export class MigrationPgAdapter extends PrismaPg {
  constructor(url, shadowDatabaseUrl) {
    super(pgConfig(url), schemaOption(url));
    this.url = url;
    this.shadowDatabaseUrl = shadowDatabaseUrl;
  }

  async connectToShadowDb() {
    if (this.shadowDatabaseUrl) return pgAdapter(this.shadowDatabaseUrl).connect();
    const admin = await this.connect();
    const name = `prisma_migrate_shadow_db_${globalThis.crypto.randomUUID()}`;
    await admin.executeScript(`CREATE DATABASE "${name}"`);
    const shadow = await pgAdapter(this.url, name).connect();
    const dispose = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      await dispose(); // the pool must be closed before the database can be dropped
      await admin.executeScript(`DROP DATABASE IF EXISTS "${name}"`);
      await admin.dispose();
    };
    return shadow;
  }
}
