import { describe, expect, it } from 'vitest';
import { monthLabel, nextCell, parseCategories, parseCount, shiftMonth } from './cantine';

describe('meal counts as typed', () => {
  it('takes whole numbers from 0 to 2000 and an empty cell', () => {
    expect(parseCount(' 24 ')).toEqual({ ok: true, count: 24 });
    expect(parseCount('')).toEqual({ ok: true, count: null });
    expect(parseCount('0')).toEqual({ ok: true, count: 0 });
    for (const bad of ['-3', '12.5', 'douze', '2001']) expect(parseCount(bad).ok).toBe(false);
  });

  it('reads categories separated by commas or lines, without repeats', () => {
    expect(parseCategories('maternelle, adulte\nsans porc;adulte,, ')).toEqual(['maternelle', 'adulte', 'sans porc']);
  });
});

describe('the month sheet', () => {
  it('moves between months across years', () => {
    expect(shiftMonth('2027-01', -1)).toBe('2026-12');
    expect(shiftMonth('2026-12', 1)).toBe('2027-01');
    expect(monthLabel('2027-01')).toBe('janvier 2027');
  });

  it('moves the cursor with Enter and the arrows, staying inside the sheet', () => {
    expect(nextCell('Enter', false, 0, 1, 20, 3)).toEqual({ row: 1, col: 1 });
    expect(nextCell('Enter', true, 3, 1, 20, 3)).toEqual({ row: 2, col: 1 });
    expect(nextCell('ArrowDown', false, 19, 0, 20, 3)).toBeNull();
    expect(nextCell('ArrowRight', false, 4, 2, 20, 3)).toBeNull();
    expect(nextCell('ArrowLeft', false, 4, 2, 20, 3)).toEqual({ row: 4, col: 1 });
    expect(nextCell('ArrowUp', false, 0, 0, 20, 3)).toBeNull();
    expect(nextCell('a', false, 1, 1, 20, 3)).toBeNull();
  });
});
