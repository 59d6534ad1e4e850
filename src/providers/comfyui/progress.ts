/**
 * Progress of our prompts from ComfyUI's WebSocket (`/ws?clientId=`). ComfyUI sends execution events only to the
 * socket of the client id a prompt was queued with, so this keeps one socket per provider instance (its own client
 * id), open while any of its prompts is unfinished and closed after a quiet minute. Progress is best effort: the job
 * state always comes from /history and /queue; a worker that did not queue a prompt (or restarted) reports none.
 *
 * Fraction = (nodes finished + the running sampler's step / steps) / nodes to run (the graph's nodes minus those
 * reported cached).
 */
import WebSocket from 'ws';

interface Tracked {
  nodes: number;
  cached: number;
  done: Set<string>;
  current?: string;
  step: number;
  finished: boolean;
  lastEventAt: number;
}

const IDLE_CLOSE_MS = 60_000;
/** A prompt nothing was heard of for this long is dropped (its submit's answer was lost and it never ran here). */
const FORGET_AFTER_MS = 6 * 3600_000;
const RECONNECT_MS = 2_000;

export class ProgressSocket {
  private ws: WebSocket | undefined;
  private readonly prompts = new Map<string, Tracked>();
  private idleTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    readonly clientId: string,
    private readonly headers: Record<string, string>,
  ) {}

  /** Starts following a prompt we queued (with this client id) whose graph has `nodes` nodes (0: unknown). */
  watch(promptId: string, nodes: number): void {
    const now = Date.now();
    for (const [id, t] of this.prompts) if (now - t.lastEventAt > FORGET_AFTER_MS) this.prompts.delete(id);
    if (!this.prompts.has(promptId)) {
      this.prompts.set(promptId, { nodes, cached: 0, done: new Set(), step: 0, finished: false, lastEventAt: now });
    }
    this.connect();
  }

  /** 0..1 from the events seen, or undefined for a prompt this socket does not follow (or whose size it does not know). */
  progressOf(promptId: string): number | undefined {
    const t = this.prompts.get(promptId);
    if (!t || !t.nodes) return undefined;
    if (t.finished) return 1;
    const toRun = Math.max(1, t.nodes - t.cached);
    return Math.min(0.99, (t.done.size + t.step) / toRun);
  }

  /** Stops following a prompt (it ended); the socket closes once nothing is followed for a while. */
  forget(promptId: string): void {
    this.prompts.delete(promptId);
    this.scheduleIdleClose();
  }

  close(): void {
    clearTimeout(this.idleTimer);
    clearTimeout(this.reconnectTimer);
    this.ws?.terminate();
    this.ws = undefined;
  }

  /** Socket URL for a base URL: http(s) → ws(s), plus /ws?clientId=. */
  static urlFor(baseURL: string, clientId: string): string {
    const u = new URL(`${baseURL.replace(/\/+$/, '')}/ws`);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    u.searchParams.set('clientId', clientId);
    return u.toString();
  }

  private connect(): void {
    clearTimeout(this.idleTimer);
    if (this.ws) return;
    const ws = new WebSocket(this.url, { headers: this.headers, handshakeTimeout: 10_000 });
    this.ws = ws;
    // Never keep a worker process alive for progress alone.
    ws.on('upgrade', (res) => res.socket.unref());
    ws.on('message', (data, isBinary) => {
      if (!isBinary) this.onMessage(String(data));
    });
    ws.on('error', () => undefined); // a server without /ws (or a proxy refusing it): no progress, polling goes on
    ws.on('close', () => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      if (this.prompts.size) {
        this.reconnectTimer = setTimeout(() => this.connect(), RECONNECT_MS);
        this.reconnectTimer.unref();
      }
    });
  }

  private scheduleIdleClose(): void {
    if (this.prompts.size) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.close(), IDLE_CLOSE_MS);
    this.idleTimer.unref();
  }

  private onMessage(text: string): void {
    let msg: { type?: unknown; data?: Record<string, unknown> };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      return;
    }
    const data = msg.data ?? {};
    const t = typeof data.prompt_id === 'string' ? this.prompts.get(data.prompt_id) : undefined;
    if (!t) return;
    t.lastEventAt = Date.now();
    switch (msg.type) {
      case 'execution_cached':
        t.cached = Array.isArray(data.nodes) ? data.nodes.length : 0;
        break;
      case 'executing':
        if (t.current !== undefined) t.done.add(t.current);
        t.step = 0;
        if (data.node === null || data.node === undefined) t.finished = true;
        else t.current = String(data.node);
        break;
      case 'progress':
        if (typeof data.value === 'number' && typeof data.max === 'number' && data.max > 0) t.step = Math.min(1, data.value / data.max);
        break;
      case 'execution_success':
      case 'execution_error':
      case 'execution_interrupted':
        t.finished = true;
        break;
    }
  }
}
