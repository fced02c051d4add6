import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const workspace = fileURLToPath(new URL('../..', import.meta.url));
// The controller serves the build at /, the API under /api and socket.io beside it.
const controller = process.env.QFLEET_CONTROLLER ?? 'http://localhost:3000';

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  resolve: {
    // Exact names: `@qfleet/protocol/ui` and `/host-pattern` are modules of their own (no zod in the bundle).
    alias: [
      { find: /^@qfleet\/protocol\/ui$/, replacement: `${workspace}libs/protocol/src/ui.ts` },
      { find: /^@qfleet\/protocol\/host-pattern$/, replacement: `${workspace}libs/protocol/src/host-pattern.ts` },
      { find: /^@qfleet\/protocol$/, replacement: `${workspace}libs/protocol/src/index.ts` },
    ],
  },
  build: {
    outDir: `${workspace}dist/apps/dashboard`,
    emptyOutDir: true,
  },
  server: {
    port: 4200,
    proxy: {
      '/api': controller,
      '/socket.io': { target: controller, ws: true },
    },
  },
});
