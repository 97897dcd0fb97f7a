/**
 * Dependency direction (docs/architecture.md, "Dependencies point one way").
 * `npm run deps` fails on any violation; CI runs it.
 */
const forbid = (name, from, to, comment) => ({
  name,
  comment,
  severity: 'error',
  from: { path: from },
  to: { path: to },
});

module.exports = {
  forbidden: [
    forbid(
      'protocol-is-a-leaf',
      '^src/protocol',
      '^src/(?!protocol)',
      'src/protocol imports nothing else in src/',
    ),
    forbid(
      'sdk-only-protocol',
      '^src/sdk',
      '^src/(?!sdk|protocol)',
      'src/sdk imports only src/protocol',
    ),
    forbid(
      'media-no-upper',
      '^src/media',
      '^src/(server|agent|sdk|cli|web)',
      'media knows nothing of server, agent or sdk',
    ),
    forbid(
      'pcm-is-pure',
      '^src/media/pcm',
      '^src/media/(?!pcm)|node_modules/werift',
      'media/pcm is pure: no codec, rtp or werift',
    ),
    forbid(
      'server-no-agent',
      '^src/server',
      '^src/(agent|sdk|cli|web)',
      'the server never depends on the agent runtime or the sdk',
    ),
    forbid(
      'agent-no-server',
      '^src/agent',
      '^src/(server|cli|web|media/rtp)|node_modules/werift',
      'the agent runtime reaches rooms only through sockets',
    ),
    forbid(
      'agents-public-only',
      '^agents/',
      '^src/(?!agent/index\\.ts|sdk/index\\.ts|protocol/index\\.ts)',
      'ready agents import only public indexes',
    ),
    forbid(
      'no-test-code-in-src',
      '^(src|agents)/.*(?<!\\.test\\.ts)$',
      '^test/',
      'library code never imports test helpers',
    ),
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^src' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.d.ts'] },
  },
};
