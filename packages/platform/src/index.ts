export { openDatabaseUrl, openPlatform } from './platform.ts';
export type { Platform, PlatformParts } from './platform.ts';
