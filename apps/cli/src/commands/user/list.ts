import type { UserRead } from '@personal-automations/contracts';
import { BaseCommand } from '../../lib/base.ts';
import { formatTable } from '../../lib/output.ts';

/** The first 100 users, oldest first: a quick look from the shell; the admin API's `GET /users` pages through all. */
const LIST_LIMIT = 100;

export default class UserList extends BaseCommand {
  static override description = `List users (the first ${LIST_LIMIT}) with their id, email, role, active and superuser flags`;
  static override enableJsonFlag = true;

  async run(): Promise<UserRead[]> {
    await this.parse(UserList);
    const { services } = await this.openServices();
    const page = await services.users.list({ page: 1, size: LIST_LIMIT });
    if (page.items.length === 0) this.log('No users.');
    else {
      const rows = page.items.map((u) => ({
        id: u.id,
        email: u.email,
        role: u.role,
        active: yesNo(u.is_active),
        superuser: yesNo(u.is_superuser),
      }));
      this.log(formatTable(rows, [{ key: 'id' }, { key: 'email' }, { key: 'role' }, { key: 'active' }, { key: 'superuser' }]));
      if (page.total > page.items.length) this.log(`(${page.items.length} of ${page.total} users shown)`);
    }
    return page.items;
  }
}

const yesNo = (value: boolean) => (value ? 'yes' : 'no');
