import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeBackend } from '../fake-backend';
import type { Space } from '../types';
import ForumPanel from './ForumPanel.svelte';
import { depths, excerpt, pieces } from './posts';

let backend: FakeBackend;
let space: Space;
const ELISE = 'e1e1e1e1' + '4'.repeat(56);

beforeEach(() => {
  backend = new FakeBackend().install();
  space = backend.addSpace('Élus');
  backend.addMember(space.id, { name: 'Élise Valat', role: 'validator', devices: [ELISE] });
});

async function fill(testid: string, value: string, root: HTMLElement = document.body) {
  await fireEvent.input(within(root).getByTestId(testid), { target: { value } });
}

const bodies = () => screen.getAllByTestId('post-item').map((p) => p.querySelector('.text')?.textContent);

describe('forum helpers', () => {
  it('cuts @mentions out of a message', () => {
    expect(pieces('Merci @Camille Martin, voir @Élise', ['Camille Martin', 'Élise'])).toEqual([
      { text: 'Merci ', mention: false },
      { text: '@Camille Martin', mention: true },
      { text: ', voir ', mention: false },
      { text: '@Élise', mention: true },
    ]);
    expect(pieces('merci @élise valat', ['Élise Valat'])).toEqual([
      { text: 'merci ', mention: false },
      { text: '@élise valat', mention: true },
    ]);
    expect(pieces('salut @bob !')).toEqual([
      { text: 'salut ', mention: false },
      { text: '@bob', mention: true },
      { text: ' !', mention: false },
    ]);
  });

  it('quotes the selection, else the first 200 characters', () => {
    expect(excerpt('Bonjour à tous', ' à tous ')).toBe('à tous');
    const long = 'é'.repeat(250);
    expect(excerpt(long)).toBe('é'.repeat(200) + '…');
  });

  it('measures reply depth', () => {
    const post = { topic: 't', body: '', quote: null, mentions: [], createdAt: '', author: '', authorDevice: '', mine: false, unread: false, mentionsMe: false, deleted: false };
    const d = depths([
      { ...post, id: 'a', parent: '' },
      { ...post, id: 'b', parent: 'a' },
      { ...post, id: 'c', parent: 'b' },
    ]);
    expect([...d.entries()]).toEqual([
      ['a', 0],
      ['b', 1],
      ['c', 2],
    ]);
  });
});

