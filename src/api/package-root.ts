/**
 * The package root: the nearest directory above this module with fleetgate's package.json. The same walk
 * finds it from src/api (tsx) and from dist/src/api (compiled), and in the Docker image (/app), where
 * `protocols/*.proto` is copied next to package.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: { dir: string; version: string } | undefined;

/** The nearest directory at or above `from` holding fleetgate's package.json. */
export function findPackageRoot(from: string): { dir: string; version: string } {
  let dir = from;
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'fleetgate') return { dir, version: pkg.version ?? '0.0.0' };
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`fleetgate's package.json not found above ${from}`);
    dir = up;
  }
}

export function packageRoot(): { dir: string; version: string } {
  root ??= findPackageRoot(dirname(fileURLToPath(import.meta.url)));
  return root;
}
