/**
 * A session's device from its User-Agent: substring checks in a fixed order, first match wins (so an
 * Edge UA, which also says "chrome", reads as Chrome). The same checks as the original's, so sessions
 * it recorded and new ones name devices alike in the session list.
 */
export function parseDevice(userAgent: string | null | undefined): { deviceName: string | null; deviceType: string | null } {
  if (!userAgent) return { deviceName: null, deviceType: null };
  const ua = userAgent.toLowerCase();
  const deviceType =
    ua.includes('mobile') || ua.includes('android') ? 'mobile' : ua.includes('tablet') || ua.includes('ipad') ? 'tablet' : 'desktop';
  const browsers: [string, string][] = [
    ['chrome', 'Chrome'],
    ['firefox', 'Firefox'],
    ['safari', 'Safari'],
    ['edge', 'Edge'],
  ];
  const deviceName = browsers.find(([needle]) => ua.includes(needle))?.[1] ?? 'Unknown Browser';
  return { deviceName, deviceType };
}