describe('ForumPanel', () => {
  it('lists topics latest activity first, unread in bold, and marks a topic read when opened', async () => {
    const old = backend.addTopicTo(space.id, 'Voirie', 'Le chemin est abîmé.', { at: '2026-11-01T10:00:00Z' });
    const recent = backend.addTopicTo(space.id, 'Marché de Noël', 'Qui tient le stand ?', {
      author: 'Élise Valat',
      device: ELISE,
      at: '2026-11-10T10:00:00Z',
    });
    backend.addPostTo(space.id, recent.id, 'Et le vin chaud ?', { author: 'Élise Valat', device: ELISE, at: '2026-11-10T11:00:00Z' });
    render(ForumPanel, { space });
    await screen.findAllByTestId('topic-item');
    const topics = screen.getAllByTestId('topic-item');
    expect(topics.map((t) => t.querySelector('.title')?.textContent)).toEqual(['Marché de Noël', 'Voirie']);
    expect(topics[0].classList.contains('unread')).toBe(true);
    expect(within(topics[0]).getByTestId('topic-unread').textContent).toBe('2 non lus');
    expect(topics[1].classList.contains('unread')).toBe(false);
    void old;

    await fireEvent.click(topics[0]);
    await waitFor(() => expect(bodies()).toEqual(['Qui tient le stand ?', 'Et le vin chaud ?']));
    await waitFor(() => expect(backend.callsOf('mark_topic_read')).toEqual([{ space: space.id, topic: recent.id }]));
    await waitFor(() => expect(screen.getAllByTestId('topic-item')[0].classList.contains('unread')).toBe(false));
  });

  it('creates a topic and opens it', async () => {
    render(ForumPanel, { space });
    await screen.findByTestId('forum-empty');
    await fireEvent.click(screen.getByTestId('topic-new'));
    await fill('topic-title', 'Réunion de janvier');
    await fill('topic-body', 'Quelle date vous convient ?');
    await fireEvent.click(screen.getByTestId('topic-create'));
    expect((await screen.findByTestId('topic-heading')).textContent).toBe('Réunion de janvier');
    await waitFor(() => expect(bodies()).toEqual(['Quelle date vous convient ?']));
    expect(backend.callsOf('create_topic')).toEqual([
      { space: space.id, title: 'Réunion de janvier', body: 'Quelle date vous convient ?' },
    ]);
  });

  it('answers a message under it, indented, and quotes it', async () => {
    const topic = backend.addTopicTo(space.id, 'Budget', 'Le budget est prêt, @Camille Martin peux-tu relire ?', {
      author: 'Élise Valat',
      device: ELISE,
      at: '2026-11-10T10:00:00Z',
    });
    const second = backend.addPostTo(space.id, topic.id, 'Une autre question.', { author: 'Élise Valat', device: ELISE, at: '2026-11-10T12:00:00Z' });
    render(ForumPanel, { space, openId: topic.id });
    await waitFor(() => expect(screen.getAllByTestId('post-item')).toHaveLength(2));
    const first = screen.getAllByTestId('post-item')[0];
    expect(within(first).getByTestId('post-mentions-me').textContent).toBe('vous a mentionné');
    expect(within(first).getByTestId('post-mention').textContent).toBe('@Camille Martin');

    await fireEvent.click(within(first).getByTestId('post-reply'));
    await fill('reply-body', 'Oui, je relis demain.', first);
    await fireEvent.click(within(first).getByTestId('reply-send'));
    await waitFor(() => expect(bodies()).toEqual(['Le budget est prêt, @Camille Martin peux-tu relire ?', 'Oui, je relis demain.', 'Une autre question.']));
    const reply = screen.getAllByTestId('post-item')[1];
    expect(reply.getAttribute('data-depth')).toBe('1');
    expect(reply.style.marginLeft).toBe('1.5rem');
    expect(backend.callsOf('post_message')[0]).toEqual({
      space: space.id,
      topic: topic.id,
      body: 'Oui, je relis demain.',
      parent: screen.getAllByTestId('post-item')[0].getAttribute('data-post-id'),
      quote: null,
    });

    const last = screen.getAllByTestId('post-item')[2];
    await fireEvent.click(within(last).getByTestId('post-quote-open'));
    expect(within(last).getByTestId('reply-quote').textContent).toBe('Une autre question.');
    await fill('reply-body', 'Je réponds à la question.', last);
    await fireEvent.click(within(last).getByTestId('reply-send'));
    await waitFor(() => expect(screen.getAllByTestId('post-item')).toHaveLength(4));
    const quoted = screen.getAllByTestId('post-item')[3];
    expect(within(quoted).getByTestId('post-quote').textContent).toContain('Une autre question.');
    expect(backend.callsOf('post_message')[1].quote).toEqual({ post: second.id, excerpt: 'Une autre question.' });
  });

  it('writes at the end of the topic, and follows or unfollows it', async () => {
    const topic = backend.addTopicTo(space.id, 'Tourisme', 'Le guide 2027.', { author: 'Élise Valat', device: ELISE });
    render(ForumPanel, { space, openId: topic.id });
    await screen.findAllByTestId('post-item');
    const follow = screen.getByTestId('topic-follow');
    expect(follow.textContent?.trim()).toBe('Suivre');
    await fireEvent.click(follow);
    await waitFor(() => expect(screen.getByTestId('topic-follow').textContent?.trim()).toBe('Ne plus suivre'));
    expect(backend.callsOf('follow_topic')).toEqual([{ space: space.id, topic: topic.id, follow: true }]);

    await fill('reply-body', 'Merci !');
    await fireEvent.click(screen.getByTestId('reply-send'));
    await waitFor(() => expect(bodies()).toEqual(['Le guide 2027.', 'Merci !']));
    expect(backend.callsOf('post_message')[0].parent).toBeNull();
  });
});

describe('ForumPanel for a reader', () => {
  it('shows the topics and messages without any way to write', async () => {
    const topic = backend.addTopicTo(space.id, 'Tourisme', 'Le guide 2027.', { author: 'Élise Valat', device: ELISE });
    render(ForumPanel, { space, readonly: true, openId: topic.id });
    await screen.findAllByTestId('post-item');
    expect(screen.queryByTestId('topic-new')).toBeNull();
    expect(screen.queryByTestId('post-reply')).toBeNull();
    expect(screen.queryByTestId('reply-body')).toBeNull();
  });
});
