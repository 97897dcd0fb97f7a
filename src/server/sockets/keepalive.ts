import type { WebSocket } from 'ws';

/**
 * Sends a WebSocket ping every `intervalMs` (Fishjam: 30 s) and terminates a socket that did
 * not answer the previous one. Returns a function that stops it (also stops on close).
 */
export function keepAlive(ws: WebSocket, intervalMs: number): () => void {
  let alive = true;
  const onPong = (): void => {
    alive = true;
  };
  ws.on('pong', onPong);
  const timer = setInterval(() => {
    if (!alive) {
      ws.terminate();
      return;
    }
    alive = false;
    ws.ping();
  }, intervalMs);
  timer.unref();
  const stop = (): void => {
    clearInterval(timer);
    ws.off('pong', onPong);
  };
  ws.once('close', stop);
  return stop;
}
