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
  async function fillMe(name: string, organisation = '', fn = '') {
    await fireEvent.input(screen.getByTestId('create-me-name'), { target: { value: name } });
    await fireEvent.input(screen.getByTestId('create-me-organisation'), { target: { value: organisation } });
    await fireEvent.input(screen.getByTestId('create-me-function'), { target: { value: fn } });
  }

  it('prefills the default relay and creates the space, saying who the creator is', async () => {
    const oncreated = vi.fn();
    render(CreateSpaceDialog, { defaultRelay: '127.0.0.1:4433', oncreated, onclose: vi.fn() });
    expect((screen.getByTestId('space-relay') as HTMLInputElement).value).toBe('127.0.0.1:4433');
    expect(document.activeElement).toBe(screen.getByTestId('space-name'));
    await fireEvent.input(screen.getByTestId('space-name'), { target: { value: '  Pays — agents ' } });
    await fillMe(' Claire Martin ', ' Pays de la Bastide', 'Chargée de mission ');
    await fireEvent.click(screen.getByTestId('create-space-submit'));
    await waitFor(() => expect(oncreated).toHaveBeenCalledOnce());
    expect(backend.callsOf('create_space')).toEqual([
      {
        name: 'Pays — agents',
        relay: '127.0.0.1:4433',
        me: { name: 'Claire Martin', organisation: 'Pays de la Bastide', function: 'Chargée de mission' },
        token: null,
      },
    ]);
    expect(oncreated.mock.calls[0][0]).toMatchObject({ name: 'Pays — agents' });
    expect(backend.myself(oncreated.mock.calls[0][0].id)).toMatchObject({
      name: 'Claire Martin',
      organisation: 'Pays de la Bastide',
      function: 'Chargée de mission',
      role: 'admin',
    });
  });

  it('says in French when the relay asks for an admission token, then creates the space with it', async () => {
    backend.requiredToken = '3f9a-02c1-77b0-5e4d-aa10-9c3e-41f2-0b8d';
    const oncreated = vi.fn();
    render(CreateSpaceDialog, { defaultRelay: 'relais.pays.fr:4433', oncreated, onclose: vi.fn() });
    await fireEvent.input(screen.getByTestId('space-name'), { target: { value: 'Élus' } });
    await fillMe('Claire Martin');
    await fireEvent.click(screen.getByTestId('create-space-submit'));
    await waitFor(() =>
      expect(screen.getByTestId('error-message').textContent).toContain('Ce relais demande un jeton d’accès'),
    );
    expect(screen.getByTestId('space-token').getAttribute('aria-invalid')).toBe('true');
    expect(oncreated).not.toHaveBeenCalled();

    await fireEvent.input(screen.getByTestId('space-token'), { target: { value: ' 3f9a-02c1-77b0-5e4d-aa10-9c3e-41f2-0b8d ' } });
    await fireEvent.click(screen.getByTestId('create-space-submit'));
    await waitFor(() => expect(oncreated).toHaveBeenCalledOnce());
    expect(backend.callsOf('create_space').map((c) => c.token)).toEqual([null, '3f9a-02c1-77b0-5e4d-aa10-9c3e-41f2-0b8d']);
  });

  it('needs only the creator’s name, not the organisation nor the function', async () => {
    const oncreated = vi.fn();
    render(CreateSpaceDialog, { defaultRelay: 'relais:4433', oncreated, onclose: vi.fn() });
    await fireEvent.input(screen.getByTestId('space-name'), { target: { value: 'Élus' } });
    await fillMe('Claire Martin');
    await fireEvent.click(screen.getByTestId('create-space-submit'));
    await waitFor(() => expect(oncreated).toHaveBeenCalledOnce());
    expect(backend.callsOf('create_space')[0].me).toEqual({ name: 'Claire Martin', organisation: '', function: '' });
  });

  it('asks for a name, a relay and the creator’s name before calling the backend', async () => {
    render(CreateSpaceDialog, { defaultRelay: null, oncreated: vi.fn(), onclose: vi.fn() });
    await fillMe('   ', 'Pays de la Bastide');
    await fireEvent.click(screen.getByTestId('create-space-submit'));
    const text = screen.getByTestId('error-message').textContent;
    expect(text).toContain('Donnez un nom à l’espace.');
    expect(text).toContain('Indiquez l’adresse du relais.');
    expect(text).toContain('Indiquez votre nom : les autres membres le verront.');
    for (const id of ['space-name', 'space-relay', 'create-me-name']) {
      expect(screen.getByTestId(id).getAttribute('aria-invalid'), id).toBe('true');
    }
    expect(screen.getByTestId('create-me-organisation').getAttribute('aria-invalid')).toBeNull();
    expect(backend.callsOf('create_space')).toEqual([]);

    await fireEvent.input(screen.getByTestId('space-name'), { target: { value: 'Élus' } });
    await fireEvent.input(screen.getByTestId('space-relay'), { target: { value: 'relais:4433' } });
    await fireEvent.click(screen.getByTestId('create-space-submit'));
    expect(screen.getByTestId('error-message').textContent?.trim()).toBe('Indiquez votre nom : les autres membres le verront.');
    expect(screen.getByTestId('space-name').getAttribute('aria-invalid')).toBe('false');
    expect(backend.callsOf('create_space')).toEqual([]);
  });

  it('shows why the relay could not be reached', async () => {
    backend.failures.set('create_space', { code: 'relay_unreachable', message: 'timed out after 10 s' });
    const oncreated = vi.fn();
    render(CreateSpaceDialog, { defaultRelay: 'relais:4433', oncreated, onclose: vi.fn() });
    await fireEvent.input(screen.getByTestId('space-name'), { target: { value: 'Élus' } });
    await fillMe('Claire Martin');
    await fireEvent.click(screen.getByTestId('create-space-submit'));
    const error = await screen.findByTestId('error-message');
    expect(error.textContent).toContain('Le relais ne répond pas.');
    expect(error.textContent).toContain('timed out after 10 s');
    expect(oncreated).not.toHaveBeenCalled();
    // Not created: nothing is remembered.
    expect(localStorage.getItem('bastide.identity')).toBeNull();
  });

  it('prefills who the person said they were when joining, and remembers the creator for the next time', async () => {
    const code = backend.offerInvite('Tourisme');
    const join = render(JoinSpaceDialog, { onjoined: vi.fn(), onclose: vi.fn() });
    await fireEvent.input(screen.getByTestId('join-code'), { target: { value: code } });
    await fireEvent.input(screen.getByTestId('join-name'), { target: { value: 'Camille Martin' } });
    await fireEvent.input(screen.getByTestId('join-organisation'), { target: { value: 'Pays Exemple' } });
    await fireEvent.click(screen.getByTestId('join-space-submit'));
    await waitFor(() => expect(backend.callsOf('join_space')).toHaveLength(1));
    join.unmount();

    const first = render(CreateSpaceDialog, { defaultRelay: 'relais:4433', oncreated: vi.fn(), onclose: vi.fn() });
    expect((screen.getByTestId('create-me-name') as HTMLInputElement).value).toBe('Camille Martin');
    expect((screen.getByTestId('create-me-organisation') as HTMLInputElement).value).toBe('Pays Exemple');
    expect((screen.getByTestId('create-me-function') as HTMLInputElement).value).toBe('');
    await fireEvent.input(screen.getByTestId('space-name'), { target: { value: 'Élus' } });
    await fireEvent.input(screen.getByTestId('create-me-function'), { target: { value: 'Directrice' } });
    await fireEvent.click(screen.getByTestId('create-space-submit'));
    await waitFor(() => expect(backend.callsOf('create_space')).toHaveLength(1));
    first.unmount();

    render(JoinSpaceDialog, { onjoined: vi.fn(), onclose: vi.fn() });
    expect((screen.getByTestId('join-name') as HTMLInputElement).value).toBe('Camille Martin');
    expect((screen.getByTestId('join-organisation') as HTMLInputElement).value).toBe('Pays Exemple');
    expect((screen.getByTestId('join-function') as HTMLInputElement).value).toBe('Directrice');
  });

  it('closes on Escape', async () => {
    const onclose = vi.fn();
    render(CreateSpaceDialog, { defaultRelay: null, oncreated: vi.fn(), onclose });
    await fireEvent.keyDown(screen.getByTestId('space-name'), { key: 'Escape' });
    expect(onclose).toHaveBeenCalledOnce();
  });
});

