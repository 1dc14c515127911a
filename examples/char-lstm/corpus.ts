/** A default corpus generated from a small grammar, so the example runs anywhere. */
import { Generator } from '@tapegrad/autograd';

const SUBJECTS = ['the cat', 'the dog', 'a bird', 'my friend', 'the old man', 'a child', 'the teacher', 'our neighbour'];
const VERBS = ['sees', 'likes', 'follows', 'watches', 'finds', 'helps', 'calls', 'remembers'];
const OBJECTS = ['the ball', 'a red box', 'the garden', 'a small house', 'the river', 'an apple', 'the moon', 'a long road'];
const ADVERBS = ['today', 'again', 'slowly', 'at night', 'every morning', 'in the rain', 'with care', 'once more'];

/** Sentences of the form subject verb object [adverb]. — about `chars` characters. */
export function grammarCorpus(chars: number, seed = 0): string {
  const g = new Generator(seed);
  const pick = (xs: readonly string[]) => xs[g.integer(0, xs.length)]!;
  const parts: string[] = [];
  let n = 0;
  while (n < chars) {
    const s = `${pick(SUBJECTS)} ${pick(VERBS)} ${pick(OBJECTS)}${g.random() < 0.6 ? ` ${pick(ADVERBS)}` : ''}.`;
    parts.push(s);
    n += s.length + 1;
  }
  return parts.join(' ');
}
