export type { Platform, PlatformParts } from './platform.ts';
export { openDatabaseUrl, openPlatform } from './platform.ts';
