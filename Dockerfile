# syntax=docker/dockerfile:1
# Sluice agent image: `docker build -t sluice .`, then
#   docker run --rm -v "$PWD/topology.yaml:/etc/sluice/topology.yaml:ro" -v sluice-data:/var/lib/sluice sluice
# runs `sluice agent -f /etc/sluice/topology.yaml -n agent`; name another agent with `-n NAME`
# after the image name (the arguments replace CMD). See docs/deploy.md.

# Node 22 LTS (Node 20, which the tests also run on, left support in April 2026).
ARG NODE_IMAGE=node:22-bookworm-slim

# 1. Build: every dependency (TypeScript included), then compile all workspaces.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY packages ./packages
COPY plugins ./plugins
COPY examples ./examples
COPY test ./test
COPY bench ./bench
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm run build \
 && rm -rf packages/*/dist/test plugins/*/dist/test packages/*/dist/*.tsbuildinfo plugins/*/dist/*.tsbuildinfo

# 2. Production dependencies only, beside the compiled packages: no sources, tests, TypeScript,
# test kit or examples. Dropping those workspaces from the manifest is what keeps mocha out (the
# test kit's peer dependency); `npm install` keeps every other version the lock file pins.
FROM ${NODE_IMAGE} AS runtime-files
WORKDIR /opt/sluice
COPY --from=build /src/package.json /src/package-lock.json ./
COPY --from=build /src/packages ./packages
COPY --from=build /src/plugins ./plugins
RUN rm -rf packages/testkit packages/*/src packages/*/test packages/*/node_modules plugins/*/src plugins/*/test plugins/*/node_modules \
 && node -e "const fs = require('fs'); const p = JSON.parse(fs.readFileSync('package.json')); p.workspaces = ['packages/*', 'plugins/*']; delete p.devDependencies; fs.writeFileSync('package.json', JSON.stringify(p, null, 2));" \
 && npm install --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# 3. The image: Node, the agent and its production dependencies, run as the unprivileged node user.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
COPY --from=runtime-files /opt/sluice /opt/sluice
RUN mkdir -p /etc/sluice /var/lib/sluice && chown node:node /var/lib/sluice
# Relative paths in the topology (the agent's dataDir defaults to data/<agent>) land on the volume.
WORKDIR /var/lib/sluice
VOLUME ["/var/lib/sluice"]
USER node
ENTRYPOINT ["node", "/opt/sluice/packages/cli/dist/src/bin.js", "agent"]
CMD ["-f", "/etc/sluice/topology.yaml", "-n", "agent"]
