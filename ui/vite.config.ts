/// <reference types="vitest/config" />
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

// The Tauri shell loads ui/dist (release) or this dev server (debug builds, devUrl in
// src-tauri/tauri.conf.json). Port and host must match devUrl, so the port is strict.
export default defineConfig(({ mode }) => ({
  plugins: [svelte()],
  clearScreen: false,
  server: {
    port: 5173,
    strictPort: true,
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
  },
  // Svelte 5 components mount only with the browser build of svelte under Vitest.
  resolve: mode === 'test' ? { conditions: ['browser'] } : undefined,
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test-setup.ts'],
    // Dates in tests are written for metropolitan France; pin the zone so they hold
    // on any machine (December dates are +01:00, July dates +02:00).
    env: { TZ: 'Europe/Paris' },
  },
}));
