export { parseEnv, readEnvFile } from './env-file.ts';
export type { DatabaseTarget, Env, Settings } from './settings.ts';
export { DEFAULT_SECRET_KEY, getSettings, loadSettings, SERVER_VARIABLES, SettingsError } from './settings.ts';
