// `cmd seed`: sample users and items, created through the services like any others (so their
// webhook events are emitted too).
import { randomInt } from 'node:crypto';
import type { ServiceContext } from './base.ts';
import { ProgressBar } from './output.ts';

export type SeedOptions = { count: number; clear: boolean; users: boolean; items: boolean };
export type SeedResult = { users: number; items: number };

export const SEED_PASSWORD = 'password123';

const FIRST_NAMES = ['Ada', 'Alan', 'Barbara', 'Claude', 'Donald', 'Edsger', 'Frances', 'Grace', 'Ken', 'Margaret', 'Niklaus', 'Radia'];
const LAST_NAMES = [
  'Allen',
  'Dijkstra',
  'Hamilton',
  'Hopper',
  'Knuth',
  'Liskov',
  'Lovelace',
  'Perlman',
  'Ritchie',
  'Shannon',
  'Turing',
  'Wirth',
];
const WORDS = ['alpha', 'bravo', 'copper', 'delta', 'ember', 'falcon', 'garnet', 'harbor', 'indigo', 'juniper', 'kestrel', 'lumen'];

const pick = <T>(list: readonly T[]): T => list[randomInt(list.length)]!;
const letters = (n: number) => Array.from({ length: n }, () => String.fromCharCode(97 + randomInt(26))).join('');

/** What a dry run would do: one `[DRY RUN]` line per step a real run would take, and nothing written. */
export function dryRunLines({ count, clear, users, items }: SeedOptions): string[] {
  return [
    `[DRY RUN] Would create ${count} sample records per entity`,
    ...(clear ? ['[DRY RUN] Would clear existing data first'] : []),
    ...(users ? ['[DRY RUN] Would create users'] : []),
    ...(items ? ['[DRY RUN] Would create items'] : []),
  ];
}

export async function seed({ db, services }: ServiceContext, options: SeedOptions, log: (line: string) => void): Promise<SeedResult> {
  const result: SeedResult = { users: 0, items: 0 };
  if (options.users) {
    if (options.clear) {
      // one by one through the service: their webhooks go too, and user.deleted is emitted
      const victims = await db.user.findMany({ where: { isSuperuser: false }, select: { id: true } });
      for (const { id } of victims) await services.users.delete(id);
      log(`Cleared ${victims.length} users (superusers kept)`);
    }
    if (!options.clear && (await db.user.count()) > 0) log('Users already exist. Use --clear to replace them.');
    else {
      result.users = await repeat('Creating users', options.count, async () => {
        const fullName = `${pick(FIRST_NAMES)} ${pick(LAST_NAMES)}`;
        await services.users.register({ email: `${letters(8)}@example.com`, password: SEED_PASSWORD, full_name: fullName });
      });
    }
  }
  if (options.items) {
    if (options.clear) {
      const victims = await db.item.findMany({ select: { id: true } });
      for (const { id } of victims) await services.items.delete(id);
      log(`Cleared ${victims.length} items`);
    }
    if (!options.clear && (await db.item.count()) > 0) log('Items already exist. Use --clear to replace them.');
    else {
      result.items = await repeat('Creating items', options.count, async () => {
        const item = await services.items.create({
          title: `${pick(WORDS)} ${pick(WORDS)} ${letters(4)}`,
          description: `Sample item: ${pick(WORDS)}.`,
        });
        if (randomInt(4) === 0) await services.items.update(item.id, { is_active: false }); // 3 in 4 stay active
      });
    }
  }
  log(result.users || result.items ? `Created: ${result.users} users, ${result.items} items` : 'No records created.');
  return result;
}

/** Runs `step` `total` times behind a progress bar; returns how many ran. */
async function repeat(label: string, total: number, step: () => Promise<void>): Promise<number> {
  const bar = new ProgressBar(label, total);
  try {
    for (let i = 0; i < total; i++) {
      await step();
      bar.tick();
    }
  } finally {
    bar.stop();
  }
  return total;
}
