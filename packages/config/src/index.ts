export { loadSettings, getSettings, SettingsError, DEFAULT_SECRET_KEY, SERVER_VARIABLES } from './settings.ts';
export type { Settings, Env, DatabaseTarget } from './settings.ts';
export { readEnvFile, parseEnv } from './env-file.ts';
