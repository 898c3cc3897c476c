// A diagnostic middle point: a bare Fastify route over the project's Prisma client, running the
// items list exactly as ItemService.list does (findMany and count side by side), without the
// API's layers (request id, CORS, REST over tRPC, input/output validation).
import Fastify from 'fastify';
import { createPrismaClient } from '@personal-automations/db';
import { childSettings, runServer, serve } from '../lib/child.ts';

const isoOffset = (date: Date): string => date.toISOString().replace(/Z$/, '+00:00');

function intParam(raw: unknown, fallback: number, max: number): number | null {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^\d+$/.test(raw)) return null;
  const value = Number(raw);
  return value >= 1 && value <= max ? value : null;
}

runServer(async () => {
  const settings = childSettings();
  const db = createPrismaClient({
    url: settings.databaseUrl,
    maxConnections: settings.DB_POOL_SIZE + settings.DB_MAX_OVERFLOW,
    poolTimeoutSeconds: settings.DB_POOL_TIMEOUT,
  });

  const app = Fastify({ logger: false });
  app.addHook('onClose', async () => {
    await db.$disconnect();
  });

  app.get(`${settings.API_V1_STR}/items`, async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const page = intParam(query.page, 1, Number.MAX_SAFE_INTEGER);
    const size = intParam(query.size, 50, 100);
    if (page === null || size === null) return reply.code(422).send({ detail: 'invalid page or size' });

    const [rows, total] = await Promise.all([
      db.item.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], skip: (page - 1) * size, take: size }),
      db.item.count(),
    ]);
    return {
      items: rows.map((r) => ({
        id: r.id,
        title: r.title,
        description: r.description,
        is_active: r.isActive,
        created_at: isoOffset(r.createdAt),
        updated_at: r.updatedAt ? isoOffset(r.updatedAt) : null,
      })),
      total,
      page,
      size,
      pages: Math.ceil(total / size),
    };
  });

  await serve(app);
});
