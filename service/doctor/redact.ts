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

// The service's one loopback rule (plain http is acceptable only there).
export { isLoopbackHost } from '../providers/addresses';