describe('JoinSpaceDialog', () => {
  async function fillJoin(code: string, name = 'Camille Martin', organisation = '', fn = '') {
    await fireEvent.input(screen.getByTestId('join-code'), { target: { value: code } });
    await fireEvent.input(screen.getByTestId('join-name'), { target: { value: name } });
    await fireEvent.input(screen.getByTestId('join-organisation'), { target: { value: organisation } });
    await fireEvent.input(screen.getByTestId('join-function'), { target: { value: fn } });
  }

  it('joins with the code and who the newcomer is, ignoring the line breaks a mail client added', async () => {
    const code = backend.offerInvite('Élus du Pays');
    const onjoined = vi.fn();
    render(JoinSpaceDialog, { onjoined, onclose: vi.fn() });
    const split = ` ${code.slice(0, 10)}\n${code.slice(10)} \n`;
    await fillJoin(split, '  Camille Martin ', ' Commune de Lavaur ', 'Maire');
    await fireEvent.click(screen.getByTestId('join-space-submit'));
    await waitFor(() => expect(onjoined).toHaveBeenCalledOnce());
    expect(backend.callsOf('join_space')).toEqual([
      { code, name: 'Camille Martin', organisation: 'Commune de Lavaur', function: 'Maire' },
    ]);
    expect(onjoined.mock.calls[0][0]).toMatchObject({ name: 'Élus du Pays' });
  });

  it('requires a name, not the organisation nor the function', async () => {
    render(JoinSpaceDialog, { onjoined: vi.fn(), onclose: vi.fn() });
    await fillJoin('BSTD1-ABC', '   ');
    await fireEvent.click(screen.getByTestId('join-space-submit'));
    expect(screen.getByTestId('error-message').textContent).toContain('Indiquez votre nom');
    expect(screen.getByTestId('join-name').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByTestId('join-code').getAttribute('aria-invalid')).toBe('false');
    expect(backend.callsOf('join_space')).toEqual([]);
  });

  it('asks for a code when the field is empty', async () => {
    render(JoinSpaceDialog, { onjoined: vi.fn(), onclose: vi.fn() });
    await fillJoin('');
    await fireEvent.click(screen.getByTestId('join-space-submit'));
    expect(screen.getByTestId('error-message').textContent).toContain('Collez le code');
    expect(backend.callsOf('join_space')).toEqual([]);
  });

  it('refuses a code used once already', async () => {
    const code = backend.offerInvite('Santé');
    backend.codes.get(code)!.used = true;
    const onjoined = vi.fn();
    render(JoinSpaceDialog, { onjoined, onclose: vi.fn() });
    await fillJoin(code);
    await fireEvent.click(screen.getByTestId('join-space-submit'));
    expect((await screen.findByTestId('error-message')).textContent).toContain('déjà été utilisé');
    expect(onjoined).not.toHaveBeenCalled();
  });

  it('explains a code the relay does not know yet, a withdrawn and an expired invitation', async () => {
    render(JoinSpaceDialog, { onjoined: vi.fn(), onclose: vi.fn() });
    await fillJoin('BSTD1-NEVERPUBLISHED');
    await fireEvent.click(screen.getByTestId('join-space-submit'));
    expect((await screen.findByTestId('error-message')).textContent).toContain('ne connaît pas encore ce code');

    const revoked = backend.offerInvite('Santé');
    backend.codes.get(revoked)!.revoked = true;
    await fillJoin(revoked);
    await fireEvent.click(screen.getByTestId('join-space-submit'));
    await waitFor(() => expect(screen.getByTestId('error-message').textContent).toContain('a été retirée'));

    backend.failures.set('join_space', { code: 'expired_invitation', message: 'expired' });
    await fillJoin('BSTD1-OLD');
    await fireEvent.click(screen.getByTestId('join-space-submit'));
    await waitFor(() => expect(screen.getByTestId('error-message').textContent).toContain('a expiré'));
  });

  it('prefills who joined last time', async () => {
    const code = backend.offerInvite('Tourisme');
    const first = render(JoinSpaceDialog, { onjoined: vi.fn(), onclose: vi.fn() });
    await fillJoin(code, 'Camille Martin', 'Pays Exemple', 'Chargée de mission');
    await fireEvent.click(screen.getByTestId('join-space-submit'));
    await waitFor(() => expect(backend.callsOf('join_space')).toHaveLength(1));
    first.unmount();
    render(JoinSpaceDialog, { onjoined: vi.fn(), onclose: vi.fn() });
    expect((screen.getByTestId('join-name') as HTMLInputElement).value).toBe('Camille Martin');
    expect((screen.getByTestId('join-organisation') as HTMLInputElement).value).toBe('Pays Exemple');
    expect((screen.getByTestId('join-function') as HTMLInputElement).value).toBe('Chargée de mission');
  });
});

