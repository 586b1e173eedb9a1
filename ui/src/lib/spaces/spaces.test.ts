import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeBackend } from '../fake-backend';
import CreateSpaceDialog from './CreateSpaceDialog.svelte';
import InviteDialog from './InviteDialog.svelte';
import JoinSpaceDialog from './JoinSpaceDialog.svelte';
import SpaceList from './SpaceList.svelte';

let backend: FakeBackend;
beforeEach(() => {
  backend = new FakeBackend().install();
});

describe('CreateSpaceDialog', () => {
  it('prefills the default relay and creates the space', async () => {
    const oncreated = vi.fn();
    render(CreateSpaceDialog, { defaultRelay: '127.0.0.1:4433', oncreated, onclose: vi.fn() });
    expect((screen.getByTestId('space-relay') as HTMLInputElement).value).toBe('127.0.0.1:4433');
    expect(document.activeElement).toBe(screen.getByTestId('space-name'));
    await fireEvent.input(screen.getByTestId('space-name'), { target: { value: '  Pays — agents ' } });
    await fireEvent.click(screen.getByTestId('create-space-submit'));
    await waitFor(() => expect(oncreated).toHaveBeenCalledOnce());
    expect(backend.callsOf('create_space')).toEqual([{ name: 'Pays — agents', relay: '127.0.0.1:4433' }]);
    expect(oncreated.mock.calls[0][0]).toMatchObject({ name: 'Pays — agents' });
  });

  it('asks for a name and a relay before calling the backend', async () => {
    render(CreateSpaceDialog, { defaultRelay: null, oncreated: vi.fn(), onclose: vi.fn() });
    await fireEvent.click(screen.getByTestId('create-space-submit'));
    const text = screen.getByTestId('error-message').textContent;
    expect(text).toContain('Donnez un nom à l’espace.');
    expect(text).toContain('Indiquez l’adresse du relais.');
    expect(backend.callsOf('create_space')).toEqual([]);
  });

  it('shows why the relay could not be reached', async () => {
    backend.failures.set('create_space', { code: 'relay_unreachable', message: 'timed out after 10 s' });
    const oncreated = vi.fn();
    render(CreateSpaceDialog, { defaultRelay: 'relais:4433', oncreated, onclose: vi.fn() });
    await fireEvent.input(screen.getByTestId('space-name'), { target: { value: 'Élus' } });
    await fireEvent.click(screen.getByTestId('create-space-submit'));
    const error = await screen.findByTestId('error-message');
    expect(error.textContent).toContain('Le relais ne répond pas.');
    expect(error.textContent).toContain('timed out after 10 s');
    expect(oncreated).not.toHaveBeenCalled();
  });

  it('closes on Escape', async () => {
    const onclose = vi.fn();
    render(CreateSpaceDialog, { defaultRelay: null, oncreated: vi.fn(), onclose });
    await fireEvent.keyDown(screen.getByTestId('space-name'), { key: 'Escape' });
    expect(onclose).toHaveBeenCalledOnce();
  });
});

describe('JoinSpaceDialog', () => {
  it('joins with the code, ignoring the line breaks a mail client added', async () => {
    const onjoined = vi.fn();
    render(JoinSpaceDialog, { onjoined, onclose: vi.fn() });
    await fireEvent.input(screen.getByTestId('join-code'), { target: { value: ' BSTD1-ABC\nDEF \n' } });
    await fireEvent.click(screen.getByTestId('join-space-submit'));
    await waitFor(() => expect(onjoined).toHaveBeenCalledOnce());
    expect(backend.callsOf('join_space')).toEqual([{ code: 'BSTD1-ABCDEF' }]);
  });

  it('explains an expired invitation', async () => {
    backend.failures.set('join_space', { code: 'expired_invitation', message: 'expired' });
    render(JoinSpaceDialog, { onjoined: vi.fn(), onclose: vi.fn() });
    await fireEvent.input(screen.getByTestId('join-code'), { target: { value: 'BSTD1-OLD' } });
    await fireEvent.click(screen.getByTestId('join-space-submit'));
    expect((await screen.findByTestId('error-message')).textContent).toContain('a expiré');
  });

  it('asks for a code when the field is empty', async () => {
    render(JoinSpaceDialog, { onjoined: vi.fn(), onclose: vi.fn() });
    await fireEvent.click(screen.getByTestId('join-space-submit'));
    expect(screen.getByTestId('error-message').textContent).toContain('Collez le code');
    expect(backend.callsOf('join_space')).toEqual([]);
  });
});

describe('InviteDialog', () => {
  it('shows the code and copies it', async () => {
    const space = backend.addSpace('Tourisme');
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    render(InviteDialog, { space, onclose: vi.fn() });
    const code = await screen.findByTestId('invite-code');
    await fireEvent.click(screen.getByTestId('invite-copy'));
    expect(writeText).toHaveBeenCalledWith(code.textContent);
    await waitFor(() => expect(screen.getByTestId('invite-copied').textContent).toContain('Code copié'));
  });

  it('shows the relay and its certificate fingerprint, wrapped in groups', async () => {
    const fingerprint = '0123456789abcdef'.repeat(4);
    const space = backend.addSpace('Tourisme', `quic://relais.pays-exemple.fr:4433#${fingerprint}`);
    render(InviteDialog, { space, onclose: vi.fn() });
    await screen.findByTestId('invite-code');
    expect(screen.getByTestId('invite-relay').textContent).toContain('relais.pays-exemple.fr:4433');
    expect(screen.getByTestId('invite-fingerprint').textContent).toBe('0123 4567 89ab cdef '.repeat(4).trim());
  });

  it('shows the error when the code cannot be made', async () => {
    backend.failures.set('invite_code', { code: 'not_found', message: 'no such space' });
    render(InviteDialog, { space: { id: 'gone', name: 'Ancien', relay: 'r' }, onclose: vi.fn() });
    expect((await screen.findByTestId('error-message')).textContent).toContain('introuvable');
    expect(screen.queryByTestId('invite-code')).toBeNull();
  });
});

describe('SpaceList', () => {
  it('marks the selected space and reports clicks', async () => {
    const onselect = vi.fn();
    const spaces = [
      { id: 'a', name: 'Élus', relay: 'r' },
      { id: 'b', name: 'Santé', relay: 'r' },
    ];
    render(SpaceList, { spaces, selected: 'a', onselect });
    const items = screen.getAllByTestId('space-item');
    expect(items.map((i) => i.getAttribute('aria-current'))).toEqual(['page', null]);
    await fireEvent.click(items[1]);
    expect(onselect).toHaveBeenCalledWith('b');
  });
});
