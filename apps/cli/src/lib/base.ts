// The base of every command: validated settings, database and services on demand (closed when
// the command ends), prompts, and one-line errors with a meaningful exit code.
//
// oclif loads every command file to list them, so heavy modules (Prisma, the services, the API)
// are imported inside the methods that need them, not at the top of a command file.
import { Command, Errors } from '@oclif/core';
import { getSettings, type Settings } from '@personal-automations/config';
import type { Database } from '@personal-automations/db';
import type { Services } from '@personal-automations/services';
import { CliError, debugEnabled, describeError } from './errors.ts';
import { Prompter } from './prompts.ts';

export type ServiceContext = { settings: Settings; db: Database; services: Services };

export abstract class BaseCommand extends Command {
  private readonly cleanups: (() => Promise<void> | void)[] = [];
  private prompter: Prompter | undefined;

  /** The project settings (a SettingsError is reported as it is, exit code 1). */
  protected settings(): Settings {
    return getSettings();
  }

  /** Questions for missing values (interactive at a terminal, stdin lines otherwise). */
  protected get prompts(): Prompter {
    this.prompter ??= new Prompter();
    return this.prompter;
  }

  /** The database client and the services (on the server or the embedded database), closed when the command ends. */
  protected async openServices(): Promise<ServiceContext> {
    const settings = this.settings();
    const { openPlatform } = await import('@personal-automations/platform');
    const platform = await openPlatform(settings);
    this.onCleanup(() => platform.close());
    return { settings, db: platform.db, services: platform.services };
  }

  /** A postgresql:// URL of the database for the `db` commands (the embedded one is opened until the command ends). */
  protected async databaseUrl(): Promise<string> {
    const { openDatabaseUrl } = await import('@personal-automations/platform');
    const database = await openDatabaseUrl(this.settings());
    this.onCleanup(() => database.close());
    return database.url;
  }

  /** Runs `fn` when the command ends, successfully or not. */
  protected onCleanup(fn: () => Promise<void> | void): void {
    this.cleanups.push(fn);
  }

  /** Ends the command with a one-line message on stderr and a non-zero exit code. */
  protected fail(message: string, exitCode = 1): never {
    throw new CliError(message, exitCode);
  }

  protected override async catch(error: Error): Promise<void> {
    if (error instanceof Errors.ExitError) throw error;
    const { message, exitCode } = describeError(error);
    process.stderr.write(`${message}\n`);
    if (debugEnabled() && !(error instanceof CliError) && error.stack) process.stderr.write(`${error.stack}\n`);
    this.exit(exitCode);
  }

  protected override async finally(error: Error | undefined): Promise<void> {
    this.prompter?.close();
    for (const cleanup of this.cleanups.splice(0).reverse()) {
      await Promise.resolve()
        .then(cleanup)
        .catch(() => {});
    }
    await super.finally(error);
  }
}
