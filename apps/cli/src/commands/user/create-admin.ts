import { Flags } from '@oclif/core';
import type { UserRead } from '@personal-automations/contracts';
import { BaseCommand } from '../../lib/base.ts';
import { createUser, describeUser } from '../../lib/users.ts';

export default class UserCreateAdmin extends BaseCommand {
  static override description = 'Create an admin (role admin and superuser); asks for the email and password when they are not given';
  static override enableJsonFlag = true;
  static override flags = {
    email: Flags.string({ description: 'email address' }),
    password: Flags.string({ description: 'password (8 to 128 characters)' }),
  };

  async run(): Promise<UserRead> {
    const { flags } = await this.parse(UserCreateAdmin);
    const ctx = await this.openServices();
    const user = await createUser(ctx, this.prompts, { ...flags, role: 'admin', superuser: true }, false);
    this.log(describeUser(user));
    return user;
  }
}
