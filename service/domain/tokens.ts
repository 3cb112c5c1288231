// Git tokens and AI keys: create, list, update, delete and test against the provider.
import { AppError } from '../errors';
import type {
  CreateTokenInputT,
  TokenInfo,
  TokenProvider,
  TokenTestResult,
  TokenType,
  UpdateTokenInputT,
} from '../routers/schemas';
import type { DomainContext } from './deps';

const notYet = () => new AppError('SERVICE_UNAVAILABLE', 'tokens are not available yet');

export async function createToken(
  _ctx: DomainContext,
  _input: CreateTokenInputT,
): Promise<TokenInfo> {
  throw notYet();
}
export async function listTokens(_ctx: DomainContext, _type?: TokenType): Promise<TokenInfo[]> {
  throw notYet();
}
export async function updateToken(
  _ctx: DomainContext,
  _input: UpdateTokenInputT,
): Promise<TokenInfo> {
  throw notYet();
}
export async function deleteToken(_ctx: DomainContext, _id: string): Promise<{ ok: true }> {
  throw notYet();
}
export async function testToken(_ctx: DomainContext, _id: string): Promise<TokenTestResult> {
  throw notYet();
}

/** The REST mirror's POST /test/:provider: tests the caller's token of that provider (default name). */
export async function testProviderToken(
  _ctx: DomainContext,
  _provider: TokenProvider,
  _name?: string,
): Promise<TokenTestResult> {
  throw notYet();
}
