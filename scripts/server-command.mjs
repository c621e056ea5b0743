// How `npm start` runs the server (keep in step with package.json "start" and scripts/Dockerfile):
// compiled JavaScript from dist/ (npm run build), a smaller young generation, and an old-generation cap.
// Without the cap V8 let dead per-request objects pile up in the old generation (to ~120 MB, live ~35 MB)
// before a full GC; with a small cap it collects much sooner. Measured in the benchmark: peak RSS 149 MB
// instead of 220 MB, same throughput; live heap under load 31-38 MB, far below the cap (PERFORMANCE.md).
// Source maps for readable stack traces.
export const SERVER_NODE_ARGS = ['--max-semi-space-size=8', '--max-old-space-size=128', '--enable-source-maps', 'dist/server/main.js'];
