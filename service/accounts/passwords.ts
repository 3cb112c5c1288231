// Password hashing with scrypt: a self-describing string "scrypt$N$r$p$salt$hash" (base64), so
// parameters can grow later, and a timing-safe comparison.
//
// Every scrypt computation (32 MiB, about 50-100 ms of one core) goes through one queue per
// process, `passwordWork`: at most `concurrency` run at once (the cores, at most libuv's four
// threads, so file and DNS work keeps threads), and a computation that would wait longer than
// `maxWaitMs` in the queue is not queued: it fails at once with SERVICE_UNAVAILABLE (503) and a
// Retry-After of the time the queue needs to drain; one admitted on an estimate that proved
// optimistic is refused the same way when its turn comes too late. A burst of sign-ins on a busy
// machine then gets a quick "try again in N s" instead of piling up behind each other until the
// clients time out (and then being computed anyway, for nobody).
import { availableParallelism } from 'node:os';
import { randomBytes, scrypt, type ScryptOptions, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors';

const PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
// Bounds on what a stored hash may ask for, so a damaged row cannot make verify eat the machine.
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;

export interface PasswordWorkOptions {
  /** Computations run at once. */
  concurrency: number;
  /** The longest a computation may wait for its turn; beyond it the caller gets a 503. */
  maxWaitMs: number;
  /** The duration assumed for one computation until one has been measured. */
  initialEstimateMs?: number;
}

/** A bounded queue for CPU-heavy password work, with admission by expected wait. */
export class PasswordWork {
  #options: Required<PasswordWorkOptions>;
  #running = 0;
  readonly #waiting: Array<{ since: number; go: () => void; refuse: (err: AppError) => void }> = [];
  /** A moving average of how long one computation took, queue wait excluded. */
  #estimateMs: number;
  /** Whether #estimateMs is still the initial guess (the first measurement replaces it). */
  #guessed = true;
  /** When each running computation started (performance.now()). */
  readonly #started = new Set<{ at: number }>();

  constructor(options: PasswordWorkOptions) {
    this.#options = { initialEstimateMs: 100, ...options };
    this.#estimateMs = this.#options.initialEstimateMs;
  }

  /** Changes the bounds (tests); returns the ones before, to put back. */
  configure(options: Partial<PasswordWorkOptions>): Required<PasswordWorkOptions> {
    const before = this.#options;
    this.#options = { ...this.#options, ...options };
    if (options.initialEstimateMs !== undefined) {
      this.#estimateMs = options.initialEstimateMs;
      this.#guessed = true;
    }
    return before;
  }

  /** Computations running and waiting now, and the current estimate of one (for tests, logs). */
  get load(): { running: number; waiting: number; estimateMs: number } {
    return { running: this.#running, waiting: this.#waiting.length, estimateMs: this.#estimateMs };
  }

  /**
   * How long one computation takes, as far as is known now: the average of those done, but no
   * less than the age of the oldest one still running (the machine may just have become busy).
   */
  #perComputationMs(): number {
    let oldest = 0;
    const now = performance.now();
    for (const t of this.#started) oldest = Math.max(oldest, now - t.at);
    return Math.max(this.#estimateMs, oldest);
  }

  /** Milliseconds until the queue as it is now has drained. */
  #drainMs(): number {
    const { concurrency } = this.#options;
    return (
      Math.ceil((this.#running + this.#waiting.length) / concurrency) * this.#perComputationMs()
    );
  }

  /**
   * Runs `work` when its turn comes; throws SERVICE_UNAVAILABLE with retryAfterSeconds, without
   * queueing, when its turn would come later than maxWaitMs from now.
   */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const { concurrency, maxWaitMs } = this.#options;
    if (this.#running >= concurrency) {
      // Its turn comes after the computations ahead of it, `concurrency` at a time.
      const turnMs = Math.ceil((this.#waiting.length + 1) / concurrency) * this.#perComputationMs();
      if (turnMs > maxWaitMs) throw this.#busy();
      // Admitted on an estimate, which may be wrong (the machine became busy after it was
      // made): one whose turn comes after maxWaitMs all the same is refused then (#handOver).
      await new Promise<void>((go, refuse) =>
        this.#waiting.push({ since: performance.now(), go, refuse }),
      );
    } else {
      this.#running++;
    }
    const started = { at: performance.now() };
    this.#started.add(started);
    try {
      return await work();
    } finally {
      this.#started.delete(started);
      const took = performance.now() - started.at;
      this.#estimateMs = this.#guessed ? took : this.#estimateMs * 0.8 + took * 0.2;
      this.#guessed = false;
      this.#handOver();
    }
  }

  /**
   * The slot passes straight to the next in line that has not waited too long (running stays
   * counted), or is freed; those that waited too long are refused, as they would have been on
   * arrival with a right estimate: their clients may have given up already.
   */
  #handOver(): void {
    const { maxWaitMs } = this.#options;
    for (let next = this.#waiting.shift(); next; next = this.#waiting.shift()) {
      if (performance.now() - next.since <= maxWaitMs) {
        next.go();
        return;
      }
      next.refuse(this.#busy());
    }
    this.#running--;
  }

  #busy(): AppError {
    const seconds = Math.max(1, Math.ceil(this.#drainMs() / 1000));
    return new AppError(
      'SERVICE_UNAVAILABLE',
      `the service is busy checking other passwords; try again in ${seconds} s`,
      { retryAfterSeconds: seconds },
    );
  }
}

/**
 * The process's password work: as many at once as cores, at most four; a wait of 10 s at most,
 * well inside the clients' time-outs (the extension gives a request 30 s).
 */
export const passwordWork = new PasswordWork({
  concurrency: Math.max(1, Math.min(availableParallelism(), 4)),
  maxWaitMs: 10_000,
  // Until one is measured: a guess on the slow side, so that a burst right after start-up (every
  // client signing in again after a restart) is not all admitted on an optimistic one.
  initialEstimateMs: 500,
});

function scryptAsync(password: string, salt: Buffer, length: number, options: ScryptOptions) {
  return passwordWork.run(
    () =>
      new Promise<Buffer>((resolve, reject) => {
        scrypt(password, salt, length, options, (err, key) => (err ? reject(err) : resolve(key)));
      }),
  );
}

function maxmem(N: number, r: number, p: number): number {
  // scrypt needs 128 * N * r bytes (plus p blocks); give it headroom above Node's 32 MiB default.
  return 128 * N * r + 128 * r * p + 16 * 1024 * 1024;
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const { N, r, p } = PARAMS;
  const hash = await scryptAsync(password, salt, HASH_BYTES, { N, r, p, maxmem: maxmem(N, r, p) });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** True when `password` matches `stored`; false for a wrong password or an unreadable hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map((v) => Number(v));
  if (
    N === undefined ||
    r === undefined ||
    p === undefined ||
    ![N, r, p].every((v) => Number.isInteger(v) && v > 0) ||
    N > MAX_N ||
    (N & (N - 1)) !== 0 ||
    r > MAX_R ||
    p > MAX_P
  ) {
    return false;
  }
  const salt = Buffer.from(parts[4] ?? '', 'base64');
  const expected = Buffer.from(parts[5] ?? '', 'base64');
  if (salt.length === 0 || expected.length === 0) return false;
  const actual = await scryptAsync(password, salt, expected.length, {
    N,
    r,
    p,
    maxmem: maxmem(N, r, p),
  });
  return timingSafeEqual(actual, expected);
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the time of a real verification and answers false: used when the username is unknown,
 * so response times do not tell which usernames exist.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  // A refused first computation (busy) must not leave a rejected promise behind for good.
  dummyHash ??= hashPassword(randomBytes(16).toString('hex')).catch((err: unknown) => {
    dummyHash = undefined;
    throw err;
  });
  await verifyPassword(password, await dummyHash);
  return false;
}

/** True when a stored hash uses weaker parameters than today's, so login can re-hash it. */
export function needsRehash(stored: string): boolean {
  const parts = stored.split('$');
  return (
    parts[0] !== 'scrypt' ||
    Number(parts[1]) < PARAMS.N ||
    Number(parts[2]) < PARAMS.r ||
    Number(parts[3]) < PARAMS.p
  );
}
