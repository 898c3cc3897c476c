// The smallest custom command: a template for new ones (see the CLI section of the README).
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../lib/base.ts';

export default class Hello extends BaseCommand {
  static override description = 'Say hello (an example custom command)';
  static override examples = ['<%= config.bin %> cmd hello --name Ada --count 2'];
  static override flags = {
    name: Flags.string({ char: 'n', default: 'World', description: 'who to greet' }),
    count: Flags.integer({ char: 'c', default: 1, min: 1, description: 'how many greetings' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Hello);
    for (let i = 1; i <= flags.count; i++) this.log(`[${i}] Hello, ${flags.name}!`);
    this.log('Done!');
  }
}
