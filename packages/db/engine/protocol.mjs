// Command-line arguments and stderr logging in the native schema engine's formats.

/** `[--datamodels f]... [--datasource json] [--enabled-preview-features x] [cli <cmd>] [--version]` */
export function parseArgs(argv) {
  const out = { datamodelFiles: [], datasource: {}, cliCommand: null, version: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--datamodels') out.datamodelFiles.push(argv[++i]);
    else if (arg === '--datasource') out.datasource = JSON.parse(argv[++i]);
    else if (arg === '--enabled-preview-features' || arg === '--extension-types') i++;
    else if (arg === '--version' || arg === '-V') out.version = true;
    else if (arg === 'cli') out.cliCommand = argv[++i];
  }
  return out;
}

const log = (level, fields) => process.stderr.write(`${JSON.stringify({ level, target: 'schema_engine::logger', fields })}\n`);

/** The CLI reads engine errors from stderr as JSON log lines. */
export const logError = (errorCode, message) => log('ERROR', { error_code: errorCode, message });

/** The native engine's first stderr line; the CLI skips the first line when it parses errors. */
export const logStart = (mode) => log('INFO', { message: `Starting schema engine ${mode}` });