describe('InviteDialog', () => {
  async function makeCode() {
    await fireEvent.click(screen.getByTestId('invite-submit'));
    return screen.findByTestId('invite-code');
  }

  it('asks for the role (Rédacteur by default) and the validity (7 days) before making the code', async () => {
    const space = backend.addSpace('Tourisme');
    render(InviteDialog, { space, onclose: vi.fn() });
    const role = screen.getByTestId('invite-role') as HTMLSelectElement;
    expect(role.value).toBe('editor');
    expect(role.selectedOptions[0].textContent).toBe('Rédacteur (agent)');
    expect([...role.options].map((o) => o.textContent)).toEqual([
      'Administrateur',
      'Validateur (élu)',
      'Rédacteur (agent)',
      'Lecteur',
    ]);
    expect((screen.getByTestId('invite-days') as HTMLInputElement).value).toBe('7');
    expect(screen.queryByTestId('invite-code')).toBeNull();
    expect(backend.callsOf('invite_code')).toEqual([]);

    await makeCode();
    expect(backend.callsOf('invite_code')).toEqual([{ space: space.id, role: 'editor', expiresDays: 7 }]);
  });

  it('passes the chosen role and number of days, and says what the code is for', async () => {
    const space = backend.addSpace('Tourisme');
    render(InviteDialog, { space, onclose: vi.fn() });
    await fireEvent.change(screen.getByTestId('invite-role'), { target: { value: 'validator' } });
    await fireEvent.input(screen.getByTestId('invite-days'), { target: { value: '30' } });
    const code = await makeCode();
    expect(code.textContent).toMatch(/^BSTD1-/);
    expect(backend.callsOf('invite_code')).toEqual([{ space: space.id, role: 'validator', expiresDays: 30 }]);
    const summary = screen.getByTestId('invite-summary').textContent;
    expect(summary).toContain('Validateur (élu)');
    expect(summary).toContain('30 jours');

    // Another person, another code.
    await fireEvent.click(screen.getByTestId('invite-another'));
    expect((screen.getByTestId('invite-role') as HTMLSelectElement).value).toBe('validator');
    await fireEvent.change(screen.getByTestId('invite-role'), { target: { value: 'reader' } });
    await fireEvent.input(screen.getByTestId('invite-days'), { target: { value: '1' } });
    await makeCode();
    expect(backend.callsOf('invite_code')[1]).toEqual({ space: space.id, role: 'reader', expiresDays: 1 });
    expect(screen.getByTestId('invite-summary').textContent).toContain('1 jour ');
  });

  it('refuses a validity outside 1 to 90 days without calling the backend', async () => {
    const space = backend.addSpace('Tourisme');
    render(InviteDialog, { space, onclose: vi.fn() });
    for (const days of ['0', '91', '2.5', '']) {
      await fireEvent.input(screen.getByTestId('invite-days'), { target: { value: days } });
      await fireEvent.click(screen.getByTestId('invite-submit'));
      expect(screen.getByTestId('error-message').textContent, days).toContain('de 1 à 90');
    }
    expect(backend.callsOf('invite_code')).toEqual([]);
  });

  it('shows the code and copies it', async () => {
    const space = backend.addSpace('Tourisme');
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    render(InviteDialog, { space, onclose: vi.fn() });
    const code = await makeCode();
    await fireEvent.click(screen.getByTestId('invite-copy'));
    expect(writeText).toHaveBeenCalledWith(code.textContent);
    await waitFor(() => expect(screen.getByTestId('invite-copied').textContent).toContain('Code copié'));
  });

  it('shows the relay and its certificate fingerprint, wrapped in groups', async () => {
    const fingerprint = '0123456789abcdef'.repeat(4);
    const space = backend.addSpace('Tourisme', `quic://relais.pays-exemple.fr:4433#${fingerprint}`);
    render(InviteDialog, { space, onclose: vi.fn() });
    expect(screen.getByTestId('invite-relay').textContent).toContain('relais.pays-exemple.fr:4433');
    expect(screen.getByTestId('invite-fingerprint').textContent).toBe('0123 4567 89ab cdef '.repeat(4).trim());
    await makeCode();
    expect(screen.getByTestId('invite-relay').textContent).toContain('relais.pays-exemple.fr:4433');
  });

  it('shows why the code cannot be made', async () => {
    const space = backend.addSpace('Tourisme', 'relais.test:4433', 'editor');
    render(InviteDialog, { space, onclose: vi.fn() });
    await fireEvent.click(screen.getByTestId('invite-submit'));
    expect((await screen.findByTestId('error-message')).textContent).toContain('Votre rôle dans cet espace ne permet pas');
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
