// One rule for "the same service": addresses compared without trailing slashes.
export function sameService(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}
