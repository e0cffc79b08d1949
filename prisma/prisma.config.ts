import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';

/**
 * Prisma CLI configuration: the JS engine with the pg driver adapter, so no Rust engine binary
 * is downloaded (npm-registry-only machines cannot fetch one).
 *
 * Migrate's schema engine reads catalog columns of PostgreSQL types `name` (OID 19) and
 * `"char"` (OID 18), which @prisma/adapter-pg rejects (prisma/prisma#27403). Both are text on
 * the wire, so the client below reports them as `text` (OID 25).
 */
const TEXT_OID = 25;
const CATALOG_TEXT_OIDS = new Set([18, 19]);

interface FieldLike {
  dataTypeID: number;
}
function asText<T>(result: T): T {
  for (const r of Array.isArray(result) ? result : [result]) {
    const fields = (r as { fields?: FieldLike[] } | undefined)?.fields ?? [];
    for (const f of fields) if (CATALOG_TEXT_OIDS.has(f.dataTypeID)) f.dataTypeID = TEXT_OID;
  }
  return result;
}

class CatalogTextClient extends pg.Client {
  // pg's query() has many overloads (promise and callback); patch the result on both paths.
  override query(...args: unknown[]): never {
    const last = args[args.length - 1];
    if (typeof last === 'function') {
      args[args.length - 1] = (err: unknown, res: unknown) => (last as (e: unknown, r: unknown) => void)(err, err ? res : asText(res));
    }
    const out = (pg.Client.prototype.query as (...a: unknown[]) => unknown).apply(this, args);
    return (out instanceof Promise ? out.then(asText) : out) as never;
  }
}

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'schema.prisma',
  migrations: { path: 'migrations' },
  async adapter() {
    const connectionString = process.env.DATABASE_URL;
    if (!connectionString) throw new Error('DATABASE_URL is not set');
    return new PrismaPg(new pg.Pool({ connectionString, Client: CatalogTextClient as unknown as typeof pg.Client }));
  },
});
