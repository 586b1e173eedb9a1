import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeBackend } from '../fake-backend';
import PhotoField from './PhotoField.svelte';

let backend: FakeBackend;

beforeEach(() => {
  backend = new FakeBackend().install();
  backend.addSpace('Santé');
});

describe('PhotoField', () => {
  it('adds a photo chosen in the file dialog, refuses what is not an image, and removes it', async () => {
    backend.files.set('/home/anne/cv.pdf', 1000);
    backend.files.set('/home/anne/portrait.png', 20_000);
    render(PhotoField, { space: 's', id: 'card-1' });
    await screen.findByTestId('photo-none');
    backend.picked = '/home/anne/cv.pdf';
    await fireEvent.click(screen.getByTestId('photo-choose'));
    await screen.findByTestId('error-message');
    expect(backend.photos.size).toBe(0);
    backend.picked = '/home/anne/portrait.png';
    await fireEvent.click(screen.getByTestId('photo-choose'));
    const image = (await screen.findByTestId('photo-image')) as HTMLImageElement;
    expect(image.src.startsWith('data:image/png;base64,')).toBe(true);
    await fireEvent.click(screen.getByTestId('photo-remove'));
    await waitFor(() => expect(screen.getByTestId('photo-none')).toBeTruthy());
    expect(backend.photos.size).toBe(0);
  });

  it('only shows the photo to a reader', async () => {
    backend.photos.set('card-2', 'data:image/png;base64,AAAA');
    render(PhotoField, { space: 's', id: 'card-2', readonly: true });
    await screen.findByTestId('photo-image');
    expect(screen.queryByTestId('photo-choose')).toBeNull();
  });
});
