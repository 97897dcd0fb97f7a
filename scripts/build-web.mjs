// Builds the demo page (src/web) into dist/web: esbuild bundles the official ts-client with it.
import { copyFileSync, mkdirSync } from 'node:fs';
import { build } from 'esbuild';

const out = new URL('../dist/web/', import.meta.url);
mkdirSync(new URL('assets/', out), { recursive: true });
await build({
  entryPoints: [new URL('../src/web/main.ts', import.meta.url).pathname],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  outfile: new URL('assets/app.js', out).pathname,
  logLevel: 'warning',
});
copyFileSync(new URL('../src/web/index.html', import.meta.url), new URL('index.html', out));
copyFileSync(new URL('../src/web/app.css', import.meta.url), new URL('assets/app.css', out));
