// An unknown command is a usage error: one line and exit code 2, like a bad flag.
import type { Hook } from '@oclif/core';

const commandNotFound: Hook.CommandNotFound = async function ({ id, config }) {
  process.stderr.write(`Error: unknown command "${id.split(':').join(' ')}" (see ${config.bin} --help)\n`);
  this.exit(2);
};

export default commandNotFound;
