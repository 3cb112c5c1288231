// Shows a database URL without its password, for report lines.
export function redactDatabaseUrl(databaseUrl: string): string {
  if (!databaseUrl.startsWith('mysql://')) return databaseUrl;
  try {
    const url = new URL(databaseUrl);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return 'mysql://(unparsable URL)';
  }
}

/** True for localhost, 127.0.0.0/8 and ::1: the only places plain HTTP is acceptable. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}
