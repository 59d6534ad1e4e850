/**
 * ComfyUI's `/ws?clientId=…` channel (server.py `websocket_handler`): the client id is the session id (a new socket
 * with the same id replaces the old one; none → a random hex id); on connect the server sends `status` with the
 * queue and the `sid`, and, when this client's prompt is running, the node it is on. Execution events go only to the
 * socket of the prompt's `client_id`; `status` goes to every socket. Messages are JSON `{type, data}`.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

export class SocketHub {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Map<string, WebSocket>();

  /**
   * Accepts an upgrade on `/ws` (or `/api/ws`); `authorized` false answers 401 without upgrading. `welcome` gives
   * the messages a new socket gets first.
   */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, authorized: boolean, welcome: (sid: string) => [string, unknown][]): void {
    const url = new URL(req.url ?? '/', 'http://mock.invalid');
    if (url.pathname !== '/ws' && url.pathname !== '/api/ws') return reject(socket, 404, 'Not Found');
    if (!authorized) return reject(socket, 401, 'Unauthorized');
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const sid = url.searchParams.get('clientId') || randomBytes(16).toString('hex');
      this.sockets.get(sid)?.terminate();
      this.sockets.set(sid, ws);
      ws.on('close', () => {
        if (this.sockets.get(sid) === ws) this.sockets.delete(sid);
      });
      ws.on('error', () => undefined);
      for (const [type, data] of welcome(sid)) send(ws, type, data);
    });
  }

  /** To one client (dropped silently when it has no socket, as ComfyUI does), or to every socket. */
  send(type: string, data: unknown, sid?: string): void {
    if (sid === undefined) for (const ws of this.sockets.values()) send(ws, type, data);
    else {
      const ws = this.sockets.get(sid);
      if (ws) send(ws, type, data);
    }
  }

  connected(): string[] {
    return [...this.sockets.keys()];
  }

  close(): void {
    for (const ws of this.sockets.values()) ws.terminate();
    this.sockets.clear();
    this.wss.close();
  }
}

function send(ws: WebSocket, type: string, data: unknown): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type, data }));
}

function reject(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
}
