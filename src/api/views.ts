/**
 * The workflow's progress → the API's view: server paths become URLs of this API (outputs, clips, frames), so a
 * client never sees or names a file on the server.
 */
import { basename } from 'node:path';
import type { ProductionProgress, SceneStatus } from '../../workflows/definitions.js';
import type { ProductionView, SceneView } from './schemas/productions.js';

export const productionUrl = (id: string) => `/v1/productions/${id}`;

export function sceneView(productionId: string, s: SceneStatus): SceneView {
  const base = `${productionUrl(productionId)}/scenes/${s.id}`;
  const { clip, rejectedTakes, reason, ...rest } = s;
  return {
    ...rest,
    ...(reason
      ? {
          reason: {
            kind: reason.kind,
            message: reason.message,
            ...(reason.provider ? { provider: reason.provider } : {}),
            ...(reason.providerCode ? { providerCode: reason.providerCode } : {}),
            ...(reason.requestId ? { requestId: reason.requestId } : {}),
            ...(reason.jobId ? { jobId: reason.jobId } : {}),
          },
        }
      : {}),
    ...(clip
      ? {
          clip: {
            sha256: clip.sha256,
            bytes: clip.bytes,
            durationS: clip.durationS,
            jobId: clip.jobId,
            url: `${base}/clip?take=${s.take}`,
            firstFrameUrl: `${base}/frames/first.png?take=${s.take}`,
            lastFrameUrl: `${base}/frames/last.png?take=${s.take}`,
          },
        }
      : {}),
    rejectedTakes: rejectedTakes.map((r) => ({ take: r.take, note: r.note, clipUrl: `${base}/clip?take=${r.take}` })),
  };
}

export function productionView(p: ProductionProgress): ProductionView {
  const self = productionUrl(p.productionId);
  const out = `${self}/outputs`;
  const done = !!p.outputPath && (p.state === 'completed' || p.state === 'completed_with_placeholders');
  return {
    productionId: p.productionId,
    title: p.title,
    state: p.state,
    percent: p.percent,
    costUsd: p.costUsd,
    estimatedCostUsd: p.estimatedCostUsd,
    startedAt: p.startedAt,
    updatedAt: p.updatedAt,
    ...(p.budgetUsd !== undefined ? { budgetUsd: p.budgetUsd } : {}),
    ...(p.message ? { message: p.message } : {}),
    ...(p.waitingUntil ? { waitingUntil: p.waitingUntil } : {}),
    ...(p.waitingFor ? { waitingFor: p.waitingFor } : {}),
    scenes: p.scenes.map((s) => sceneView(p.productionId, s)),
    ledger: p.ledger,
    outputs: done
      ? {
          video: `${out}/video`,
          captionsVtt: `${out}/captions.vtt`,
          captionsSrt: `${out}/captions.srt`,
          poster: `${out}/poster.jpg`,
          contactSheet: `${out}/contact-sheet.jpg`,
          manifest: `${out}/manifest.json`,
        }
      : {},
    links: { self, events: `${self}/events`, webhooks: `${self}/webhooks` },
  };
}

/** Output names the API serves → the file beside the final video (its name comes from the plan, not the request). */
export function outputFile(outputPath: string, name: string): string | undefined {
  const dir = outputPath.slice(0, outputPath.length - basename(outputPath).length);
  const stem = outputPath.replace(/\.mp4$/, '');
  switch (name) {
    case 'video':
      return outputPath;
    case 'captions.vtt':
      return `${stem}.vtt`;
    case 'captions.srt':
      return `${stem}.srt`;
    case 'poster.jpg':
      return `${dir}poster.jpg`;
    case 'contact-sheet.jpg':
      return `${dir}contact-sheet.jpg`;
    case 'manifest.json':
      return `${dir}manifest.json`;
    default:
      return undefined;
  }
}
