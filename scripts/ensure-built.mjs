// `npm start` builds first when dist/ is missing or older than the sources it is built from.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const stamp = join(root, 'dist/src/cli/main.js');

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

const builtAt =
  existsSync(stamp) && existsSync(join(root, 'dist/web/index.html')) ? statSync(stamp).mtimeMs : 0;
const sourcesAt = Math.max(newest(join(root, 'src')), newest(join(root, 'agents')));
if (builtAt < sourcesAt) {
  console.error('shoal: building…');
  execSync('npm run build', { cwd: root, stdio: 'inherit' });
}
