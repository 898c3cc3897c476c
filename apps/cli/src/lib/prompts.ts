// Questions for missing values. At a terminal they are interactive prompts; when standard input
// is not a terminal (a script, a pipe, a test), each question reads the next line of stdin, so
// `printf 'a@b.c\nsecret123\nsecret123\n\n' | personal_automations user create` works.
// Questions go to stderr either way, keeping stdout clean for --json.
import readline from 'node:readline';
import { CliError } from './errors.ts';

/** Returns an error message for a bad answer, or null when it is fine. */
export type Check = (value: string) => string | null;

export type Choice<T extends string> = { name: string; value: T };

/** Hands out stdin's lines one by one, as the questions ask for them. */
class LineReader {
  private readonly buffered: string[] = [];
  private readonly waiting: ((line: string | null) => void)[] = [];
  private closed = false;
  private rl: readline.Interface | undefined;

  next(): Promise<string | null> {
    if (!this.rl) {
      this.rl = readline.createInterface({ input: process.stdin, terminal: false });
      this.rl.on('line', (line) => {
        const waiter = this.waiting.shift();
        if (waiter) waiter(line);
        else this.buffered.push(line);
      });
      this.rl.on('close', () => {
        this.closed = true;
        for (const waiter of this.waiting.splice(0)) waiter(null);
      });
    }
    if (this.buffered.length) return Promise.resolve(this.buffered.shift()!);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  close(): void {
    this.rl?.close();
    process.stdin.pause();
  }
}

const asValidate = (check?: Check) => (value: string) => check?.(value) ?? true;

export class Prompter {
  private readonly interactive: boolean;
  private lines: LineReader | undefined;

  constructor(interactive = !!process.stdin.isTTY) {
    this.interactive = interactive;
  }

  async input(message: string, options: { default?: string; check?: Check } = {}): Promise<string> {
    if (this.interactive) {
      const { input } = await import('@inquirer/prompts');
      return input(
        { message, default: options.default, required: options.default === undefined, validate: asValidate(options.check) },
        { output: process.stderr },
      );
    }
    return this.answer(message, options);
  }

  async password(message: string, check?: Check): Promise<string> {
    if (this.interactive) {
      const { password } = await import('@inquirer/prompts');
      return password({ message, mask: '*', validate: asValidate(check) }, { output: process.stderr });
    }
    return this.answer(message, { check });
  }

  /** A password typed twice; at a terminal a mismatch asks again, elsewhere it is an error. */
  async newPassword(check?: Check): Promise<string> {
    for (;;) {
      const first = await this.password('Password', check);
      const second = await this.password('Repeat for confirmation');
      if (first === second) return first;
      if (!this.interactive) throw new CliError('Error: the two entered passwords do not match');
      process.stderr.write('Error: the two entered values do not match.\n');
    }
  }

  async select<T extends string>(message: string, choices: Choice<T>[], defaultValue: T): Promise<T> {
    if (this.interactive) {
      const { select } = await import('@inquirer/prompts');
      return select({ message, choices, default: defaultValue }, { output: process.stderr });
    }
    const values = choices.map((c) => c.value as string);
    const check: Check = (v) => (values.includes(v) ? null : `expected one of ${values.join(', ')}`);
    return (await this.answer(`${message} (${values.join('/')})`, { default: defaultValue, check })) as T;
  }

  async confirm(message: string, defaultValue = false): Promise<boolean> {
    if (this.interactive) {
      const { confirm } = await import('@inquirer/prompts');
      return confirm({ message, default: defaultValue }, { output: process.stderr });
    }
    const check: Check = (v) => (/^(y|yes|n|no)$/i.test(v) ? null : 'answer y or n');
    const answer = await this.answer(`${message} [${defaultValue ? 'Y/n' : 'y/N'}]`, {
      default: defaultValue ? 'y' : 'n',
      check,
      showDefault: false,
    });
    return /^y/i.test(answer);
  }

  /** Stops reading stdin, so the process can exit. */
  close(): void {
    this.lines?.close();
  }

  /** The next stdin line as the answer: empty takes the default, a bad answer is an error. */
  private async answer(
    message: string,
    {
      default: defaultValue,
      check,
      showDefault = true,
    }: { default?: string | undefined; check?: Check | undefined; showDefault?: boolean },
  ): Promise<string> {
    process.stderr.write(`${message}${defaultValue === undefined || !showDefault ? '' : ` [${defaultValue}]`}: `);
    this.lines ??= new LineReader();
    const line = await this.lines.next();
    process.stderr.write('\n');
    const value = line?.trim() ? line : defaultValue;
    if (value === undefined) {
      throw new CliError(
        line === null ? `Error: no answer for "${message}" (standard input is closed)` : `Error: "${message}" needs an answer`,
      );
    }
    const problem = check?.(value);
    if (problem) throw new CliError(`Error: ${problem}`);
    return value;
  }
}
