import { Args, Flags } from '@oclif/core';
import type { UserRead } from '@personal-automations/contracts';
import { BaseCommand } from '../../lib/base.ts';
import { parseOrFail, ROLES } from '../../lib/users.ts';

export default class UserSetRole extends BaseCommand {
  static override description = "Change a user's role";
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> user set-role user@example.com --role admin'];
  static override args = {
    email: Args.string({ required: true, description: "the user's email" }),
  };
  static override flags = {
    role: Flags.option({ options: ROLES, required: true, description: 'the new role' })(),
  };

  async run(): Promise<UserRead> {
    const { args, flags } = await this.parse(UserSetRole);
    const { Email } = await import('@personal-automations/contracts');
    const email = parseOrFail(Email, args.email, 'email');
    const { services } = await this.openServices();
    const user = await services.users.findByEmail(email);
    if (!user) this.fail(`User not found: ${email}`);
    const updated = await services.users.update(user.id, { role: flags.role }, { asAdmin: true });
    this.log(`Role of ${updated.email} set to ${updated.role}`);
    return updated;
  }
}
