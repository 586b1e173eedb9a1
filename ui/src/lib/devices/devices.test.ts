import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeBackend } from '../fake-backend';
import DeviceAddDialog from './DeviceAddDialog.svelte';
import DeviceJoinDialog from './DeviceJoinDialog.svelte';

let backend: FakeBackend;
beforeEach(() => {
  backend = new FakeBackend().install();
});

describe('DeviceAddDialog', () => {
  it('shows the code with what to do with it, and copies it', async () => {
    backend.addSpace('Pays — agents');
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    render(DeviceAddDialog, { onclose: vi.fn() });
    const code = await screen.findByTestId('device-code');
    expect(code.textContent).toMatch(/^BSTD1-/);
    expect(backend.callsOf('device_add')).toEqual([{}]);
    expect(screen.getByTestId('device-add-explanation').textContent?.replace(/\s+/g, ' ').trim()).toBe(
      'Sur votre autre poste, choisissez « Rejoindre comme second appareil » et collez ce code. Valable 7 jours, une seule fois.',
    );
    await fireEvent.click(screen.getByTestId('device-copy'));
    expect(writeText).toHaveBeenCalledWith(code.textContent);
    await waitFor(() => expect(screen.getByTestId('device-copied').textContent).toContain('Code copié'));
  });

  it('shows why no code could be made', async () => {
    backend.failures.set('device_add', { code: 'relay_unreachable', message: 'timed out' });
    render(DeviceAddDialog, { onclose: vi.fn() });
    expect((await screen.findByTestId('error-message')).textContent).toContain('Le relais ne répond pas.');
    expect(screen.queryByTestId('device-code')).toBeNull();
  });
});

describe('DeviceJoinDialog', () => {
  async function join(code: string) {
    await fireEvent.input(screen.getByTestId('device-join-code'), { target: { value: code } });
    await fireEvent.click(screen.getByTestId('device-join-submit'));
  }

  it('becomes a second device and hands over every space', async () => {
    const code = backend.offerDevice(['Pays — agents', 'Élus']);
    const onjoined = vi.fn();
    render(DeviceJoinDialog, { onjoined, onclose: vi.fn() });
    await join(`${code.slice(0, 8)}\n${code.slice(8)}\n`);
    await waitFor(() => expect(onjoined).toHaveBeenCalledOnce());
    expect(backend.callsOf('device_join')).toEqual([{ code }]);
    expect(onjoined.mock.calls[0][0].map((s: { name: string }) => s.name)).toEqual(['Pays — agents', 'Élus']);
  });

  it('says the spaces will come with the next synchronisation when none came yet', async () => {
    const code = backend.offerDevice([]);
    const onjoined = vi.fn();
    render(DeviceJoinDialog, { onjoined, onclose: vi.fn() });
    await join(code);
    expect((await screen.findByTestId('device-join-done')).textContent).toContain('prochaine synchronisation');
    expect(onjoined).not.toHaveBeenCalled();
  });

  it('asks for a code, and refuses one used already', async () => {
    render(DeviceJoinDialog, { onjoined: vi.fn(), onclose: vi.fn() });
    await join('  ');
    expect(screen.getByTestId('error-message').textContent).toContain('Collez le code');
    expect(backend.callsOf('device_join')).toEqual([]);

    const code = backend.offerDevice(['Élus']);
    backend.codes.get(code)!.used = true;
    await join(code);
    await waitFor(() => expect(screen.getByTestId('error-message').textContent).toContain('déjà été utilisé'));
  });
});
