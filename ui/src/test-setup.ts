// Vitest setup: after each test, unmount components, then reset the Tauri mocks.
import { cleanup } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach } from 'vitest';

// jsdom has no layout observers; the month grid uses both.
class NoopObserver {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
  takeRecords(): [] {
    return [];
  }
}
globalThis.ResizeObserver ??= NoopObserver as unknown as typeof ResizeObserver;
globalThis.IntersectionObserver ??= NoopObserver as unknown as typeof IntersectionObserver;

afterEach(() => {
  // Unmount first: components unlisten from the (mocked) backend as they go.
  cleanup();
  clearMocks();
  localStorage.clear();
});
