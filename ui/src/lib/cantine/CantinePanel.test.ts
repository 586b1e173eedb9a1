import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeBackend } from '../fake-backend';
import type { Space } from '../types';
import CantinePanel from './CantinePanel.svelte';
import { monthOf } from './cantine';
import { installCantine, type FakeCantine } from './fake';

let backend: FakeBackend;
let cantine: FakeCantine;
let space: Space;

beforeEach(() => {
  backend = new FakeBackend().install();
  cantine = installCantine(backend);
  space = backend.addSpace('Commune');
});

/** The first weekday of this month, as the sheet's rows name it. */
function firstWeekday(): string {
  const now = new Date();
  for (let d = 1; ; d++) {
    const day = new Date(now.getFullYear(), now.getMonth(), d);
    if (day.getDay() !== 0 && day.getDay() !== 6) return `${monthOf(day)}-${String(d).padStart(2, '0')}`;
  }
}

async function addSite() {
  await fireEvent.click(await screen.findByTestId('cantine-site-new'));
  await fireEvent.input(screen.getByTestId('cantine-site-name'), { target: { value: 'École des Tilleuls' } });
  await fireEvent.click(screen.getByTestId('cantine-site-submit'));
  await screen.findByTestId('cantine-sheet');
}

function cellsOf(date: string): HTMLInputElement[] {
  const row = screen.getAllByTestId('cantine-row').find((r) => r.dataset.date === date)!;
  return within(row).getAllByTestId('cantine-cell') as HTMLInputElement[];
}

describe('CantinePanel', () => {
  it('enters a day of counts with the keyboard and totals them; weekends are greyed', async () => {
    render(CantinePanel, { space });
    await addSite();
    const date = firstWeekday();
    const [maternelle, elementaire, adulte] = cellsOf(date);
    maternelle.focus();
    await fireEvent.input(maternelle, { target: { value: '24' } });
    await fireEvent.change(maternelle);
    await fireEvent.keyDown(maternelle, { key: 'ArrowRight' });
    await waitFor(() => expect((document.activeElement as HTMLElement)?.dataset?.cell).toBe('0:1'));
    await fireEvent.input(elementaire, { target: { value: '31' } });
    await fireEvent.change(elementaire);
    await fireEvent.input(adulte, { target: { value: '4' } });
    await fireEvent.change(adulte);
    await waitFor(() => expect(screen.getByTestId('cantine-grand-total').textContent).toBe('59'));
    const totals = screen.getAllByTestId('cantine-total').map((t) => t.textContent);
    expect(totals).toEqual(['24', '31', '4']);
    const weekend = screen.getAllByTestId('cantine-row').find((r) => r.classList.contains('closed'))!;
    expect((within(weekend).getAllByTestId('cantine-cell')[0] as HTMLInputElement).disabled).toBe(true);
  });

  it('refuses an absurd count in French and keeps the previous value', async () => {
    render(CantinePanel, { space });
    await addSite();
    const [maternelle] = cellsOf(firstWeekday());
    await fireEvent.input(maternelle, { target: { value: '-5' } });
    await fireEvent.change(maternelle);
    expect((await screen.findByTestId('error-message')).textContent).toContain('nombre entier');
    expect(maternelle.value).toBe('');
    expect(cantine.cells.size).toBe(0);
  });

  it('shows two counts entered offline with who, and keeps the one chosen', async () => {
    render(CantinePanel, { space });
    await addSite();
    const date = firstWeekday();
    const site = cantine.sites[0].id;
    cantine.conflict(site, date, 'maternelle', [
      { count: 24, author: 'Anne', device: 'd1', at: '2027-01-12T08:00:00Z' },
      { count: 25, author: 'Bruno', device: 'd2', at: '2027-01-12T08:05:00Z' },
    ]);
    await fireEvent.click(screen.getByTestId('cantine-next'));
    await fireEvent.click(screen.getByTestId('cantine-prev'));
    await screen.findByTestId('cantine-conflicts');
    await fireEvent.click(screen.getByTestId('cantine-pick-open'));
    const dialog = screen.getByTestId('cantine-pick-dialog');
    expect(dialog.textContent).toContain('Anne');
    expect(dialog.textContent).toContain('Bruno');
    await fireEvent.click(within(dialog).getAllByTestId('cantine-pick-value')[1]);
    await waitFor(() => expect(screen.queryByTestId('cantine-conflicts')).toBeNull());
    expect(cantine.cells.get(`${site}|${date}|maternelle`)?.map((v) => v.count)).toEqual([25]);
  });

  it('changes a site’s categories: the sheet’s columns follow', async () => {
    render(CantinePanel, { space });
    await addSite();
    await fireEvent.click(screen.getByTestId('cantine-site-edit'));
    await fireEvent.input(screen.getByTestId('cantine-site-categories'), { target: { value: 'maternelle, élémentaire, adulte, sans porc' } });
    await fireEvent.click(screen.getByTestId('cantine-site-submit'));
    await waitFor(() => expect(screen.getByTestId('cantine-sheet').querySelector('thead')?.textContent).toContain('sans porc'));
    expect(cantine.sites[0].categories).toHaveLength(4);
  });
});
