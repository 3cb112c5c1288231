// `xares-credentials doctor`: runs every check in order (configuration, database, key, Docker,
// providers, TLS, public URL) and returns one result per line of the report. Changes nothing anywhere.
import { checkConfig } from './configCheck';
import { checkDatabase } from './databaseCheck';
import { checkDockerHosts } from './dockerCheck';
import { checkKey } from './keyCheck';
import { checkProviders } from './providersCheck';
import { checkPublicUrl } from './publicUrlCheck';
import { checkTls } from './tlsCheck';
import type { CheckResult } from './types';

export { exitCodeFor, formatReport } from './report';
export type { CheckResult, CheckStatus } from './types';

export interface DoctorOptions {
  /** Skip contacting the provider APIs (air-gapped sites, or checks from a build machine). */
  skipProviders?: boolean;
}

export async function runDoctor(
  env: NodeJS.ProcessEnv,
  options: DoctorOptions = {},
): Promise<CheckResult[]> {
  const { result, config } = checkConfig(env);
  // Without a configuration nothing else can be located; one clear line beats five confused ones.
  if (!config) return [result];
  const results: CheckResult[] = [result];

  const database = await checkDatabase(config);
  try {
    results.push(database.result);
    results.push(await checkKey(config, database.store));
  } finally {
    await database.store?.close();
  }
  // Docker and the providers are independent of each other: probe them together.
  const [docker, providers] = await Promise.all([
    checkDockerHosts(config),
    options.skipProviders ? Promise.resolve([]) : checkProviders(config.providers),
  ]);
  results.push(...docker, ...providers);
  results.push(checkTls(config), checkPublicUrl(config));
  return results;
}
