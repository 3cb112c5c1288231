// Decrypts a passphrase-protected private key in a worker thread, so that its key derivation
// (bcrypt or PBKDF2, seconds of CPU by design) never stops the event loop: /healthz and every
// other request keep being answered. The worker has a time limit, after which it is terminated,
// a memory limit, and at most MAX_PARALLEL run at once per process. It hands back the key
// unencrypted, which the caller parses (cheap without a KDF).
//
// The worker's code is a plain CommonJS string run with `eval`: the service is one esbuild
// bundle (and TypeScript under tsx in tests), so there is no separate file a Worker could load.
import { Worker } from 'node:worker_threads';
import { AppError } from '../errors';

/** Well above what the largest allowed work factor needs (128 rounds: 3 to 10 s here), yet bounded. */
export const DECRYPT_TIME_LIMIT_MS = 30_000;
const MAX_PARALLEL = 2;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { format, text, passphrase } = workerData;
let answer;
try {
  if (format === 'openssh') {
    const sshpk = require(workerData.sshpkPath);
    const key = sshpk.parsePrivateKey(text, 'ssh-private', { passphrase });
    answer = { ok: true, text: key.toString('ssh-private') };
  } else {
    const key = require('node:crypto').createPrivateKey({ key: text, format: 'pem', passphrase });
    answer = {
      ok: true,
      keyType: key.asymmetricKeyType,
      text: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    };
  }
} catch (err) {
  answer = { ok: false };
}
parentPort.postMessage(answer);
`;

export interface Decrypted {
  /** The key without encryption: OpenSSH format for 'openssh', PKCS#8 PEM for 'pem'. */
  text: string;
  /** Node's name of the key's type, for 'pem' ('rsa', 'ec', 'ed25519', 'dsa', ...). */
  keyType?: string;
}

let running = 0;

/**
 * Decrypts `text` with `passphrase`: resolves with the unencrypted key, null when the
 * passphrase is wrong or the key damaged; rejects with an AppError when busy or too slow.
 */
export function decryptPrivateKey(
  format: 'openssh' | 'pem',
  text: string,
  passphrase: string,
  timeLimitMs: number = DECRYPT_TIME_LIMIT_MS,
): Promise<Decrypted | null> {
  if (running >= MAX_PARALLEL) {
    return Promise.reject(
      new AppError(
        'TOO_MANY_REQUESTS',
        'other keys are being decrypted right now; try again in a few seconds',
        { retryAfterSeconds: 5 },
      ),
    );
  }
  running++;
  return new Promise<Decrypted | null>((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { format, text, passphrase, sshpkPath: require.resolve('sshpk') },
      resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 },
      stdout: true,
      stderr: true,
    });
    let settled = false;
    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      running--;
      void worker.terminate();
      settle();
    };
    const timer = setTimeout(
      () =>
        finish(() =>
          reject(
            new AppError(
              'BAD_REQUEST',
              `Decrypting the key took longer than ${Math.round(timeLimitMs / 1000)} s and was stopped; re-encrypt it with fewer rounds ("ssh-keygen -p -a 16 -f KEY") and import again.`,
            ),
          ),
        ),
      timeLimitMs,
    );
    worker.once('message', (answer: { ok: boolean; text?: string; keyType?: string }) =>
      finish(() =>
        resolve(
          answer.ok && typeof answer.text === 'string'
            ? { text: answer.text, ...(answer.keyType ? { keyType: answer.keyType } : {}) }
            : null,
        ),
      ),
    );
    // A crash of the worker (sshpk can throw from a stream event) is a key it could not read.
    worker.once('error', () => finish(() => resolve(null)));
    worker.once('exit', () => finish(() => resolve(null)));
  });
}
