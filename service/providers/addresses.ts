// What kind of place a host name or IP address is: the one loopback rule of the service (plain
// http is allowed only there), and the addresses a provider URL must never reach (link-local,
// cloud metadata, unspecified). Dependency-free so the API schemas, the provider clients, the
// git credential helper and the doctor all ask the same function.
import { isIP } from 'node:net';

/** Brackets and case removed, and a trailing dot of a fully-qualified name. */
function bare(hostname: string): string {
  return hostname
    .replace(/^\[|\]$/g, '')
    .toLowerCase()
    .replace(/\.$/, '');
}

/** The 16 bytes of an IPv6 address (with an optional dotted IPv4 tail), or undefined. */
function ipv6Bytes(address: string): number[] | undefined {
  if (isIP(address) !== 6) return undefined;
  let text = address.replace(/%.*$/, '');
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail?.[1]) {
    const [a = 0, b = 0, c = 0, d = 0] = tail[1].split('.').map(Number);
    text = `${text.slice(0, -tail[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = rest ? rest.split(':') : [];
  const groups =
    rest === undefined
      ? left
      : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  if (groups.length !== 8) return undefined;
  return groups.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

/** The IPv4 address an IPv6 one carries (::ffff:a.b.c.d, ::a.b.c.d), else undefined. */
function embeddedIpv4(bytes: number[]): string | undefined {
  const zeros = bytes.slice(0, 10).every((b) => b === 0);
  const mapped = zeros && bytes[10] === 0xff && bytes[11] === 0xff;
  // ::a.b.c.d (deprecated IPv4-compatible form); ::1 and :: are IPv6's own loopback and unspecified.
  const compatible = zeros && bytes[10] === 0 && bytes[11] === 0 && (bytes[12] ?? 0) !== 0;
  return mapped || compatible ? bytes.slice(12).join('.') : undefined;
}

/** An IP literal as IPv4 dotted text when it is (or carries) one, else its IPv6 bytes. */
function classify(address: string): { v4: number[] } | { v6: number[] } | undefined {
  const host = bare(address);
  if (isIP(host) === 4) return { v4: host.split('.').map(Number) };
  const bytes = ipv6Bytes(host);
  if (!bytes) return undefined;
  const v4 = embeddedIpv4(bytes);
  return v4 ? { v4: v4.split('.').map(Number) } : { v6: bytes };
}

/**
 * True for `localhost`, names under `.localhost` (RFC 6761 reserves them for loopback),
 * 127.0.0.0/8 and ::1, also written as an IPv4-mapped IPv6 address: the only hosts plain http
 * is accepted for, when a URL is saved and when git asks for a credential.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = bare(hostname);
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const ip = classify(host);
  if (!ip) return false;
  if ('v4' in ip) return ip.v4[0] === 127;
  return ip.v6.slice(0, 15).every((b) => b === 0) && ip.v6[15] === 1;
}

/**
 * Why a provider URL may not reach this IP address, or undefined when it may: link-local and
 * cloud metadata (169.254.0.0/16, fe80::/10, fd00:ec2::254) and unspecified (0.0.0.0/8, ::)
 * addresses, in any spelling, IPv4-mapped IPv6 included. Loopback and private networks are
 * allowed (tests, self-hosted forges). Host names are not resolved here.
 */
export function forbiddenAddressReason(address: string): string | undefined {
  const ip = classify(address);
  if (!ip) return undefined;
  if ('v4' in ip) {
    const [a, b] = ip.v4;
    if (a === 169 && b === 254) return 'a link-local or cloud metadata address';
    if (a === 0) return 'an unspecified address';
    return undefined;
  }
  const v6 = ip.v6;
  if (v6.every((x) => x === 0)) return 'an unspecified address';
  if (v6[0] === 0xfe && ((v6[1] ?? 0) & 0xc0) === 0x80) return 'a link-local address';
  const metadata = [0xfd, 0x00, 0x0e, 0xc2, ...Array<number>(10).fill(0), 0x02, 0x54];
  if (v6.every((x, i) => x === metadata[i])) return 'a cloud metadata address';
  return undefined;
}
