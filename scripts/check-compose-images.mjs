// Every image a compose service pulls must name a pinned tag: `name:tag` (or a digest), never `latest` or no tag.
// Services built here (with `build:`) are exempt. Also: every published port is bound to 127.0.0.1.
// Usage: node scripts/check-compose-images.mjs docker-compose.yml [more files]
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

let problems = 0;
for (const file of process.argv.slice(2)) {
  const doc = parse(readFileSync(file, 'utf8'), { merge: true });
  for (const [name, svc] of Object.entries(doc.services ?? {})) {
    const image = svc.image;
    if (!svc.build) {
      const tag = typeof image === 'string' ? /^[^@]+:([^/:@]+)$/.exec(image)?.[1] : undefined;
      const digest = typeof image === 'string' && /@sha256:[0-9a-f]{64}$/.test(image);
      if (!digest && (!tag || tag === 'latest' || /\$\{/.test(image))) {
        console.error(`${file}: service ${name}: image "${image ?? '(none)'}" is not pinned to a tag`);
        problems++;
      }
    }
    for (const port of svc.ports ?? []) {
      const text = typeof port === 'string' ? port : `${port.host_ip ?? ''}:${port.published}:${port.target}`;
      if (!text.startsWith('127.0.0.1:')) {
        console.error(`${file}: service ${name}: port "${text}" is not bound to 127.0.0.1`);
        problems++;
      }
    }
  }
  if (!problems) console.log(`check-compose: ${file}: every image pinned, every port on 127.0.0.1`);
}
process.exit(problems ? 1 : 0);
