// What the credential repositories need of the key ring (service/crypto/keyring.ts implements
// it): the store hands secrets to a sealer and keeps what comes back, and knows nothing of keys.
import type { Executor } from './database';
import type { CredentialRow } from './schema';

/** The sealed form of a secret, as the credential row's columns hold it. */
export interface EncryptedSecret {
  secret_ciphertext: string;
  secret_iv: string;
  secret_tag: string;
  data_key_version: number;
  secret_aad_version: number;
}

/** What a secret is bound to besides its owner and row: where and as what it is delivered. */
export type SecretBinding = Pick<CredentialRow, 'type' | 'provider' | 'name' | 'url' | 'env_var'>;

/** Whose secret, in which row, and for what: everything the associated data names. */
export type SecretOwner = Pick<CredentialRow, 'id' | 'user_id'> & SecretBinding;

/** The columns of a credential row that decryption needs. */
export type SecretRow = SecretOwner &
  Pick<
    CredentialRow,
    'secret_ciphertext' | 'secret_iv' | 'secret_tag' | 'data_key_version' | 'secret_aad_version'
  >;

/** Seals and opens secrets for their rows; pass the transaction as `executor` inside one. */
export interface SecretSealer {
  encryptSecret(
    owner: SecretOwner,
    plaintext: string,
    executor?: Executor,
    aadVersion?: number,
  ): Promise<EncryptedSecret>;
  decryptSecret(row: SecretRow, executor?: Executor): Promise<string>;
  rebindSecret(
    row: SecretRow,
    binding: SecretBinding,
    executor?: Executor,
  ): Promise<EncryptedSecret>;
}
