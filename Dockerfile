# The storyreel worker image: Node 20, Debian's ffmpeg, production dependencies only.
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY examples ./examples
ENV NODE_ENV=production
ENTRYPOINT ["node", "bin/storyreel.js"]
CMD ["worker"]
