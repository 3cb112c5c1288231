// SSH keys: generate, import, list, get, delete and register with git providers.
import { AppError } from '../errors';
import type {
  GenerateSshKeyInputT,
  GitProvider,
  ImportSshKeyInputT,
  RegisterResult,
  SshKey,
} from '../routers/schemas';
import type { DomainContext } from './deps';

const notYet = () => new AppError('SERVICE_UNAVAILABLE', 'SSH keys are not available yet');

export async function generateSshKey(
  _ctx: DomainContext,
  _input: GenerateSshKeyInputT,
): Promise<SshKey> {
  throw notYet();
}
export async function importSshKey(
  _ctx: DomainContext,
  _input: ImportSshKeyInputT,
): Promise<SshKey> {
  throw notYet();
}
export async function listSshKeys(_ctx: DomainContext): Promise<SshKey[]> {
  throw notYet();
}
export async function getSshKeyByName(_ctx: DomainContext, _name: string): Promise<SshKey> {
  throw notYet();
}
export async function deleteSshKey(_ctx: DomainContext, _id: string): Promise<{ ok: true }> {
  throw notYet();
}
export async function registerSshKey(
  _ctx: DomainContext,
  _id: string,
  _provider: GitProvider,
): Promise<RegisterResult> {
  throw notYet();
}

/** The REST mirror's PUT /ssh-keys/:id: new key material under the same name (import or generate). */
export async function replaceSshKey(
  _ctx: DomainContext,
  _id: string,
  _input: { comment?: string; privateKey?: string; passphrase?: string },
): Promise<SshKey> {
  throw notYet();
}
