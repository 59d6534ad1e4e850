# The storyreel worker image: Node 24, Debian's ffmpeg, the compiled package (dist/ with its prebuilt workflow
# bundle) and production dependencies only; no TypeScript at run time. bin/storyreel.js runs dist/ because the
# image holds no src/.
FROM node:24-bookworm-slim AS build
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs ./scripts/build.mjs
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
RUN npm run build

FROM node:24-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY --from=build /build/dist ./dist
COPY examples ./examples
# Runs as the image's unprivileged `node` user (uid 1000); /work is where it writes (the work dir and outputs), so a
# named volume mounted there starts out owned by that user.
RUN mkdir -p /work/.storyreel /work/out && chown -R node:node /work
USER node
ENV NODE_ENV=production STORYREEL_WORK_DIR=/work/.storyreel STORYREEL_OUT_DIR=/work/out
ENTRYPOINT ["node", "bin/storyreel.js"]
CMD ["worker"]
