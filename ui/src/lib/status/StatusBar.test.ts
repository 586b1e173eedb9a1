import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { BastideError } from '../errors';
import StatusBar from './StatusBar.svelte';
import { pendingLabel } from './labels';

describe('StatusBar', () => {
  it('says online and how many changes wait', () => {
    render(StatusBar, { status: { online: true, pending: 3, lastError: null, lastSync: '2026-12-01T14:05:00+01:00' } });
    expect(screen.getByTestId('status-online').textContent?.trim()).toBe('En ligne');
    expect(screen.getByTestId('status-online').dataset.online).toBe('true');
    expect(screen.getByTestId('status-pending').textContent?.trim()).toBe('3 modifications en attente');
    expect(screen.getByTestId('status-last-sync').textContent).toContain('01/12/2026 14:05');
    expect(screen.queryByTestId('status-error')).toBeNull();
  });

  it('says offline and translates a sync error code', () => {
    render(StatusBar, { status: { online: false, pending: 1, lastError: 'relay_unreachable', lastSync: null } });
    expect(screen.getByTestId('status-online').textContent?.trim()).toBe('Hors ligne');
    expect(screen.getByTestId('status-error').textContent).toContain('Le relais ne répond pas.');
  });

  it('shows the last failed command when the sync reports nothing wrong', () => {
    render(StatusBar, {
      status: { online: true, pending: 0, lastError: null, lastSync: null },
      commandError: new BastideError('internal', 'db locked'),
    });
    expect(screen.getByTestId('status-error').textContent).toContain('erreur inattendue');
  });

  it('waits for the first status', () => {
    render(StatusBar, { status: null });
    expect(screen.getByTestId('status-online').textContent?.trim()).toBe('Connexion…');
  });
});

describe('pendingLabel', () => {
  it('uses French singular and plural', () => {
    expect(pendingLabel(0)).toBe('Aucune modification en attente');
    expect(pendingLabel(1)).toBe('1 modification en attente');
    expect(pendingLabel(12)).toBe('12 modifications en attente');
  });
});
