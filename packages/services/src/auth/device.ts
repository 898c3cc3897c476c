/** The original's User-Agent parsing, checks in its order (so an Edge UA reads as Chrome). */
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
