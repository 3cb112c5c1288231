// The store's public API: opening, the schema, the repositories (one module per table) and
// backup. It exports the store only; the other modules named below (keys, accounts, audit,
// maintenance) are imported from their own files, which sit above the store.
//
// Opening and schema
//   openStore(databaseUrl): Promise<Store>          Store = {db, dialect, sqliteFile, close()}
//   type Executor = Kysely<Database> | Transaction<Database>   (every repository takes one)
//   migrateToLatest(db): Promise<string[]>; pendingMigrations(db)
//   isUniqueViolation(err), isUnavailable(err)      (dialect helper)
// Keys (service/crypto)
//   resolveMasterKey(config): {key: MasterKey, source, createdFile, file}  (throws MasterKeyError)
//   verifyMasterKey(db, key): 'created' | 'verified'        (throws KeyMismatchError)
//   KeyRing.forStore(store, key); keyring.encryptSecret(owner, plain, executor?) where owner is
//   {id, user_id, type, provider, name, url, env_var} (all bound to the ciphertext);
//   keyring.decryptSecret(row, executor?)   -- inside a transaction pass it as `executor`
//   (crypto/secrets.ts) revealSecret(db, keyring, credentialRow, {userId, username?, action,
//     workspaceId?, ipAddress?, userAgent?, detail?}) -> plain secret, ONLY after its audit row
//     was written; upgradeSecretBindings(db, keyring) -- re-seals rows of an older AAD version
// Data keys and service values (imported from store/dataKeys.ts, store/serviceMeta.ts): the
//   key ring's and the rotation's statements; readKeyCheck(db), the key check as stored.
//   The credential repositories take a SecretSealer (store/secretSealer.ts), which KeyRing is.
// Accounts (service/accounts)
//   createUser(db, {username, password, role?}), findUserByName, findUserById, findUserForLogin,
//   listUsers, disableUser(db, username); hashPassword, verifyPassword, verifyAgainstDummy
//   createSession(db, {userId, kind, workspaceId?, timeoutSeconds, ipAddress?, userAgent?})
//     -> {token, session}; resolveSession(db, token, timeoutSeconds) -> {session, user} | undefined
//   revokeSession(db, userId, sessionId), revokeUserSessions, revokeWorkspaceSessions(db, wsId),
//   listExpiredUserSessions(db, now?, limit?), markSessionExpiredHandled(db, sessionId)
//   reserveLoginAttempt(db, {username, ipAddress}) (TOO_MANY_REQUESTS + retryAfterSeconds),
//   recordLoginFailure, recordLoginSuccess, releaseLoginAttempt, loginRetryAfter
// Credentials (no secret columns, except from the two finders marked below)
//   createCredential(db, keyring, NewCredential) -> CredentialInfo   (CONFLICT on duplicates)
//   updateCredential(db, keyring, userId, id, changes) -> CredentialInfo
//   findCredentialForUser(db, userId, id) / findCredentialByName(db, userId, {type, provider,
//   name}) -> CredentialRow WITH the encrypted secret, to reveal it; findCredentialInfo,
//   findCredentialInfoByName, listCredentials(db,
//   userId, {type?, provider?}); deleteCredential(db, userId, id); deleteAllCredentials;
//   recordTestResult(db, userId, id, {status, detail, at?, expiresAt?}); secretHint(secret)
// SSH key registrations: upsertRegistration(db, userId, reg), listRegistrations(db, userId,
//   credentialIds?), deleteRegistrations(db, userId, credentialId)
// Settings: getSettings(db, userId), updateSettings(db, userId, partial), DEFAULT_SETTINGS
// Injections (the manifest returned parsed but unchecked: workspaces/manifest.ts checks it):
//   recordInjection, findActiveInjection, listActiveInjections, listActiveInjectionsForWorkspace,
//   listActiveManifests, listActiveWorkspacesOnHost, markInjectionsCleared
// Accounts' and audit's tables (imported from their own files: store/users.ts, sessions.ts,
//   loginAttempts.ts, loginLimitLocks.ts, auditLog.ts): the statements only; the modules in
//   accounts/ and audit/ below hold the rules, and are what callers use.
// Audit (service/audit): recordAudit(db, entry) (throws AppError SERVICE_UNAVAILABLE),
//   listAudit(db, userId, {limit?, before?, action?}) -> {entries, nextCursor, suspicious},
//   exportAudit(db, {userId?, format, since?}) -> string, auditExportChunks, purgeAudit(db,
//   retentionDays, batchSize)
// Maintenance (service/bootstrap.ts, crypto/rotation.ts, store/backup.ts):
//   openConfiguredStore(config),
//   openConfiguredStoreWithKey(config) (open + migrate + key check), openServiceCore(config,
//   logger) (serve: also binds old secrets, names the Docker engines), writeBackup(store, file,
//   key), restoreBackup(store, file, key, options?),
//   rotateMasterKey(db, current, next, {batchSize?}), forgetPreviousWraps(db, current)
// Read caches: resolveSession and listCredentials answer from a one-second per-database cache
//   (readCache.ts). Write sessions and credentials only through the functions above, which
//   forget what they change; a direct UPDATE is seen only when the cached copy runs out.
// Errors: AppError (CONFLICT, NOT_FOUND, BAD_REQUEST, TOO_MANY_REQUESTS, SERVICE_UNAVAILABLE)
//   from repositories; MasterKeyError / KeyMismatchError are ConfigErrors (stop start-up).
export { openStore, StoreOpenError, type Executor, type Store } from './database';
export { isUnavailable, isUniqueViolation, parseDatabaseUrl, type DialectName } from './dialect';
export { migrateToLatest, MigrationError, pendingMigrations } from './migrations';
export * from './schema';
export * from './credentials';
export * from './registrations';
export * from './settings';
export * from './injections';
export * from './aiUsage';
export { BackupError, BackupKeyMismatchError, restoreBackup, writeBackup } from './backup';
