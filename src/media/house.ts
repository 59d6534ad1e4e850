/**
 * The house encode: every clip storyreel renders or normalizes uses exactly these settings, so clips share their
 * H.264 parameter sets and the final assembly can stream-copy video.
 */
export function houseVideoArgs(fps: number): string[] {
  return [
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '16',
    '-profile:v',
    'high',
    '-pix_fmt',
    'yuv420p',
    '-r',
    String(fps),
    '-g',
    String(fps * 2),
  ];
}

export const HOUSE_AUDIO_ARGS = ['-c:a', 'aac', '-b:a', '160k', '-ar', '48000', '-ac', '2'] as const;
