import { Flags } from '@oclif/core';
import type { UserRead } from '@personal-automations/contracts';
import { BaseCommand } from '../../lib/base.ts';
import { createUser, describeUser, ROLES } from '../../lib/users.ts';

export default class UserCreate extends BaseCommand {
  static override description = 'Create a user; asks for the email, password (twice) and role when they are not given';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> user create',
    '<%= config.bin %> user create --email user@example.com --password "a long secret" --superuser',
  ];
  static override flags = {
    email: Flags.string({ description: 'email address' }),
    password: Flags.string({ description: 'password (8 to 128 characters)' }),
    role: Flags.option({ options: ROLES, description: 'role' })(),
    superuser: Flags.boolean({ default: false, description: 'make the user a superuser' }),
  };

  async run(): Promise<UserRead> {
    const { flags } = await this.parse(UserCreate);
    const ctx = await this.openServices();
    const user = await createUser(ctx, this.prompts, flags, true);
    this.log(describeUser(user));
    return user;
  }
}
